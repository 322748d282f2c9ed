import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { addReceptorIntegration, CONTA, SET_WS_CONTAS_CAMPO, seedSetWsContas } from './fixtures/set-ws-contas';
import { type SetPipeline, type SetReceptors, startSetPipeline, startSetReceptors } from './support/set-receptors';

/**
 * A CRM `date` column (cliente_desde) and a timestamptz (cadastro_timestamp) mapped into a SET request: the receptor
 * gets the CRM's day and its Brasília wall clock, whole or inside text — never an empty SOAP element or a UTC instant.
 */
describe('CRM dates in SET requests', () => {
  let receptors: SetReceptors;
  let pipeline: SetPipeline;
  let database: TestDatabase;
  let empresaId: number;

  beforeAll(async () => {
    receptors = await startSetReceptors((table) => table.addColumn('cadastro', sql`timestamp NULL DEFAULT NULL`));
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedSetWsContas(database.db));
    await database.db
      .updateTable('contas')
      .set({ cliente_desde: sql`'2020-02-29'::date`, cadastro_timestamp: sql`'2020-03-01 00:30:00-03'::timestamptz` } as never)
      .where('id', '=', CONTA.id)
      .execute();
    pipeline = await startSetPipeline(database, empresaId, receptors.connections, 1);
  });

  afterAll(async () => {
    await pipeline.close();
    await database.drop();
    await receptors.close();
  });

  async function pushes(integracaoId: number) {
    const settled = await pipeline.run(integracaoId, { contaId: CONTA.id });
    expect(settled.job.failedReason ?? null).toBeNull();
    return settled.job.returnvalue as { records: { values: Record<string, unknown> }[] };
  }

  it('sends a date column as its day and a timestamptz as its Brasília wall clock in a SOAP envelope', async () => {
    const campo = {
      dadosGeraisCliente: {
        ...SET_WS_CONTAS_CAMPO.dadosGeraisCliente,
        intNet: '#cliente_desde#',
        insMun: 'desde #cliente_desde#',
        fonCl3: '#cadastro_timestamp#',
      },
    };
    await database.db
      .updateTable('campos_integracao')
      .set({ campo_crm: JSON.stringify(campo) })
      .where('integracao_id', '=', 19)
      .execute();
    const result = await pushes(19);
    const customer = receptors.erp.customers.get(result.records[0]?.values.codCli as number);
    // 2020-03-01 00:30 in Brasília is 03:30Z: the ERP gets the Brasília wall clock with its offset, the same instant.
    expect(customer).toMatchObject({ intNet: '2020-02-29', insMun: 'desde 2020-02-29', fonCl3: '2020-03-01T00:30:00-03:00' });
  });

  it('sends the same texts in a REST/JSON body', async () => {
    await addReceptorIntegration(database.db, empresaId, {
      id: 20,
      nome: 'SET-API-CONTAS',
      link: 'POST /api/clientes',
      conexao: { id: 4, tipo: 'API', nome: 'crm_api' },
      // documento: the receptor refuses a customer without one.
      campo: { documento: '#cnpj#', desde: '#cliente_desde#', cadastro: '#cadastro_timestamp#', texto: 'desde #cliente_desde#' },
    });
    await pushes(20);
    expect(receptors.api.received.at(-1)).toEqual({
      documento: CONTA.cnpj,
      desde: '2020-02-29',
      cadastro: '2020-03-01T00:30:00-03:00',
      texto: 'desde 2020-02-29',
    });
  });

  it('tells a date column from a timestamp by the column, not the value: a timestamp at midnight is an instant, not a day', async () => {
    // Midnight in the worker's zone: what a DATE column reads as, and what the value alone cannot tell apart.
    const midnight = new Date(2021, 5, 1);
    await database.db
      .updateTable('contas')
      .set({ cliente_desde: sql`'2021-06-01'::date`, cadastro_timestamp: midnight } as never)
      .where('id', '=', CONTA.id)
      .execute();
    await pushes(20);
    const sent = receptors.api.received.at(-1) as { desde: string; cadastro: string };
    expect(sent.desde).toBe('2021-06-01');
    expect(sent.cadastro).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-03:00$/);
    expect(new Date(sent.cadastro).getTime()).toBe(midnight.getTime());
  });

  it('binds a timestamptz to a database receptor as the instant it is (a TIMESTAMP column in a UTC session keeps it)', async () => {
    await database.db
      .updateTable('contas')
      .set({ cadastro_timestamp: sql`'2020-03-01 00:30:00-03'::timestamptz` } as never)
      .where('id', '=', CONTA.id)
      .execute();
    await addReceptorIntegration(database.db, empresaId, {
      id: 21,
      nome: 'SET-BD-CONTAS',
      link: 'clientes_erp',
      conexao: { id: 5, tipo: 'BD', nome: 'erp_db' },
      campo: { cadastro: '#cadastro_timestamp#' },
      indiceArray: 'parameters',
      sqlUpdate: null,
      ordem: 2,
    });
    await pushes(21);
    const rows = await receptors.target.db
      .selectFrom('clientes_erp' as never)
      .selectAll()
      .execute();
    expect(rows).toEqual([{ id: 1, cadastro: new Date('2020-03-01T03:30:00Z') }]);
  });
});
