import { issueListenerToken, saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// Seed 002's listeners take a file name from the URL; the CTI API takes a ramal the listener also takes.
describe('CTI routes: the listener file and the ramal', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let key: string;
  let keyOutra: string;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const acme = await createEmpresa(database.db, 'Acme');
    const outra = await createEmpresa(database.db, 'Outra');
    await saveCtiSettings(database.db, acme, {
      hostLabel: 'acme',
      allowAnyOrigin: true,
      pbxUrlTemplate: 'http://127.0.0.1:9/dial?de={ramal_origem}&para={numero_destino}',
      allowPrivateNetwork: true,
    });
    token = await issueListenerToken(database.db, acme);
    key = await issueApiKey(database.db, acme, null, 'test');
    keyOutra = await issueApiKey(database.db, outra, null, 'test');
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 2000, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  it('answers a file named like an Object member with the one 404, on both path forms and methods', async () => {
    const files = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'WConnect_WSDL_Outro.php'];
    const replies = [];
    for (const file of files) {
      for (const method of ['GET', 'POST'] as const) {
        const query = '?ramal=3501&telefone=11987654321';
        replies.push(await ingress.app.inject({ method, url: `/wconnect/${file}${query}`, headers: { host: 'acme.crm.test' } }));
        replies.push(await ingress.app.inject({ method, url: `/t/${token}/wconnect/${file}${query}` }));
      }
    }
    expect(replies.map((r) => r.statusCode)).toEqual(replies.map(() => 404));
    expect(new Set(replies.map((r) => r.body))).toEqual(
      new Set([JSON.stringify({ error: { code: 'NOT_FOUND', message: 'recurso não encontrado' } })]),
    );
    expect(await ingress.producer.queue('cti').getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
  });

  const auth = (k: string) => ({ authorization: `Bearer ${k}` });

  it('takes every ramal the listener takes for pop tokens, click-to-call and the calls filter', async () => {
    for (const ramal of ['3501', 'SIP-200', '*31#']) {
      const listened = await ingress.app.inject({
        url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=${encodeURIComponent(ramal)}&telefone=11987654321`,
        headers: { host: 'acme.crm.test' },
      });
      expect({ ramal, status: listened.statusCode }).toEqual({ ramal, status: 200 });
      const pop = await ingress.app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(key), payload: { ramal } });
      expect({ ramal, status: pop.statusCode }).toEqual({ ramal, status: 201 });
      const click = await ingress.app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: auth(key),
        payload: { ramal, numero: '3502' },
      });
      expect({ ramal, status: click.statusCode, body: click.json() }).toMatchObject({ ramal, status: 202 });
      const job = await ingress.producer.queue('cti').getJob(click.json().jobId as string);
      expect(job?.data).toMatchObject({ ramal });
      const calls = await ingress.app.inject({ url: `/v1/cti/calls?ramal=${encodeURIComponent(ramal)}`, headers: auth(key) });
      expect({ ramal, status: calls.statusCode }).toEqual({ ramal, status: 200 });
    }
    // Another empresa's key: its own (empty) call log, and no PBX of its own to call.
    const theirs = await ingress.app.inject({ url: '/v1/cti/calls?ramal=SIP-200', headers: auth(keyOutra) });
    expect(theirs.json()).toEqual({ calls: [], nextCursor: null });
    const refused = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(keyOutra),
      payload: { ramal: 'SIP-200', numero: '3502' },
    });
    expect(refused.statusCode).toBe(409);
  });

  it('refuses, as the listener does, a ramal with other signs or over 20 characters: 400 naming the field', async () => {
    for (const ramal of ['35 01', '3501!', 'ramal.1', '1'.repeat(21), '']) {
      const listened = await ingress.app.inject({
        url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=${encodeURIComponent(ramal)}&telefone=11987654321`,
        headers: { host: 'acme.crm.test' },
      });
      expect({ ramal, status: listened.statusCode }).toEqual({ ramal, status: 400 });
      const pop = await ingress.app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(key), payload: { ramal } });
      expect({ ramal, status: pop.statusCode, field: pop.json().error.field }).toEqual({ ramal, status: 400, field: 'body.ramal' });
      const click = await ingress.app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: auth(key),
        payload: { ramal, numero: '3502' },
      });
      expect({ ramal, status: click.statusCode, field: click.json().error.field }).toEqual({ ramal, status: 400, field: 'body.ramal' });
      const calls = await ingress.app.inject({ url: `/v1/cti/calls?ramal=${encodeURIComponent(ramal)}`, headers: auth(key) });
      expect({ ramal, status: calls.statusCode }).toEqual({ ramal, status: 400 });
    }
  });

  it('refuses a calls cursor past any row id with a 400 naming it (it reached the database: a 500)', async () => {
    const calls = await ingress.app.inject({ url: '/v1/cti/calls?cursor=9007199254740993', headers: auth(key) });
    expect([calls.statusCode, calls.json().error.field]).toEqual([400, 'querystring.cursor']);
  });

  it('takes strings only in the CTI bodies and words a refused numero or ramal without a regular expression (trial F9)', async () => {
    for (const ramal of [['201'], 201, { a: '201' }]) {
      const pop = await ingress.app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(key), payload: { ramal } });
      expect({ ramal, status: pop.statusCode, error: pop.json().error }).toEqual({
        ramal,
        status: 400,
        error: { code: 'VALIDATION_FAILED', field: 'body.ramal', message: 'campo "body.ramal" deve ser um texto' },
      });
    }
    const numero = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(key),
      payload: { ramal: '201', numero: '0xx11 98765-4321' },
    });
    expect(numero.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'body.numero',
      message: 'campo "body.numero" deve ter até 40 caracteres entre dígitos, espaços, +, (, ), . e -',
    });
    // "espaços" means the space: a tab, a line break or U+2028 is no sign a written number holds.
    for (const numero of ['11\t98765-4321', '11\n98765-4321', '11\u202898765-4321']) {
      const res = await ingress.app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: auth(key),
        payload: { ramal: '201', numero },
      });
      expect({ numero, status: res.statusCode, field: res.json().error?.field }).toEqual({ numero, status: 400, field: 'body.numero' });
    }
    const ramal = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/pop-tokens',
      headers: { ...auth(key), 'accept-language': 'en' },
      payload: { ramal: '20 1' },
    });
    expect(ramal.json().error.message).toBe('field "body.ramal" must have up to 20 letters, digits, *, # or -');
  });
  it("dedupes an agent's double click (same ramal and number within CTI_DEDUPE_WINDOW_MS), per empresa; the first 202 says deduplicated:false (trial CTI 3)", async () => {
    const terceira = await createEmpresa(database.db, 'Terceira');
    await saveCtiSettings(database.db, terceira, { pbxUrlTemplate: 'http://127.0.0.1:9/d?n={numero_destino}', allowPrivateNetwork: true });
    const keyTerceira = await issueApiKey(database.db, terceira, null, 'test');
    const click = (k: string, numero: string, ramal = '203') =>
      ingress.app.inject({ method: 'POST', url: '/v1/cti/click-to-call', headers: auth(k), payload: { ramal, numero } });
    const [first, second] = await Promise.all([click(key, '5130304040'), click(key, '(51) 3030-4040')]);
    const answers = [first.json(), second.json()].sort((a, b) => Number(a.deduplicated) - Number(b.deduplicated));
    expect(answers.map((a) => a.deduplicated)).toEqual([false, true]);
    expect(answers[1]).toMatchObject({ jobId: answers[0].jobId, callId: answers[0].callId });
    expect(answers[0].jobId).toBe(`c2c-1-${answers[0].callId}`);
    // Another ramal, or another empresa's same ramal and number: calls of their own.
    const otherRamal = (await click(key, '5130304040', '204')).json();
    const otherEmpresa = (await click(keyTerceira, '5130304040')).json();
    expect([otherRamal.deduplicated, otherEmpresa.deduplicated]).toEqual([false, false]);
    expect(new Set([answers[0].jobId, otherRamal.jobId, otherEmpresa.jobId]).size).toBe(3);
    const jobs = await ingress.producer.queue('cti').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => j.name === 'cti.click-to-call' && j.data.numero.replace(/\D/g, '') === '5130304040')).toHaveLength(3);
    // Past the window, the same click is a new call.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await click(key, '5130304040')).json()).toMatchObject({ deduplicated: false });
  });
  it('words an empty numero in one correct sentence (trial CTI 3)', async () => {
    const empty = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(key),
      payload: { ramal: '201', numero: '' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toBe('campo "body.numero" não pode ser vazio');
    const long = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(key),
      payload: { ramal: '201', numero: '1'.repeat(41) },
    });
    expect(long.json().error.message).toBe('campo "body.numero" deve ter no máximo 40 caracteres');
  });
});
