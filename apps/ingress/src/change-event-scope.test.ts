import { createEmpresa, createFilial, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// crm-change's chaveIdempotencia belongs to the key scope that sent it (a filial, or the whole empresa) and to its
// first body: another filial's chave is its own event, and the same chave with another body is refused. The real
// ingress on loopback (port 3161) over PostgreSQL.
describe('crm-change chaveIdempotencia: scoped to the caller and bound to the body', () => {
  const PORT = 3161;
  let database: TestDatabase;
  let ingress: TestIngress;
  let keyF1: string;
  let keyF2: string;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const { db } = database;
    const a = await createEmpresa(db, 'A');
    const f1 = await createFilial(db, a, 'F1');
    const f2 = await createFilial(db, a, 'F2');
    keyF1 = await issueApiKey(db, a, f1, 'f1');
    keyF2 = await issueApiKey(db, a, f2, 'f2');
    keyA = await issueApiKey(db, a, null, 'a');
    keyB = await issueApiKey(db, await createEmpresa(db, 'B'), null, 'b');
    await db
      .insertInto('contatos')
      .values([
        { id: 2, empresa_id: a, empresa_filial_id: f1, nome: 'Bia (filial 1)' },
        { id: 3, empresa_id: a, empresa_filial_id: f2, nome: 'Caio (filial 2)' },
      ] as never)
      .execute();
    ingress = await startTestIngress(database);
    await ingress.app.listen({ port: PORT, host: '127.0.0.1' });
    const hook = await call(keyA, { nome: 'A hook', url: 'https://a.exemplo.com.br/h', gatilhos: ['contato.criado'] }, '/v1/webhooks');
    expect(hook.status).toBe(201);
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const call = async (key: string, payload: object, path = '/v1/events/crm-change', idempotencyKey?: string) => {
    const res = await fetch(`http://127.0.0.1:${PORT}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body: JSON.stringify(payload),
    });
    return { status: res.status, json: JSON.parse(await res.text()) };
  };
  const sentFor = async (id: string) => database.db.selectFrom('webhook_mensagens').select('id').where('registro_id', '=', id).execute();

  it("another filial's chave is its own event: filial 1's real event is sent, never answered with filial 2's", async () => {
    const pre = await call(keyF2, { tabela: 'contatos', id: 3, operacao: 'criado', chaveIdempotencia: 'contatos-2-criado' });
    expect(pre.status).toBe(202);
    const own = await call(keyF1, { tabela: 'contatos', id: 2, operacao: 'criado', chaveIdempotencia: 'contatos-2-criado' });
    expect(own.status).toBe(202);
    expect(own.json.deduplicated).toBe(false);
    expect(own.json.webhooks.entregas).toHaveLength(1);
    expect(JSON.stringify(own.json)).not.toBe(JSON.stringify({ ...pre.json, deduplicated: true }));
    expect(await sentFor('2')).toHaveLength(1);
    expect(await sentFor('3')).toHaveLength(1);
    // Each filial's replay answers its own first answer.
    const replay = await call(keyF1, { tabela: 'contatos', id: 2, operacao: 'criado', chaveIdempotencia: 'contatos-2-criado' });
    expect(replay.json).toEqual({ ...own.json, deduplicated: true });
    expect(await sentFor('2')).toHaveLength(1);
    // The empresa's key is a scope of its own too; another tenant's as well.
    expect((await call(keyA, { tabela: 'contatos', id: 2, chaveIdempotencia: 'contatos-2-criado' })).json.deduplicated).toBe(false);
    expect((await call(keyB, { tabela: 'contatos', id: 2, chaveIdempotencia: 'contatos-2-criado' })).json.deduplicated).toBe(false);
  });

  it('the same chave with another body: 422 CHANGE_KEY_REUSED (pt-BR), nothing sent; an unknown tabela: its 400 first', async () => {
    const first = await call(keyF2, { tabela: 'contatos', id: 3, operacao: 'criado', chaveIdempotencia: 'k-body' });
    expect(first.status).toBe(202);
    const before = (await sentFor('3')).length;
    const other = await call(keyF2, { tabela: 'contatos', id: 3, operacao: 'alterado', chaveIdempotencia: 'k-body' });
    expect(other.status).toBe(422);
    expect(other.json.error).toEqual({
      code: 'CHANGE_KEY_REUSED',
      message: expect.stringMatching(/^esta chave de idempotência já foi usada/),
    });
    const otherParams = await call(keyF2, {
      tabela: 'contatos',
      id: 3,
      operacao: 'criado',
      parametros: { x: '1' },
      chaveIdempotencia: 'k-body',
    });
    expect(otherParams.status).toBe(422);
    const unknown = await call(keyF2, { tabela: 'nao_existe', id: 3, chaveIdempotencia: 'k-body' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('CHANGE_TABLE_INVALID');
    expect((await sentFor('3')).length).toBe(before);
    // The first body is still a replay.
    const replay = await call(keyF2, { tabela: 'contatos', id: 3, operacao: 'criado', chaveIdempotencia: 'k-body' });
    expect(replay.json).toEqual({ ...first.json, deduplicated: true });
  });

  it('the same event spelled another way is a replay, not another body: id 3 or "3", operacao left to its default, tabela in any case', async () => {
    const first = await call(keyF2, { tabela: 'contatos', id: 3, chaveIdempotencia: 'k-spelling' });
    expect(first.status).toBe(202);
    const before = (await sentFor('3')).length;
    for (const body of [
      { tabela: 'contatos', id: '3', chaveIdempotencia: 'k-spelling' },
      { tabela: 'contatos', id: 3, operacao: 'alterado', chaveIdempotencia: 'k-spelling' },
      { tabela: 'Contatos', id: '003', operacao: 'alterado', chaveIdempotencia: 'k-spelling' },
    ]) {
      const replay = await call(keyF2, body);
      expect({ body, status: replay.status }).toEqual({ body, status: 202 });
      expect(replay.json).toEqual({ ...first.json, deduplicated: true });
    }
    expect((await sentFor('3')).length).toBe(before);
    // Another operacao is still another event.
    expect((await call(keyF2, { tabela: 'contatos', id: 3, operacao: 'criado', chaveIdempotencia: 'k-spelling' })).status).toBe(422);

    // The same with the key in the Idempotency-Key header (bound by the ingress before the route runs).
    const byHeader = await call(keyF2, { tabela: 'contatos', id: 3 }, undefined, 'k-header-spelling');
    expect(byHeader.status).toBe(202);
    for (const body of [
      { tabela: 'contatos', id: '3' },
      { tabela: 'Contatos', id: '003', operacao: 'alterado' },
    ]) {
      const replay = await call(keyF2, body, undefined, 'k-header-spelling');
      expect({ body, status: replay.status }).toEqual({ body, status: 202 });
      expect(replay.json.deduplicated).toBe(true);
    }
    expect((await sentFor('3')).length).toBe(before);
    expect((await call(keyF2, { tabela: 'contatos', id: 3, operacao: 'criado' }, undefined, 'k-header-spelling')).status).toBe(422);
  });

  it("a claim written before the upgrade (scope 0, no impressao) still answers a filial's retry of its chave", async () => {
    const first = await call(keyF1, { tabela: 'contatos', id: 2, operacao: 'criado', chaveIdempotencia: 'k-legacy' });
    expect(first.status).toBe(202);
    const before = (await sentFor('2')).length;
    // As migration 019 left a claim of the old version: under scope 0, without a fingerprint.
    await database.db
      .updateTable('crm_mudancas')
      .set({ filial_escopo: 0, impressao: null } as never)
      .where('chave', '=', 'k-legacy')
      .execute();
    const retry = await call(keyF1, { tabela: 'contatos', id: 2, operacao: 'criado', chaveIdempotencia: 'k-legacy' });
    expect(retry.status).toBe(202);
    expect(retry.json).toEqual({ ...first.json, deduplicated: true });
    expect((await sentFor('2')).length).toBe(before);
    // A claim the empresa's key makes now (scope 0, with its fingerprint) stays the empresa's own.
    const empresa = await call(keyA, { tabela: 'contatos', id: 2, operacao: 'criado', chaveIdempotencia: 'k-empresa-now' });
    expect(empresa.status).toBe(202);
    const filial = await call(keyF1, { tabela: 'contatos', id: 2, operacao: 'criado', chaveIdempotencia: 'k-empresa-now' });
    expect(filial.json.deduplicated).toBe(false);
  });
});
