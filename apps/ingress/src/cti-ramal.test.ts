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
    // Click-to-call takes the ramal of an active usuario of the caller's empresa only.
    const ramais = ['3501', 'SIP-200', '*31#', '201', '203', '204'];
    await database.db
      .insertInto('usuarios')
      .values(ramais.map((ramal) => ({ empresa_id: acme, nome: `Agente ${ramal}`, ramal })))
      .execute();
    await database.db.insertInto('usuarios').values({ empresa_id: acme, nome: 'Inativo', ramal: '299', ativo: 0 }).execute();
    // Another empresa with a PBX of its own and its own agent: the wall is the ramal check's, not a missing template.
    await saveCtiSettings(database.db, outra, { pbxUrlTemplate: 'http://127.0.0.1:9/d?n={numero_destino}', allowPrivateNetwork: true });
    await database.db.insertInto('usuarios').values({ empresa_id: outra, nome: 'Agente da Outra', ramal: '7001' }).execute();
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
    // Another empresa's key: its own (empty) call log, and Acme's ramal is no ramal of its own to call from.
    const theirs = await ingress.app.inject({ url: '/v1/cti/calls?ramal=SIP-200', headers: auth(keyOutra) });
    expect(theirs.json()).toEqual({ items: [], calls: [], nextCursor: null });
    const refused = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(keyOutra),
      payload: { ramal: 'SIP-200', numero: '3502' },
    });
    expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'CTI_UNKNOWN_RAMAL']);
  });

  it('reads a padded ramal or a PBX channel (SIP/201, PJSIP/201-0000001a) as the extension, at the listener and the API (trial finding 1)', async () => {
    const jobs = async () => (await ingress.producer.queue('cti').getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data);
    for (const [given, ramal] of [
      ['201 ', '201'],
      [' 203', '203'],
      ['SIP/204', '204'],
      ['PJSIP/3501-0000001a', '3501'],
      ['Local/201@from-internal', '201'],
      // Only Asterisk's suffix is dropped: an extension named with a '-' is not cut at it (it was read as ramal SIP).
      ['SIP/SIP-200', 'SIP-200'],
      ['PJSIP/SIP-200-0000001a', 'SIP-200'],
    ] as const) {
      const telefone = `119876${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
      const listened = await ingress.app.inject({
        url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=${encodeURIComponent(given)}&telefone=${telefone}`,
        headers: { host: 'acme.crm.test' },
      });
      expect({ given, status: listened.statusCode }).toEqual({ given, status: 200 });
      expect((await jobs()).find((d) => d.telefone === telefone)).toMatchObject({ ramal });
      const pop = await ingress.app.inject({ method: 'POST', url: '/v1/cti/pop-tokens', headers: auth(key), payload: { ramal: given } });
      expect({ given, status: pop.statusCode }).toEqual({ given, status: 201 });
      const click = await ingress.app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: auth(key),
        payload: { ramal: given, numero: telefone },
      });
      expect({ given, status: click.statusCode }).toEqual({ given, status: 202 });
      const job = await ingress.producer.queue('cti').getJob(click.json().jobId as string);
      expect({ given, ramal: job?.data.ramal }).toEqual({ given, ramal });
      const calls = await ingress.app.inject({ url: `/v1/cti/calls?ramal=${encodeURIComponent(given)}`, headers: auth(key) });
      expect({ given, status: calls.statusCode }).toEqual({ given, status: 200 });
    }
    // A channel naming no ramal the rule takes, or spaces inside: refused, the message naming the channel form too.
    for (const given of ['SIP/', 'SIP/20 1', 'XMPP/201', '20 1']) {
      const listened = await ingress.app.inject({
        url: `/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=${encodeURIComponent(given)}&telefone=11987654321`,
        headers: { host: 'acme.crm.test', 'accept-language': 'en' },
      });
      expect({ given, status: listened.statusCode }).toEqual({ given, status: 400 });
      expect(listened.json().error.message).toContain('SIP/201 or PJSIP/201-0000001a is extension 201');
    }
  });

  it("refuses click-to-call from a ramal no active usuario of the calling empresa has: unknown, inactive or another empresa's (trial finding 2)", async () => {
    const before = (await ingress.producer.queue('cti').getJobs(['waiting', 'delayed', 'prioritized'])).length;
    for (const [k, ramal] of [
      [key, '3999'],
      [key, '299'],
      [key, '7001'],
      [keyOutra, '3501'],
    ] as const) {
      const click = await ingress.app.inject({
        method: 'POST',
        url: '/v1/cti/click-to-call',
        headers: auth(k),
        payload: { ramal, numero: '11 98765-4321' },
      });
      expect({ ramal, status: click.statusCode, error: click.json().error }).toEqual({
        ramal,
        status: 400,
        error: {
          code: 'CTI_UNKNOWN_RAMAL',
          message: `campo "body.ramal": o ramal "${ramal}" não é de nenhum usuário ativo desta empresa; use o ramal de um usuário cadastrado (usuarios.ramal)`,
        },
      });
    }
    const english = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: { ...auth(key), 'accept-language': 'en' },
      payload: { ramal: 'SIP/7001', numero: '11 98765-4321' },
    });
    expect(english.json().error.message).toBe(
      'field "body.ramal": extension "7001" belongs to no active user of this empresa; use the extension of a registered user (usuarios.ramal)',
    );
    expect((await ingress.producer.queue('cti').getJobs(['waiting', 'delayed', 'prioritized'])).length).toBe(before);
    // The other empresa's own agent calls from its own ramal.
    const own = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(keyOutra),
      payload: { ramal: '7001', numero: '11 98765-4321' },
    });
    expect(own.statusCode).toBe(202);
  });

  it("says when a click-to-call number is an extension longer than the empresa's ramal length (PBXs use 5-digit ones)", async () => {
    const refused = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(key),
      payload: { ramal: '201', numero: '20101' },
    });
    expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'CTI_NUMBER_TOO_SHORT']);
    expect(refused.json().error.message).toBe(
      'campo "body.numero": "20101" não é um número que se possa discar: tem 5 dígitos, mais que um ramal desta empresa (até 4) e menos que um telefone (DDD + número); se o PABX usa ramais de 5 dígitos, o operador do hub deve ajustar com integrador cti configure <empresa> --ramal-length 5',
    );
    const extension = await ingress.app.inject({
      method: 'POST',
      url: '/v1/cti/click-to-call',
      headers: auth(key),
      payload: { ramal: '201', numero: '2010' },
    });
    expect(extension.statusCode).toBe(202);
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
    expect(ramal.json().error.message).toBe(
      'field "body.ramal" must have up to 20 letters, digits, *, # or - (the PBX channel will do too: SIP/201 or PJSIP/201-0000001a is extension 201)',
    );
  });
  it("dedupes an agent's double click (same ramal and number within CTI_DEDUPE_WINDOW_MS), per empresa; the first 202 says deduplicated:false (trial CTI 3)", async () => {
    const terceira = await createEmpresa(database.db, 'Terceira');
    await saveCtiSettings(database.db, terceira, { pbxUrlTemplate: 'http://127.0.0.1:9/d?n={numero_destino}', allowPrivateNetwork: true });
    await database.db.insertInto('usuarios').values({ empresa_id: terceira, nome: 'Agente', ramal: '203' }).execute();
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
