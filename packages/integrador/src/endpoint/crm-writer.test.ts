import { createEmpresa, type DialectName, ORIGEM_CRM } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { CONTATO_EXEMPLO, contato, EVENTO_EXEMPLO } from '@integrador/test-support/seed-003';
import { sql } from 'kysely';
import { contatoIdsByCodigo, eventoChave, writeContatos, writeEventos } from './crm-writer';
import { type ValidRecord, validateRecords } from './payload-validation';

function valid(tipo: 'contato' | 'evento', records: unknown[]): ValidRecord[] {
  const result = validateRecords(tipo, records);
  expect(result.errors).toEqual([]);
  return result.valid;
}

// Brasília's 14:30 and 09:00 as each dialect keeps them: PostgreSQL's timestamptz as an instant (shown in Brasília
// time), MySQL's DATETIME as the wall clock the CRM reads, SQLite as ISO text in UTC.
const STORED_1430: Record<DialectName, string> = {
  postgres: '2024-03-10 14:30:00',
  mysql: '2024-03-10 14:30:00',
  sqlite: '2024-03-10T17:30:00.000Z',
};
const STORED_0900: Record<DialectName, string> = {
  postgres: '2026-12-10 09:00:00',
  mysql: '2026-12-10 09:00:00',
  sqlite: '2026-12-10T12:00:00.000Z',
};

describe.each(ALL_DIALECTS)('seed 003 CRM writes on %s', (dialect) => {
  let database: TestDatabase;
  let a: number;
  let b: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    a = await createEmpresa(database.db, 'A');
    b = await createEmpresa(database.db, 'B');
  });
  afterAll(async () => {
    await database.drop();
  });

  const contatosOf = (empresaId: number) =>
    database.db.selectFrom('contatos').selectAll().where('empresa_id', '=', empresaId).orderBy('codigo').execute();
  const eventosOf = (empresaId: number) =>
    database.db.selectFrom('eventos').selectAll().where('empresa_id', '=', empresaId).orderBy('id').execute();

  /** The stored value as text: MySQL's DATETIME as the wall clock written, PostgreSQL's timestamptz in Brasília time. */
  const storedData = async (empresaId: number, codRegistro: string, column: 'data' | 'data_vencimento' = 'data') => {
    const value =
      dialect === 'postgres'
        ? sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'America/Sao_Paulo', 'YYYY-MM-DD HH24:MI:SS')`
        : dialect === 'mysql'
          ? sql<string>`DATE_FORMAT(${sql.ref(column)}, '%Y-%m-%d %H:%i:%s')`
          : sql<string>`${sql.ref(column)}`;
    const row = await database.db
      .selectFrom('eventos')
      .select(value.as('v'))
      .where('empresa_id', '=', empresaId)
      .where('cod_registro', '=', codRegistro)
      .executeTakeFirstOrThrow();
    return row.v;
  };

  it('upserts contatos by (empresa, codigo): new ones inserted, known ones updated, other tenants untouched', async () => {
    expect(await writeContatos(database, a, valid('contato', [CONTATO_EXEMPLO, contato(1)]))).toEqual({ novos: 2, atualizados: 0 });
    expect(await writeContatos(database, b, valid('contato', [{ ...contato(1), nome: 'Outro tenant' }]))).toEqual({
      novos: 1,
      atualizados: 0,
    });
    const changed = { ...contato(1), nome: 'Contato Um Renomeado', telefonePrincipal: '55(47) 999998888' };
    expect(await writeContatos(database, a, valid('contato', [changed, contato(2)]))).toEqual({ novos: 1, atualizados: 1 });
    const rows = await contatosOf(a);
    expect(rows.map((r) => [r.codigo, r.nome, r.telefone])).toEqual([
      ['34985761', 'Luís Arthur Roberto Souza', '55(31)26582323'],
      ['C1', 'Contato Um Renomeado', '55(47) 999998888'],
      ['C2', 'Contato 2', null],
    ]);
    expect((await contatosOf(b)).map((r) => r.nome)).toEqual(['Outro tenant']);
  });

  it('gives a contato sent without origem the CRM origin, and keeps the one an endpoint sends (seed 003)', async () => {
    await writeContatos(database, a, valid('contato', [contato(4), { ...contato(5), origem: '7' }]));
    const dados = async (codigo: string) =>
      JSON.parse((await contatosOf(a)).find((r) => r.codigo === codigo)?.dados ?? '{}') as { origem?: unknown };
    expect((await dados('C4')).origem).toBe(ORIGEM_CRM);
    expect((await dados('C5')).origem).toBe(7);
  });

  it('keeps the last of two records with the same codigo in one payload', async () => {
    await writeContatos(
      database,
      a,
      valid('contato', [
        { ...contato(3), nome: 'primeiro' },
        { ...contato(3), nome: 'último' },
      ]),
    );
    expect((await contatosOf(a)).find((r) => r.codigo === 'C3')?.nome).toBe('último');
  });

  it('writes eventos linked to their contato, idempotent by content and by codRegistro', async () => {
    const ids = await contatoIdsByCodigo(database.db, a, ['34985761', 'C1', 'nao-existe']);
    expect([...ids.keys()].sort()).toEqual(['34985761', 'C1']);
    const first = valid('evento', [EVENTO_EXEMPLO, { codContato: 'C1', codRegistro: 'R-1', descricao: 'v1', data: '2024-03-10 14:30:00' }]);
    expect(await writeEventos(database, a, 7, first, ids)).toEqual({ novos: 2, repetidos: 0 });
    const second = valid('evento', [
      EVENTO_EXEMPLO,
      { codContato: 'C1', codRegistro: 'R-1', descricao: 'v2', data: '2024-03-10 14:30:00' },
    ]);
    expect(await writeEventos(database, a, 7, second, ids)).toEqual({ novos: 0, repetidos: 2 });
    const rows = await eventosOf(a);
    expect(rows).toHaveLength(2);
    const registro = rows.find((r) => r.cod_registro === 'R-1');
    expect(registro).toMatchObject({
      descricao: 'v2',
      contato_id: ids.get('C1'),
      chave: 'reg:R-1',
      servico_endpoint_id: 7,
      origem: 'servico_endpoint:7',
    });
    expect(await storedData(a, 'R-1')).toBe(STORED_1430[dialect]);
    expect(rows.find((r) => r.cod_registro === null)?.chave).toBe(eventoChave(first[0]?.data as Record<string, unknown>));
    expect(await eventosOf(b)).toEqual([]);
  });

  it('stores a seed-003 date/time as the CRM reads it: the Brasília wall clock (a zone-less DATETIME on MySQL)', async () => {
    const ids = await contatoIdsByCodigo(database.db, a, ['C1']);
    const record = { codContato: 'C1', codRegistro: 'R-0900', data: '2026-12-10 09:00:00', dataVencimento: '2026-12-10 09:00:00' };
    await writeEventos(database, a, 7, valid('evento', [record]), ids);
    expect(await storedData(a, 'R-0900')).toBe(STORED_0900[dialect]);
    expect(await storedData(a, 'R-0900', 'data_vencimento')).toBe(STORED_0900[dialect]);
  });

  it('skips eventos whose contato the caller did not find', async () => {
    const result = await writeEventos(database, a, 7, valid('evento', [{ codContato: 'nao-existe' }]), new Map());
    expect(result).toEqual({ novos: 0, repetidos: 0 });
  });

  it('writes 1000 contatos in one set-based call', async () => {
    const records = valid(
      'contato',
      Array.from({ length: 1000 }, (_, i) => contato(5000 + i)),
    );
    expect(await writeContatos(database, b, records)).toEqual({ novos: 1000, atualizados: 0 });
    expect(await contatosOf(b)).toHaveLength(1001);
  });
});
