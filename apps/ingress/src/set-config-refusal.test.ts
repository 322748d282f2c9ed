import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// A SET whose configuration lint calls an error every run of it fails on was admitted (202) and failed in worker-set.
// POST /v1/integrations/:id/run (the dashboard's "run" too) refuses it at once: 422 SET_CONFIG in the caller's language,
// nothing enqueued; another tenant's key still gets 404 for the same id.
describe('POST run of a misconfigured SET: 422 SET_CONFIG, 404 for another tenant', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;
  let otherKey: string;
  let setId: number;
  let campoId: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    const empresa = await createEmpresa(db, 'Faculdade A');
    key = await issueApiKey(db, empresa, null, 'a');
    otherKey = await issueApiKey(db, await createEmpresa(db, 'Faculdade B'), null, 'b');
    setId = (
      await db
        .insertInto('integracao')
        .values({ empresa_id: empresa, nome: 'SET-CONTAS', tipo_servico: 'SET', tabela: 'contas', ativo: 1, ordem: 0 } as never)
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    // Typographic quotes a JSON parser cannot read past: every push fails mapping the record.
    campoId = (
      await db
        .insertInto('campos_integracao')
        .values({ integracao_id: setId, campo_crm: '{“nome”: "#nome#"', ordem: 0 })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    ingress = await startTestIngress(database);
  });

  afterAll(async () => {
    await ingress?.close();
    await database?.drop();
  });

  const run = (apiKey: string, language: string) =>
    ingress.app.inject({
      method: 'POST',
      url: `/v1/integrations/${setId}/run`,
      headers: { authorization: `Bearer ${apiKey}`, 'accept-language': language },
      payload: { parametros: {} },
    });

  it('answers 422 naming the row, column and problem in one language, enqueues nothing; 404 to another tenant', async () => {
    const pt = await run(key, 'pt-BR');
    expect(pt.statusCode).toBe(422);
    expect(pt.json().error.code).toBe('SET_CONFIG');
    expect(pt.json().error.message).toMatch(
      new RegExp(
        `^a integração SET #${setId} \\(SET-CONTAS\\) está mal configurada: campos_integracao #${campoId} coluna campo_crm: JSON inválido: tem aspas tipográficas .+ \\[TYPOGRAPHIC_QUOTES\\]; nada foi enfileirado \\(\`config lint\` aponta a linha\\)$`,
      ),
    );
    const en = await run(key, 'en');
    expect(en.statusCode).toBe(422);
    expect(en.json().error.message).toMatch(
      new RegExp(
        `^SET integration #${setId} \\(SET-CONTAS\\) is misconfigured: campos_integracao #${campoId} column campo_crm: invalid JSON: it has typographic quotes .+ \\[TYPOGRAPHIC_QUOTES\\]; nothing was enqueued`,
      ),
    );
    expect(en.json().error.message).not.toMatch(/aspas|integração/);
    // Another tenant's key, the same id: not its integration, nothing said of the configuration.
    const other = await run(otherKey, 'pt-BR');
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('NOT_FOUND');
    expect(other.json().error.message).not.toMatch(/campo_crm|SET-CONTAS/);
    expect(await ingress.producer.queue('set').count()).toBe(0);
    // Fixed, the run is enqueued.
    await database.db.updateTable('campos_integracao').set({ campo_crm: '{"nome": "#nome#"}' }).where('id', '=', campoId).execute();
    expect((await run(key, 'pt-BR')).statusCode).toBe(202);
  });
});
