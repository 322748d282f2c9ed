import { validateRecords, writeContatos, writeEventos } from '@integrador/integrador';
import { createEmpresa, type DialectName } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { contato } from '@integrador/test-support/seed-003';
import { buildPayload } from '@integrador/webhooks';
import { sql } from 'kysely';

// A seed 003 evento at 09:00 Brasília time, synced from a JSON endpoint into the CRM, must come out of its seed 004
// webhook at 09:00 on every dialect, whatever the column keeps (an instant or the CRM's wall clock).
const CASES: { dialect: DialectName; column: string; prepare?: string }[] = [
  ...ALL_DIALECTS.map((dialect) => ({ dialect, column: 'the hub schema' })),
  // A CRM's own zone-less column on PostgreSQL (the hub's migrations make it timestamptz).
  {
    dialect: 'postgres',
    column: 'timestamp without time zone',
    prepare: 'ALTER TABLE eventos ALTER COLUMN data_vencimento TYPE timestamp without time zone',
  },
];

describe.each(CASES)('seed 003 evento date → seed 004 payload on $dialect ($column)', ({ dialect, prepare }) => {
  let database: TestDatabase;
  let empresaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaId = await createEmpresa(database.db, 'Relógio');
    if (prepare) await sql.raw(prepare).execute(database.db);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('stores "2026-12-10 09:00:00", reads it back and prints "2026-12-10 09:00"', async () => {
    const contatos = validateRecords('contato', [{ ...contato(1), dataNascimento: '1998-05-19' }]);
    await writeContatos(database, empresaId, contatos.valid);
    const eventos = validateRecords('evento', [
      { codContato: 'C1', codRegistro: 'R-0900', descricao: 'Visita', dataVencimento: '2026-12-10 09:00:00' },
    ]);
    expect(eventos.errors).toEqual([]);
    const stored = await database.db
      .selectFrom('contatos')
      .select('id')
      .where('empresa_id', '=', empresaId)
      .where('codigo', '=', 'C1')
      .executeTakeFirstOrThrow();
    const ids = new Map([['C1', Number(stored.id)]]);
    expect(await writeEventos(database, empresaId, 7, eventos.valid, ids)).toEqual({ novos: 1, repetidos: 0 });
    const row = await database.db
      .selectFrom('eventos')
      .select('id')
      .where('empresa_id', '=', empresaId)
      .where('cod_registro', '=', 'R-0900')
      .executeTakeFirstOrThrow();
    const [evento] = (await buildPayload(database.db, empresaId, 'evento.criado', Number(row.id))) ?? [];
    expect(evento?.dataAgendamento).toEqual({ data: '2026-12-10 09:00', tipo: null });
    // Guard: the birth date (a `date` column, written as the seed's text) is the calendar date sent.
    const [payload] = (await buildPayload(database.db, empresaId, 'contato.criado', Number(stored.id))) ?? [];
    expect(payload?.dataNascimento).toBe('1998-05-19');
  });
});
