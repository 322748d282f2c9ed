import { createEmpresa, createFilial, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// The red-team findings on the API (redteam report 4, 5, 6, 13, 14), each tried with another tenant's (or another
// filial's) key and ids: a filial key publishes only rows it can see, crm-change enqueues nothing for a row the caller
// cannot see, control characters in parametros are refused, *.localhost is loopback, and path ids are plain digits.
describe('red-team findings on the API', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let keyA: string;
  let keyFilial1: string;
  let keyB: string;
  let setA: number;
  let setB: number;
  let filial1: number;
  let filial2: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const { db } = database;
    const empresaA = await createEmpresa(db, 'Faculdade A');
    const empresaB = await createEmpresa(db, 'Faculdade B');
    filial1 = await createFilial(db, empresaA, 'Centro');
    filial2 = await createFilial(db, empresaA, 'Norte');
    keyA = await issueApiKey(db, empresaA, null, 'a');
    keyFilial1 = await issueApiKey(db, empresaA, filial1, 'a-filial-1');
    keyB = await issueApiKey(db, empresaB, null, 'b');
    const integracao = (empresa: number, nome: string) =>
      db
        .insertInto('integracao')
        .values({ empresa_id: empresa, nome, tipo_servico: 'SET', tabela: 'contas', parametros_obrigatorios: 'contaId' } as never)
        .returning('id')
        .executeTakeFirstOrThrow();
    setA = (await integracao(empresaA, 'SET-CONTAS-A')).id;
    setB = (await integracao(empresaB, 'SET-CONTAS-B')).id;
    await db
      .insertInto('contas')
      .values([
        { id: 1, empresa_id: empresaA, nome: 'Conta A' },
        { id: 2, empresa_id: empresaA, empresa_filial_id: filial1, nome: 'Conta A filial 1' },
        { id: 3, empresa_id: empresaA, empresa_filial_id: filial2, nome: 'Conta A filial 2' },
        { id: 11, empresa_id: empresaB, nome: 'Conta B' },
      ] as never)
      .execute();
    await db
      .insertInto('contatos')
      .values([
        { id: 1, empresa_id: empresaA, nome: 'Ana (empresa)' },
        { id: 2, empresa_id: empresaA, empresa_filial_id: filial1, nome: 'Bia (filial 1)' },
        { id: 3, empresa_id: empresaA, empresa_filial_id: filial2, nome: 'Caio (filial 2)' },
        { id: 4, empresa_id: empresaB, nome: 'Duda (B)' },
      ] as never)
      .execute();
    ingress = await startTestIngress(database);
    const hook = await call(keyA, 'POST', '/v1/webhooks', {
      nome: 'ERP',
      url: 'https://erp.exemplo.com.br/hook',
      gatilhos: ['contato.criado'],
    });
    expect(hook.statusCode).toBe(201);
    expect(
      (await call(keyB, 'POST', '/v1/webhooks', { nome: 'B', url: 'https://b.exemplo.com.br/h', gatilhos: ['contato.criado'] })).statusCode,
    ).toBe(201);
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const call = (key: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown, lang?: string) =>
    ingress.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(lang ? { 'accept-language': lang } : {}) },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const change = (key: string, payload: Record<string, unknown>, lang?: string) =>
    call(key, 'POST', '/v1/events/crm-change', payload, lang);
  const setJobs = () => ingress.producer.queue('set').getJobCounts();

  describe('finding 4: a filial key publishes only the rows its filial can see', () => {
    it("another filial's contato (and another empresa's) is NO_ROW: nothing delivered", async () => {
      for (const id of [3, 4]) {
        const res = await change(keyFilial1, { tabela: 'contatos', id, operacao: 'criado' });
        expect(res.statusCode).toBe(202);
        expect(res.json().webhooks).toMatchObject({ gatilho: 'contato.criado', entregas: [], motivo: { code: 'NO_ROW' } });
      }
    });

    it("its own filial's contato and the empresa-wide one are published; the empresa key publishes every filial's", async () => {
      for (const [key, id] of [
        [keyFilial1, 2],
        [keyFilial1, 1],
        [keyA, 3],
      ] as const) {
        const res = await change(key, { tabela: 'contatos', id, operacao: 'criado' });
        expect(res.json().webhooks).toMatchObject({ gatilho: 'contato.criado', entregas: [expect.any(Number)] });
      }
    });
  });

  describe('finding 5: crm-change enqueues nothing for a row the caller cannot see', () => {
    it("another empresa's conta is skipped with the reason (pt-BR and en), no job", async () => {
      const before = await setJobs();
      const res = await change(keyA, { tabela: 'contas', id: 11 });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({
        jobs: [],
        refused: [],
        skipped: [
          {
            integracaoId: setA,
            missing: [],
            motivo: {
              code: 'ROW_NOT_VISIBLE',
              message: 'a linha contas #11 não existe nesta empresa (ou pertence a outra filial); nada foi enfileirado',
            },
          },
        ],
      });
      const en = (await change(keyA, { tabela: 'contas', id: '11' }, 'en')).json();
      expect(en.skipped[0].motivo.message).toBe(
        'row contas #11 does not exist in this empresa (or belongs to another filial); nothing was enqueued',
      );
      // B's own key runs B's integration on it.
      expect((await change(keyB, { tabela: 'contas', id: 11 })).json().jobs).toEqual([{ integracaoId: setB, jobId: expect.any(String) }]);
      const after = await setJobs();
      expect(Object.values(after).reduce((a, b) => a + b, 0)).toBe(Object.values(before).reduce((a, b) => a + b, 0) + 1);
    });

    it("a filial key's event on another filial's conta is skipped; its own and the empresa-wide one are enqueued", async () => {
      expect((await change(keyFilial1, { tabela: 'contas', id: 3 })).json()).toMatchObject({
        jobs: [],
        skipped: [{ integracaoId: setA, motivo: { code: 'ROW_NOT_VISIBLE' } }],
      });
      for (const id of [1, 2]) {
        expect((await change(keyFilial1, { tabela: 'contas', id })).json()).toMatchObject({ jobs: [{ integracaoId: setA }], skipped: [] });
      }
    });
  });

  describe('finding 6: control characters in parametros are refused (400 naming the parameter)', () => {
    const refused = (res: { statusCode: number; json: () => { error: { code: string; message: string } } }, name: string) => {
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('CONTROL_CHARACTER');
      expect(res.json().error.message).toContain(`parâmetro ${name} inválido: contém um caractere de controle`);
    };

    it('run, preview and crm-change refuse a NUL, and enqueue nothing', async () => {
      const before = await setJobs();
      refused(await call(keyA, 'POST', `/v1/integrations/${setA}/run`, { parametros: { contaId: '1\u0000xyz' } }), 'contaId');
      refused(await call(keyA, 'POST', `/v1/integrations/${setA}/preview`, { parametros: { contaId: '1\u0000' } }), 'contaId');
      refused(await change(keyA, { tabela: 'contas', id: 1, parametros: { nota: 'a\u001bb' } }), 'nota');
      refused(await call(keyA, 'POST', `/v1/integrations/${setA}/run?contaId=1%00`), 'contaId');
      const en = await call(keyA, 'POST', `/v1/integrations/${setA}/run`, { parametros: { contaId: '1\u007f' } }, 'en');
      expect(en.json().error.message).toMatch(/^invalid parameter contaId: it holds a control character/);
      expect(await setJobs()).toEqual(before);
    });

    it("another tenant's integration id is still 404; tab and line breaks are text", async () => {
      expect((await call(keyB, 'POST', `/v1/integrations/${setA}/run`, { parametros: { contaId: '1\u0000' } })).statusCode).toBe(404);
      const ok = await call(keyA, 'POST', `/v1/integrations/${setA}/run`, { parametros: { contaId: '1', obs: 'a\tb\r\nc' } });
      expect(ok.statusCode).toBe(202);
    });
  });

  describe('finding 13: *.localhost is loopback (RFC 6761)', () => {
    it.each(['http://foo.localhost/', 'http://A.B.LOCALHOST:8080/h', 'http://foo.localhost./'])(
      '%s is refused on POST and PUT',
      async (url) => {
        const body = { nome: 's', url, gatilhos: ['contato.criado'] };
        const created = await call(keyA, 'POST', '/v1/webhooks', body);
        expect(created.statusCode).toBe(400);
        expect(created.json().error.code).toBe('WEBHOOK_URL_FORBIDDEN');
        expect(created.json().error.message).toContain('(loopback, a própria máquina)');
        const put = await call(keyA, 'PUT', '/v1/webhooks/1', body);
        expect(put.json().error.code).toBe('WEBHOOK_URL_FORBIDDEN');
        expect((await call(keyA, 'PATCH', '/v1/webhooks/1', { url })).json().error.code).toBe('WEBHOOK_URL_FORBIDDEN');
      },
    );

    it('a name merely containing localhost is not refused', async () => {
      const res = await call(keyA, 'POST', '/v1/webhooks', {
        nome: 'n',
        url: 'https://localhost.exemplo.com.br/h',
        gatilhos: ['contato.criado'],
      });
      expect(res.statusCode).toBe(201);
    });
  });

  describe('finding 14: ids in paths are plain digits', () => {
    it.each(['1e0', '0x1', '1.0', '+1', '%201'])('GET /v1/webhooks/%s is a 400, not webhook 1', async (id) => {
      const res = await call(keyA, 'GET', `/v1/webhooks/${id}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'params.id' });
      expect(res.json().error.message).toContain('deve ser um id só com dígitos (0-9)');
    });

    it('plain digits still work, and another tenant still gets 404', async () => {
      expect((await call(keyA, 'GET', '/v1/webhooks/1')).statusCode).toBe(200);
      expect((await call(keyA, 'GET', '/v1/webhooks/01')).statusCode).toBe(200);
      expect((await call(keyB, 'GET', '/v1/webhooks/1')).statusCode).toBe(404);
      expect((await call(keyA, 'GET', `/v1/integrations/${setA}e0`)).statusCode).toBe(400);
    });
  });
});
