import { optionalParts } from '@integrador/test-support/optional-parts';
import { type PrivateMariadb, startPrivateMariadb } from '@integrador/test-support/private-mariadb';
import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { type CrmDatabase, createDatabase } from './create-database';

// A MariaDB server whose default time zone is Brasília's (a private server: the machine's keeps its globals). The
// CRM's own app writes a TIMESTAMP (an instant, converted from its session's zone) and a DATETIME (a wall clock) at
// 09:00 local time; the hub's handle must read the instant as 12:00 UTC and the wall clock as written, and its own
// NOW() must be the current instant, whatever the server's default.
const parts = optionalParts(['mariadbd']);
const describeWithMariadbd = parts.has('mariadbd') ? describe : describe.skip;

describeWithMariadbd('a MySQL/MariaDB CRM whose server is not in UTC', () => {
  let server: PrivateMariadb;
  let crm: CrmDatabase;

  beforeAll(async () => {
    server = await startPrivateMariadb(['--default-time-zone=-03:00']);
    await server.createDatabase('crm');
    const app = await createConnection(server.url('crm'));
    await app.query('CREATE TABLE agenda (id INT PRIMARY KEY, marcado_em TIMESTAMP(3) NULL, visita DATETIME(3) NULL)');
    await app.query("INSERT INTO agenda VALUES (1, '2026-12-05 09:00:00', '2026-12-05 09:00:00')");
    await app.end();
    crm = createDatabase(server.url('crm'), { poolSize: 2 });
  }, 120_000);
  afterAll(async () => {
    await crm?.destroy();
    await server?.destroy();
  });

  it('runs its sessions in UTC', async () => {
    const { rows } = await sql<{ zone: string }>`SELECT @@session.time_zone AS zone`.execute(crm.db);
    expect(rows[0]?.zone).toBe('+00:00');
  });

  it('reads a TIMESTAMP as its instant and a DATETIME as the wall clock written', async () => {
    const { rows } = await sql<{ marcado_em: Date; visita: Date }>`SELECT marcado_em, visita FROM agenda WHERE id = 1`.execute(crm.db);
    expect(rows[0]?.marcado_em.toISOString()).toBe('2026-12-05T12:00:00.000Z');
    // mysql2 reads DATETIME as UTC fields: the wall clock as written.
    expect(rows[0]?.visita.toISOString()).toBe('2026-12-05T09:00:00.000Z');
  });

  it('writes NOW() into its DATETIME and TIMESTAMP columns as the current instant', async () => {
    await sql`INSERT INTO agenda VALUES (2, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3))`.execute(crm.db);
    const { rows } = await sql<{ marcado_em: Date; visita: Date }>`SELECT marcado_em, visita FROM agenda WHERE id = 2`.execute(crm.db);
    for (const value of [rows[0]?.marcado_em, rows[0]?.visita]) expect(Math.abs((value?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('writes a bound Date into a TIMESTAMP as that instant', async () => {
    const instant = new Date('2026-12-05T12:00:00.000Z');
    await sql`INSERT INTO agenda (id, marcado_em) VALUES (3, ${instant})`.execute(crm.db);
    const app = await createConnection(server.url('crm'));
    const [rows] = await app.query('SELECT UNIX_TIMESTAMP(marcado_em) AS epoch FROM agenda WHERE id = 3');
    await app.end();
    expect(Number((rows as Array<{ epoch: string }>)[0]?.epoch)).toBe(instant.getTime() / 1000);
  });
});
