import { claimExecucao, RecordBusyError } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { compileStatement } from '../template';
import type { CompiledSetDefinition } from './compile-set';
import { heldRecordsOf } from './held-records';
import type { PreparedRecord } from './prepare-set';

// On MySQL/MariaDB `registro` compares with utf8mb4_bin, a PAD SPACE collation: the hold of `id7 ` is the hold of
// record `id7` for the lookup and for the in-flight index alike, so the run must see it held (not claim it and wait).
describe('heldRecordsOf on mysql', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    await database?.drop();
  });

  const definition = {
    integracao: { id: 1 },
    compiled: { writeBack: { statement: compileStatement('UPDATE contas SET id_erp = #codCli# WHERE id = #id#', 'mysql') } },
  } as unknown as CompiledSetDefinition;
  const record = (key: string): PreparedRecord => ({ key, identified: true, values: { id: 7 }, body: {}, fields: [], link: '' });

  it('takes the hold of a key differing by trailing spaces as the record’s hold, as the in-flight index does', async () => {
    const { db } = database;
    const inserted = await db
      .insertInto('integracao_execucoes')
      .values({
        empresa_id: 1,
        integracao_id: 1,
        chave: 'set:1:j1:id7 ',
        job_id: 'j1',
        registro: 'id7 ',
        status: 'concluido',
        tentativas: 1,
        retido: 1,
        retorno_ausente: 'codCli',
      })
      .executeTakeFirstOrThrow();
    const ctx = { db, dialect: 'mysql' as const, empresaId: 1, definition, parametros: {} };

    const held = await heldRecordsOf(ctx, [record('id7'), record('id8')]);
    expect([...held.values()]).toEqual([{ key: 'id7', keys: ['codCli'], jobId: 'j1', execucaoId: Number(inserted.insertId) }]);
    // Not taken as held, the record's claim would meet that hold on the index: the job would wait for it for ever.
    const claim = claimExecucao(db, { empresaId: 1, integracaoId: 1, chave: 'set:1:j2:id7', jobId: 'j2', registro: 'id7' });
    await expect(claim).rejects.toBeInstanceOf(RecordBusyError);
  });
});
