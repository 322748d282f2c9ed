import { issueListenerToken, normalizePhone, saveCtiSettings } from '@integrador/cti';
import { createEmpresa, issueApiKey, timestampValue } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { startTestIngress, type TestIngress } from '../../../test/support/test-ingress';

// The call-log API (trial findings 3) and the listeners' HEAD (trial finding 4).
describe('CTI call log API and listener HEAD', () => {
  let database: TestDatabase;
  let ingress: TestIngress;
  let acme: number;
  let outra: number;
  let key: string;
  let keyOutra: string;
  let token: string;
  const ids: Record<string, number> = {};

  async function seedCall(empresaId: number, name: string, telefone: string, inicio: string, extra: { semInicio?: boolean } = {}) {
    const phone = normalizePhone(telefone);
    const row = await database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: empresaId,
        ramal: '201',
        telefone,
        telefone_normalizado: phone.kind === 'nacional' || phone.kind === 'internacional' ? phone.e164 : phone.digits,
        chave_telefone: phone.key,
        direcao: 'entrada',
        status: 'finalizada',
        inicio: timestampValue(database.db, new Date(inicio)),
        sem_inicio: extra.semInicio ? 1 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids[name] = Number(row.id);
  }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    acme = await createEmpresa(database.db, 'Acme');
    outra = await createEmpresa(database.db, 'Outra');
    await saveCtiSettings(database.db, acme, { hostLabel: 'acme', allowAnyOrigin: true });
    token = await issueListenerToken(database.db, acme);
    key = await issueApiKey(database.db, acme, null, 'test');
    keyOutra = await issueApiKey(database.db, outra, null, 'test');
    // 09:30 in São Paulo (UTC-3) is 12:30 UTC.
    await seedCall(acme, 'mobile', '(11) 98765-4321', '2026-12-01T12:30:00Z');
    await seedCall(acme, 'landline', '4732100123', '2026-12-01T15:00:00Z');
    await seedCall(acme, 'sameSuffix', '2198765-4321', '2026-12-01T16:00:00Z');
    await seedCall(outra, 'theirs', '11987654321', '2026-12-01T12:30:00Z');
    ingress = await startTestIngress(database, {
      deps: { cti: { domain: 'crm.test', trustedProxies: [], dedupeWindowMs: 0, callTimeoutMs: 60000, popTokenTtlMs: 60000 } },
    });
  });

  afterAll(async () => {
    await ingress.close();
    await database.drop();
  });

  const auth = (k: string, lang?: string) => ({ authorization: `Bearer ${k}`, ...(lang ? { 'accept-language': lang } : {}) });
  const list = (query: string, k = key, lang?: string) => ingress.app.inject({ url: `/v1/cti/calls${query}`, headers: auth(k, lang) });
  const listedIds = (body: { items: Array<{ id: number }> }) => body.items.map((c) => c.id);

  it('answers {items} as every list does, with calls as a deprecated alias of the same list', async () => {
    const res = await list('');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(listedIds(body)).toEqual([ids.sameSuffix, ids.landline, ids.mobile]);
    expect(body.calls).toEqual(body.items);
    expect(body.nextCursor).toBeNull();
  });

  it('filters by telefone in any form the normalizer reads, matched on the stored E.164, bound to the tenant', async () => {
    for (const telefone of ['11987654321', '(11) 98765-4321', '+55 11 98765-4321', '011 98765-4321', '5511987654321', '1187654321']) {
      const res = await list(`?telefone=${encodeURIComponent(telefone)}`);
      expect({ telefone, ids: listedIds(res.json()) }).toEqual({ telefone, ids: [ids.mobile] });
    }
    expect(listedIds((await list(`?telefone=${encodeURIComponent('+55 47 3210-0123')}`)).json())).toEqual([ids.landline]);
    // Without a DDD only the last 8 digits are known: every call ending with them.
    expect(listedIds((await list('?telefone=987654321')).json())).toEqual([ids.sameSuffix, ids.mobile]);
    // Another tenant's call of the same number is never listed, and its own is.
    expect(listedIds((await list('?telefone=11987654321', keyOutra)).json())).toEqual([ids.theirs]);
  });

  it("reads an unencoded '+' in the telefone filter as the listener does: another country's number, not DDD 21", async () => {
    await seedCall(acme, 'foreign', '+1 212 555 0100', '2026-11-15T12:00:00Z');
    await seedCall(acme, 'rio', '(21) 2555-0100', '2026-11-15T13:00:00Z');
    try {
      // '+1 212 555 0100' sent as typed: the query string's '+' is a space.
      expect(listedIds((await list('?telefone=+1%20212%20555%200100')).json())).toEqual([ids.foreign]);
      expect(listedIds((await list(`?telefone=${encodeURIComponent('+1 212 555 0100')}`)).json())).toEqual([ids.foreign]);
      expect(listedIds((await list(`?telefone=${encodeURIComponent('(21) 2555-0100')}`)).json())).toEqual([ids.rio]);
    } finally {
      await database.db
        .deleteFrom('ligacoes')
        .where('id', 'in', [ids.foreign ?? 0, ids.rio ?? 0])
        .execute();
    }
  });

  it('refuses a telefone no rule reads as a number with a 400 naming the field', async () => {
    const res = await list('?telefone=123456');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'CTI_INVALID_PHONE_FILTER',
      message:
        'campo "querystring.telefone": "123456" não é um telefone que o hub reconheça; envie DDD + número em qualquer forma ((11) 98765-4321, 011 98765-4321, +55 11 98765-4321), o número sem DDD ou um ramal',
    });
    const letters = await list('?telefone=abc');
    expect([letters.statusCode, letters.json().error.field]).toEqual([400, 'querystring.telefone']);
  });

  it('takes dates with their time zone and refuses one without, saying why (never read in a zone nobody chose)', async () => {
    // 09:00 in São Paulo is 12:00 UTC: the 12:30 UTC call is after it, the others too.
    expect(listedIds((await list(`?from=${encodeURIComponent('2026-12-01T09:00:00-03:00')}&to=2026-12-01T13:00:00Z`)).json())).toEqual([
      ids.mobile,
    ]);
    for (const value of ['2026-12-01T09:00:00', '2026-12-01', '2026-12-01 09:00']) {
      const res = await list(`?from=${encodeURIComponent(value)}`);
      expect({ value, status: res.statusCode, error: res.json().error }).toEqual({
        value,
        status: 400,
        error: {
          code: 'VALIDATION_FAILED',
          field: 'querystring.from',
          message:
            'campo "querystring.from" deve ter data e hora ISO 8601 com fuso horário, como 2026-12-01T09:00:00-03:00 ou 2026-12-01T12:00:00Z (sem fuso, o instante seria ambíguo)',
        },
      });
    }
    const en = await list('?to=2026-12-01T09:00:00', key, 'en');
    expect(en.json().error.message).toBe(
      'field "querystring.to" must have an ISO 8601 date-time with its time zone, such as 2026-12-01T09:00:00-03:00 or 2026-12-01T12:00:00Z (without one, the instant would be ambiguous)',
    );
    // A zone but no real day: still refused.
    expect((await list('?from=2026-02-30T09:00:00Z')).statusCode).toBe(400);
  });

  it("answers one call by id, and an unknown or another tenant's id with the API's one 404", async () => {
    const own = await ingress.app.inject({ url: `/v1/cti/calls/${ids.mobile}`, headers: auth(key) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: ids.mobile, telefoneNormalizado: '+5511987654321', semInicio: false });
    const notFound = { error: { code: 'NOT_FOUND', message: 'recurso não encontrado' } };
    for (const id of [ids.theirs, 999999]) {
      const res = await ingress.app.inject({ url: `/v1/cti/calls/${id}`, headers: auth(key) });
      expect({ id, status: res.statusCode, body: res.json() }).toEqual({ id, status: 404, body: notFound });
    }
    // The same words as another route's 404 (a job of another tenant).
    const job = await ingress.app.inject({ url: '/v1/jobs/cti/nao-existe', headers: auth(key) });
    expect(job.json()).toEqual(notFound);
    const en = await ingress.app.inject({ url: `/v1/cti/calls/${ids.theirs}`, headers: auth(key, 'en') });
    expect(en.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'resource not found' } });
    expect((await ingress.app.inject({ url: '/v1/cti/calls/abc', headers: auth(key) })).statusCode).toBe(400);
  });

  describe('HEAD on the listener URLs (a PBX health check)', () => {
    const START = '/wconnect/WConnect_WSDL_ConsultaRamal.php';
    const counts = () => ingress.producer.queue('cti').getJobCounts('waiting', 'delayed', 'prioritized', 'active');
    const total = async () => Object.values(await counts()).reduce((a, b) => a + b, 0);

    it('answers as GET would, with no body and no event recorded', async () => {
      const before = await total();
      for (const url of [`${START}?ramal=201&telefone=11987654321`, `/t/${token}${START}?ramal=201&telefone=11987654321`]) {
        const head = await ingress.app.inject({ method: 'HEAD', url, headers: { host: 'acme.crm.test' } });
        expect({ url, status: head.statusCode, body: head.body }).toEqual({ url, status: 200, body: '' });
        expect(head.headers['content-type']).toMatch(/^text\/plain/);
      }
      expect(await total()).toBe(before);
      // The GET it stands for records the event.
      const get = await ingress.app.inject({ url: `${START}?ramal=201&telefone=11987654321`, headers: { host: 'acme.crm.test' } });
      expect([get.statusCode, get.body]).toEqual([200, 'OK']);
      expect(await total()).toBe(before + 1);
    });

    it('answers the bare URL (an uptime check: no ramal, telefone or url_audio) 200, no body, no event recorded', async () => {
      const before = await total();
      for (const url of [START, `${START}?`, `/t/${token}${START}`, '/wconnect/WConnect_WSDL_FinalizaLigacao.php']) {
        const head = await ingress.app.inject({ method: 'HEAD', url, headers: { host: 'acme.crm.test' } });
        expect({ url, status: head.statusCode, body: head.body }).toEqual({ url, status: 200, body: '' });
      }
      expect(await total()).toBe(before);
      // The GET of the bare URL is still the PBX's mistake it was: a 400 naming the parameters.
      expect((await ingress.app.inject({ url: START, headers: { host: 'acme.crm.test' } })).statusCode).toBe(400);
    });

    it('answers a refusal with its GET status (404 unknown tenant, 400 bad parameters), no body', async () => {
      const before = await total();
      const unknown = await ingress.app.inject({
        method: 'HEAD',
        url: `${START}?ramal=201&telefone=1`,
        headers: { host: 'nada.crm.test' },
      });
      expect([unknown.statusCode, unknown.body]).toEqual([404, '']);
      const file = await ingress.app.inject({ method: 'HEAD', url: '/wconnect/outro.php', headers: { host: 'acme.crm.test' } });
      expect([file.statusCode, file.body]).toEqual([404, '']);
      // No ramal (a missing telefone is a withheld caller id, taken: trial 3, finding 2).
      const bad = await ingress.app.inject({ method: 'HEAD', url: `${START}?telefone=11987654321`, headers: { host: 'acme.crm.test' } });
      expect([bad.statusCode, bad.body]).toEqual([400, '']);
      expect(await total()).toBe(before);
    });
  });
});
