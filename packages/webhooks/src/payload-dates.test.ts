import { spawnSync } from 'node:child_process';
import { testSettings as testEnv } from '@integrador/config/test-settings';
import { type CrmDatabase, createDatabase, createEmpresa, type DialectName } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { ROOT } from '@integrador/test-support/processes';
import { sql } from 'kysely';
import { dateText, dateTimeText } from './payload-format';
import { buildPayload } from './payloads';

describe('dateTimeText: zone-less text is the CRM wall clock, a value with a zone is printed in São Paulo time', () => {
  it.each([
    ['2026-12-10 09:00:00', '2026-12-10 09:00'],
    ['2026-12-10 09:00', '2026-12-10 09:00'],
    ['2026-12-10T09:00:00.123', '2026-12-10 09:00'],
    ['2026-12-10', '2026-12-10 00:00'],
    ['2026-12-10T12:00:00Z', '2026-12-10 09:00'],
    ['2026-12-10T12:00:00.000Z', '2026-12-10 09:00'],
    ['2026-12-10T10:00:00-02:00', '2026-12-10 09:00'],
    ['2026-12-10 12:00:00+00', '2026-12-10 09:00'],
    [new Date('2026-12-10T12:00:00Z'), '2026-12-10 09:00'],
    ['not a date', null],
    ['', null],
    [null, null],
  ])('%p → %p', (value, printed) => {
    expect(dateTimeText(value)).toBe(printed);
  });
});

// A birth date is `YYYY-MM-DD` (seed 004's "1997-10-22") whatever form a text column holds it in; what cannot be a
// date is null, never sent as it is (the trial's "22/10/1997" went out unchanged).
describe('dateText: a calendar date as YYYY-MM-DD, or null', () => {
  it.each([
    ['1997-10-22', '1997-10-22'],
    ['1997-10-22 00:00:00', '1997-10-22'],
    ['1997-10-22T00:00:00Z', '1997-10-22'],
    [new Date('1997-10-22T00:00:00Z'), '1997-10-22'],
    ['22/10/1997', '1997-10-22'],
    [' 2/3/2001 ', '2001-03-02'],
    ['31/02/1997', null],
    ['1997-02-30', null],
    ['22-10-1997', null],
    ['outubro de 1997', null],
    ['19971022', null],
    [877478400000, null],
    ['', null],
    [null, null],
  ])('%p → %p', (value, printed) => {
    expect(dateText(value)).toBe(printed);
  });

  it('sends a contato whose birth date the CRM stored as DD/MM/YYYY as seed 004 writes it', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const empresaId = await createEmpresa(database.db, 'Datas BR');
      const values = [
        { id: 4, empresa_id: empresaId, nome: 'Datas BR', data_nascimento: '22/10/1997' },
        { id: 5, empresa_id: empresaId, nome: 'Data ruim', data_nascimento: 'ontem' },
      ];
      await database.db.insertInto('contatos').values(values).execute();
      const payload = async (id: string) =>
        ((await buildPayload(database.db, empresaId, 'contato.criado', id)) as Record<string, unknown>[])[0]?.dataNascimento;
      expect(await payload('4')).toBe('1997-10-22');
      expect(await payload('5')).toBeNull();
    } finally {
      await database.drop();
    }
  });
});

// What a CRM writes for its business times, per dialect: eventos.data_vencimento as a zone-less value (a visit at
// 09:00), atividades.fim as whatever the column holds. The hub's schema makes fim timestamptz on PostgreSQL (an
// instant), datetime(3) on MySQL (zone-less) and text on SQLite; each case says what the payload must print.
const CRM_WRITES: Record<DialectName, { fim: string; prepare?: string }> = {
  // A CRM's own `timestamp without time zone` column (pg reads it in the process's zone); fim stays timestamptz.
  postgres: {
    prepare: 'ALTER TABLE eventos ALTER COLUMN data_vencimento TYPE timestamp without time zone',
    fim: '2026-12-05 14:30:00-03',
  },
  // DATETIME is zone-less (mysql2 reads it as UTC).
  mysql: { fim: '2026-12-05 14:30:00' },
  // An ISO instant with its Z is converted: 17:30 UTC is 14:30 in São Paulo.
  sqlite: { fim: '2026-12-05T17:30:00.000Z' },
};

describe.each(ALL_DIALECTS)('payload dates on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const { db } = database;
    empresaId = await createEmpresa(db, 'Datas');
    const writes = CRM_WRITES[dialect];
    if (writes.prepare) await sql.raw(writes.prepare).execute(db);
    // Written by SQL the way the CRM writes them, not through the driver's Date binding.
    await sql`INSERT INTO eventos (id, empresa_id, tipo, data_vencimento) VALUES (1, ${empresaId}, 'visita', '2026-12-10 09:00:00')`.execute(
      db,
    );
    await sql`INSERT INTO atividades (id, empresa_id, tipo, fim, status) VALUES (1, ${empresaId}, 'ligacao', ${writes.fim}, 'aberta')`.execute(
      db,
    );
    await sql`INSERT INTO contatos (id, empresa_id, nome, data_nascimento) VALUES (1, ${empresaId}, 'Ana', '1990-05-20')`.execute(db);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('prints a zone-less CRM date/time as the CRM wrote it (a visit at 09:00 stays 09:00)', async () => {
    const [evento] = (await buildPayload(database.db, empresaId, 'evento.criado', 1)) ?? [];
    expect(evento?.dataAgendamento).toEqual({ data: '2026-12-10 09:00', tipo: null });
  });

  it('prints the atividade due at 14:30 São Paulo time (zone-less as is, an instant converted)', async () => {
    const [atividade] = (await buildPayload(database.db, empresaId, 'atividade.criada', 1)) ?? [];
    expect(atividade?.vencimento).toBe('2026-12-05 14:30');
  });

  it('prints a birth date as the calendar date written', async () => {
    const [contato] = (await buildPayload(database.db, empresaId, 'contato.criado', 1)) ?? [];
    expect(contato?.dataNascimento).toBe('1990-05-20');
  });
});

describe('payload dates: a CRM timestamp read whatever the process zone, table schema or column history', () => {
  it('prints a PostgreSQL timestamp inside a DST gap of the process zone as written (TZ=America/New_York, 02:30)', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const empresaId = await createEmpresa(database.db, 'Datas DST');
      await sql`ALTER TABLE eventos ALTER COLUMN data_vencimento TYPE timestamp without time zone`.execute(database.db);
      // 2026-03-08 02:30 does not exist in New York (clocks jump from 02:00 to 03:00).
      await sql`INSERT INTO eventos (id, empresa_id, tipo, data_vencimento) VALUES (1, ${empresaId}, 'visita', '2026-03-08 02:30:00')`.execute(
        database.db,
      );
      const script = `
        const { createDatabase } = require('@integrador/store');
        const { buildPayload } = require('@integrador/webhooks');
        (async () => {
          const crm = createDatabase(${JSON.stringify(database.url)});
          const payload = await buildPayload(crm.db, ${empresaId}, 'evento.criado', 1);
          process.stdout.write(JSON.stringify({ hours: new Date(2026, 2, 8, 2, 30).getHours(), payload }));
          await crm.destroy();
        })();`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: ROOT,
        env: { ...testEnv().inherited, TZ: 'America/New_York' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.stderr).toBe('');
      const { hours, payload } = JSON.parse(child.stdout) as { hours: number; payload: Array<{ dataAgendamento: unknown }> };
      // The child's zone has the gap (its local 02:30 became 03:30), and the payload still prints 02:30.
      expect(hours).toBe(3);
      expect(payload[0]?.dataAgendamento).toEqual({ data: '2026-03-08 02:30', tipo: null });
    } finally {
      await database.drop();
    }
  });

  it('reads a PostgreSQL CRM whose tables live in another schema of the search_path', async () => {
    const database = await createTestDatabase('postgres');
    const name = new URL(database.url).pathname.slice(1);
    let other: CrmDatabase | undefined;
    try {
      const empresaId = await createEmpresa(database.db, 'Datas schema');
      await sql`ALTER TABLE eventos ALTER COLUMN data_vencimento TYPE timestamp without time zone`.execute(database.db);
      await sql`INSERT INTO eventos (id, empresa_id, tipo, data_vencimento) VALUES (1, ${empresaId}, 'visita', '2026-12-10 09:00:00')`.execute(
        database.db,
      );
      await sql`CREATE SCHEMA crm`.execute(database.db);
      await sql`ALTER TABLE eventos SET SCHEMA crm`.execute(database.db);
      // current_schema() stays public (it exists), eventos is found in crm.
      await sql.raw(`ALTER DATABASE "${name}" SET search_path = public, crm`).execute(database.db);
      other = createDatabase(database.url, { poolSize: 1 });
      const [evento] = (await buildPayload(other.db, empresaId, 'evento.criado', 1)) ?? [];
      expect(evento?.dataAgendamento).toEqual({ data: '2026-12-10 09:00', tipo: null });
    } finally {
      await other?.destroy();
      await database.drop();
    }
  });

  it.each(['postgres', 'mysql'] as const)('reads a column altered to a zone-less type while the process runs (%s)', async (dialect) => {
    const database = await createTestDatabase(dialect);
    try {
      const { db } = database;
      const empresaId = await createEmpresa(db, 'Datas alter');
      // First the column holds text (or an instant): the payload is built once, the table's columns read.
      const before = dialect === 'postgres' ? 'timestamptz' : 'varchar(30)';
      await sql
        .raw(`ALTER TABLE eventos ${dialect === 'postgres' ? 'ALTER COLUMN data_vencimento TYPE' : 'MODIFY data_vencimento'} ${before}`)
        .execute(db);
      const first = dialect === 'postgres' ? '2026-12-10 12:00:00+00' : '2026-12-10 09:00:00';
      await sql`INSERT INTO eventos (id, empresa_id, tipo, data_vencimento) VALUES (1, ${empresaId}, 'visita', ${first})`.execute(db);
      await buildPayload(db, empresaId, 'evento.criado', 1);
      const after = dialect === 'postgres' ? 'timestamp without time zone' : 'datetime';
      await sql
        .raw(`ALTER TABLE eventos ${dialect === 'postgres' ? 'ALTER COLUMN data_vencimento TYPE' : 'MODIFY data_vencimento'} ${after}`)
        .execute(db);
      await sql`UPDATE eventos SET data_vencimento = '2026-12-10 09:00:00' WHERE id = 1`.execute(db);
      const [evento] = (await buildPayload(db, empresaId, 'evento.criado', 1)) ?? [];
      expect(evento?.dataAgendamento).toEqual({ data: '2026-12-10 09:00', tipo: null });
    } finally {
      await database.drop();
    }
  });
});
