import http from 'node:http';
import net from 'node:net';
import { allowLoopbackOutbound } from '@integrador/connections';
import { freePort } from '@integrador/test-support/ports';
import type { CtiSettings } from '../settings/cti-settings.repository';
import { sendPbxRequest } from './pbx-client';
import { buildPbxRequest } from './pbx-request';
import { pbxTemplateProblem, revealedPbxUrl } from './pbx-template';

const settings = (urlTemplate: string): CtiSettings => ({
  empresaId: 7,
  hostLabel: null,
  hasToken: false,
  allowlist: [],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${NOME} reference an operator types
  pbx: { method: 'GET', urlTemplate, auth: 'token_url', user: null, secretRef: '${PBX}', paramName: 'chave' },
  dialPrefix: '0',
  ramalLength: 4,
  allowPrivateNetwork: true,
});
const env = { CTI_SECRET_7_PBX: 's3cr3t-do-pabx' };
const call = { ramal: '3501', numero: '(47) 3210-0123' };

// Only {name} is a placeholder: FreeSWITCH's channel variables {var=value,…} are the PBX's own syntax (trial 3, finding 1).
describe('click-to-call: the PBX template’s braces', () => {
  it('sends FreeSWITCH channel variables as written and fills the placeholders inside them', () => {
    const template =
      'http://10.0.0.9:8080/webapi/originate?{ignore_early_media=true,origination_caller_id_number={ramal_origem}}user/{ramal_origem}%20{numero_destino}%20XML%20default';
    expect(pbxTemplateProblem(template)).toBeUndefined();
    const request = buildPbxRequest({ ...settings(template), pbx: { ...settings(template).pbx, auth: 'nenhuma' } }, call, env);
    expect(request.url).toBe(
      'http://10.0.0.9:8080/webapi/originate?{ignore_early_media=true,origination_caller_id_number=3501}user/3501%2004732100123%20XML%20default',
    );
    expect(
      pbxTemplateProblem('http://10.0.0.9:8080/webapi/originate?{ignore_early_media=true}user/{ramal_origem}%20{numero_destino}'),
    ).toBeUndefined();
  });

  it('still names a placeholder typo (a name alone in braces) and a template with no number', () => {
    expect(pbxTemplateProblem('http://pabx/dial?de={ramal}&para={numero_destino}')).toEqual({ problem: 'placeholder', name: '{ramal}' });
    expect(pbxTemplateProblem('http://pabx/dial?para={numero-destino}')).toEqual({ problem: 'placeholder', name: '{numero-destino}' });
    expect(pbxTemplateProblem('http://pabx/originate?{a=b}user/{ramal_origem}')).toEqual({ problem: 'no-number' });
  });
});

// The PBX URL is sent whole; what errors, ligacoes.erro, the job's result and the CLI show is shownUrl's form.
describe('click-to-call: the PBX URL as shown', () => {
  it('masks every query value (the token_url secret, a static key of the template, the numbers) and the userinfo', () => {
    const request = buildPbxRequest(
      settings('http://adm:senha-url@10.0.0.9/dial?de={ramal_origem}&para={numero_destino}&key=fixa'),
      call,
      env,
    );
    expect(request.url).toBe('http://adm:senha-url@10.0.0.9/dial?de=3501&para=04732100123&key=fixa&chave=s3cr3t-do-pabx');
    expect(request.shownUrl).toBe('http://10.0.0.9/dial?de=***&para=***&key=***&chave=***');
    expect(request.dialled).toBe('04732100123');
  });

  it('the URL the CLI prints (cti show, test-pbx) keeps the numbers but masks every secret: path token, key=, user:p@ss (rev9b L3)', () => {
    const template =
      'https://admin:p@ss@10.0.0.9/api/9f8Kq2LmZ7xR4tB1vN6c/call?de={ramal_origem}&para={numero_destino}&key=Ab12Cd34Ef56Gh78&sig=fixa';
    const request = buildPbxRequest(settings(template), call, env);
    expect(request.revealedUrl).toBe('https://10.0.0.9/api/***/call?de=3501&para=04732100123&key=***&sig=***&chave=***');
    expect(revealedPbxUrl(template)).toBe('https://10.0.0.9/api/***/call?de={ramal_origem}&para={numero_destino}&key=***&sig=***');
    // What the PBX may echo of them is masked in its answer too.
    expect(request.secrets).toEqual(expect.arrayContaining(['p@ss', '9f8Kq2LmZ7xR4tB1vN6c', 'Ab12Cd34Ef56Gh78', 'fixa', 's3cr3t-do-pabx']));
  });

  // rev11a #6, trial #4: the log lines' "unusual value" rule hid `PJSIP/{ramal_origem}` and the FreeSWITCH command.
  it('shows the ARI and FreeSWITCH templates (cti show) and their requests (test-pbx) as written; only secrets masked', () => {
    const ari =
      'http://127.0.0.1:8082/ari/channels?endpoint=PJSIP/{ramal_origem}&extension={numero_destino}&context=from-internal&callerId=CRM%20{ramal_origem}&timeout=30';
    expect(revealedPbxUrl(ari)).toBe(ari);
    const basic = (template: string) => {
      const base = settings(template);
      return { ...base, pbx: { ...base.pbx, auth: 'basic' as const, user: 'crm' } };
    };
    const ariRequest = buildPbxRequest(basic(ari), call, env);
    expect(ariRequest.revealedUrl).toBe(
      'http://127.0.0.1:8082/ari/channels?endpoint=PJSIP/3501&extension=04732100123&context=from-internal&callerId=CRM%203501&timeout=30',
    );
    const freeswitch =
      'http://127.0.0.1:8082/webapi/originate?{origination_caller_id_number={ramal_origem}}user/{ramal_origem}%20{numero_destino}%20XML%20default';
    expect(revealedPbxUrl(freeswitch)).toBe(freeswitch);
    expect(buildPbxRequest(basic(freeswitch), call, env).revealedUrl).toBe(
      'http://127.0.0.1:8082/webapi/originate?{origination_caller_id_number=3501}user/3501%2004732100123%20XML%20default',
    );
    // The static values are no secrets of the PBX's answer either: only the basic credentials are.
    const named = basic(`${ari}&callerName=Jo%C3%A3o&nota=a+b&cb=https%3A%2F%2Fcrm.example.com%2Fok`);
    expect(buildPbxRequest(named, call, env).secrets).toEqual(ariRequest.secrets);
    expect(ariRequest.secrets.join(' ')).not.toMatch(/João|a b|crm\.example|PJSIP/);
  });

  it('keeps masking the secrets written in a template: password, token, key, a userinfo, one inside a callback URL', () => {
    const template =
      'https://admin:p@ss@10.0.0.9/originate?endpoint=SIP/{ramal_origem}&password=abc&token=t1&x-key=k1&key[]=k2&api-key=k3&id=Qw7Er5Ty3Ui1Op9As{ramal_origem}&cb=https%3A%2F%2Fu%3Apw%40crm%2Fok&next=https%3A%2F%2Fcrm%2Fok%3Fsig%3Ds1&n={numero_destino}';
    expect(revealedPbxUrl(template)).toBe(
      'https://10.0.0.9/originate?endpoint=SIP/{ramal_origem}&password=***&token=***&x-key=***&key[]=***&api-key=***&id=***&cb=***&next=***&n={numero_destino}',
    );
    const base = settings(template);
    const request = buildPbxRequest({ ...base, pbx: { ...base.pbx, auth: 'nenhuma' } }, call, env);
    expect(request.secrets.sort()).toEqual(['abc', 'https://crm/ok?sig=s1', 'https://u:pw@crm/ok', 'k1', 'k2', 'k3', 'p@ss', 't1'].sort());
  });

  it("refuses to save a template whose password holds a '/' (what comes before it is no host[:port])", () => {
    expect(pbxTemplateProblem('https://admin:s3/nh@pbx.local/dial?n={numero_destino}')).toEqual({ problem: 'credentials' });
    expect(pbxTemplateProblem('https://admin:p@ss@pbx.local/dial?n={numero_destino}')).toEqual({ problem: 'credentials' });
    expect(pbxTemplateProblem('https://pbx.local/dial?n={numero_destino}&de=joao@pbx')).toBeUndefined();
  });

  it("takes a SIP URI or Asterisk's channel@context in the path, and keeps the PBX's answer whole", async () => {
    const sip = 'http://pbx.local/api/call/sip:{ramal_origem}@pbx.local?n={numero_destino}';
    const context = 'http://pbx:8080/dial/{ramal_origem}@from-internal?n={numero_destino}';
    for (const template of [sip, context]) {
      expect(pbxTemplateProblem(template)).toBeUndefined();
      expect(revealedPbxUrl(template)).toBe(template);
    }
    // The filled URL holds no secret: a masker of the PBX's answer would have cut the ramal (3501) out of it.
    const base = settings(context);
    const request = buildPbxRequest({ ...base, pbx: { ...base.pbx, auth: 'nenhuma' } }, call, env);
    expect(request.secrets).toEqual([]);
  });

  it('names the PBX as shown when it cannot be reached, and when the template gives no URL', async () => {
    const port = await freePort();
    const request = buildPbxRequest(settings(`http://adm:senha-url@127.0.0.1:${port}/dial?para={numero_destino}`), call, env);
    const unreachable = await sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs: 1000 }).catch((err: Error) => err);
    expect(unreachable).toMatchObject({ code: 'PBX_UNREACHABLE', permanent: false });
    expect((unreachable as Error).message).toBe(
      `the PBX at http://127.0.0.1:${port}/dial?para=***&chave=*** could not be reached (ECONNREFUSED)`,
    );

    const broken = buildPbxRequest(settings('http://[pabx/dial?para={numero_destino}'), call, env);
    const invalid = await sendPbxRequest(broken, { allowPrivateNetwork: true, timeoutMs: 1000 }).catch((err: Error) => err);
    expect(invalid).toMatchObject({ code: 'PBX_URL_INVALID', permanent: true });
    expect(JSON.stringify({ ...(invalid as object), message: (invalid as Error).message })).not.toMatch(/s3cr3t|04732100123/);
  });

  it("masks the credentials the PBX echoes in its answer (token_url's secret, the URL's password, a header's value)", async () => {
    const server = http.createServer((req, res) =>
      res.writeHead(400).end(`recusado ${req.url} ${req.headers.authorization ?? ''} ${req.headers['x-pabx'] ?? ''}`),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const request = buildPbxRequest(settings(`http://adm:senha-url@127.0.0.1:${port}/dial?para={numero_destino}`), call, env);
      const refused = await sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs: 1000 }).catch((err: Error) => err);
      expect(refused).toMatchObject({ code: 'PBX_REFUSED' });
      expect((refused as Error).message).toBe('the PBX answered 400: recusado /dial?para=04732100123&chave=*** ***');
      const header = buildPbxRequest(
        (() => {
          const base = settings(`http://127.0.0.1:${port}/dial?para={numero_destino}`);
          return { ...base, pbx: { ...base.pbx, auth: 'header' as const, paramName: 'X-Pabx' } };
        })(),
        call,
        env,
      );
      const byHeader = await sendPbxRequest(header, { allowPrivateNetwork: true, timeoutMs: 1000 }).catch((err: Error) => err);
      expect((byHeader as Error).message).toBe('the PBX answered 400: recusado /dial?para=04732100123  ***');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('masks only the secrets the request carries: with auth nenhuma or basic the dialled number stays in the answer', async () => {
    const server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '-';
      const para = new URL(req.url ?? '/', 'http://pabx').searchParams.get('para');
      res.writeHead(400).end(`chamada para ${para} recusada (${decoded})`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const withAuth = (auth: 'nenhuma' | 'basic') => {
        const base = settings(`http://127.0.0.1:${port}/dial?para={numero_destino}`);
        return { ...base, pbx: { ...base.pbx, auth, user: 'adm' } };
      };
      const none = await send(buildPbxRequest(withAuth('nenhuma'), call, env));
      expect((none as Error).message).toBe('the PBX answered 400: chamada para 04732100123 recusada (-)');
      const basic = await send(buildPbxRequest(withAuth('basic'), call, env));
      expect((basic as Error).message).toBe('the PBX answered 400: chamada para 04732100123 recusada (***)');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("masks a secret written in the template's own query (senha=, token=) when the PBX echoes it; the numbers stay", async () => {
    const server = http.createServer((req, res) => res.writeHead(req.url?.includes('ok=1') ? 200 : 400).end(`pedido ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const withStatic = (extra: string) => {
        const base = settings(`http://127.0.0.1:${port}/dial?para={numero_destino}&senha=S3nh4-fixa&token=tok%2Festatico${extra}`);
        return { ...base, pbx: { ...base.pbx, auth: 'nenhuma' as const } };
      };
      const refused = await send(buildPbxRequest(withStatic(''), call, env));
      expect((refused as Error).message).toBe('the PBX answered 400: pedido /dial?para=04732100123&senha=***&token=***');
      const placed = await sendPbxRequest(buildPbxRequest(withStatic('&ok=1'), call, env), { allowPrivateNetwork: true, timeoutMs: 1000 });
      expect(placed.body).toBe('pedido /dial?para=04732100123&senha=***&token=***&ok=1');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // Review rev2 #2: every static query value of 3+ characters was masked, `tronco=100` too, and the kept answer named
  // the call `04732***123`. Only secret-named parameters' values are secrets.
  it('keeps a short non-secret static value (tronco=100) in the answer and the number it appears in; a secret-named one is masked', async () => {
    const server = http.createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://pabx').searchParams;
      res.end(JSON.stringify({ status: 'ok', chamada: query.get('para'), tronco: query.get('tronco'), chave: query.get('api_key') }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const base = settings(`http://127.0.0.1:${port}/originate?action=dial&tronco=100&api_key=Chave-fixa-9&para={numero_destino}`);
      const request = buildPbxRequest({ ...base, pbx: { ...base.pbx, auth: 'nenhuma' } }, call, env);
      expect(request.secrets).toEqual(['Chave-fixa-9']);
      const placed = await sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs: 1000 });
      expect(placed.body).toBe('{"status":"ok","chamada":"04732100123","tronco":"100","chave":"***"}');
      expect(request.dialled).toBe('04732100123');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a PBX on loopback is refused with the private network allowed, unless the operator opened loopback: nothing is sent', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('discando');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    allowLoopbackOutbound(false);
    try {
      const { port } = server.address() as net.AddressInfo;
      for (const host of ['127.0.0.1', 'localhost']) {
        const refused = await send(buildPbxRequest(settings(`http://${host}:${port}/dial?para={numero_destino}`), call, env));
        expect(refused).toMatchObject({ code: 'PBX_ADDRESS_FORBIDDEN', permanent: true, params: { range: 'loopback' } });
        expect((refused as Error).message).toMatch(/the hub's own machine .*OUTBOUND_ALLOW_LOOPBACK=true$/);
      }
      expect(hits).toBe(0);
      allowLoopbackOutbound(true);
      await expect(
        sendPbxRequest(buildPbxRequest(settings(`http://127.0.0.1:${port}/dial?para={numero_destino}`), call, env), {
          allowPrivateNetwork: true,
          timeoutMs: 1000,
        }),
      ).resolves.toMatchObject({ status: 200 });
      expect(hits).toBe(1);
    } finally {
      allowLoopbackOutbound(true);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('shows a redirect target without its query values', async () => {
    const server = http.createServer((_req, res) => res.writeHead(302, { location: 'http://outro/x?token=s3cr3t' }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const request = buildPbxRequest(settings(`http://127.0.0.1:${port}/dial?para={numero_destino}`), call, env);
      const refused = await sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs: 1000 }).catch((err: Error) => err);
      expect(refused).toMatchObject({ code: 'PBX_REFUSED' });
      expect((refused as Error).message).toContain('a redirect to http://outro/x?token=***; redirects are not followed');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('masks the PBX key a redirect echoes in its Location, whatever the case of the host, and JSON-escaped in the body', async () => {
    const key = env.CTI_SECRET_7_PBX;
    const server = http.createServer((_req, res) =>
      res
        .writeHead(302, { location: `http://${key.toUpperCase()}.pbx.example/${key}/x` })
        .end(`{"erro":"chave \\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}"}`),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const request = buildPbxRequest(settings(`http://127.0.0.1:${port}/dial?para={numero_destino}`), call, env);
      const refused = await sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs: 1000 }).catch((err: Error) => err);
      expect(refused).toMatchObject({ code: 'PBX_REFUSED' });
      expect((refused as Error).message).toBe(
        'the PBX answered 302, a redirect to http://***.pbx.example/***/x; redirects are not followed: {"erro":"chave ***"}',
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** A PBX double on loopback: `handle` gets each request; every request's path is kept. */
async function pbxDouble(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    seen,
    request: buildPbxRequest(settings(`http://127.0.0.1:${port}/dial?para={numero_destino}`), call, env),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const send = (request: ReturnType<typeof buildPbxRequest>, timeoutMs = 1000) =>
  sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs }).catch((err: Error) => err);

// A click-to-call job retries a transient failure: only one where the PBX cannot have had the request may be one, or
// the same call rings twice.
describe('click-to-call: what may be sent again', () => {
  it('a connection reset after the request was sent fails for good: the PBX may have dialled', async () => {
    const pbx = await pbxDouble((req) => req.socket.destroy());
    try {
      const failed = await send(pbx.request);
      expect(failed).toMatchObject({ code: 'PBX_OUTCOME_UNKNOWN', permanent: true });
      expect((failed as Error).message).toMatch(/^outcome unknown: the PBX may have dialled; check before trying again \(.*ECONNRESET\)$/);
      expect((failed as Error).message).not.toMatch(/s3cr3t|04732100123/);
      expect(pbx.seen).toHaveLength(1);
    } finally {
      await pbx.close();
    }
  });

  it('a 2xx status then a reset or a stall mid-body is placed: the PBX took the call on', async () => {
    const pbx = await pbxDouble((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('ok, discando', () => {
        if (pbx.seen.length === 1) res.socket?.destroy();
      });
    });
    try {
      expect(await send(pbx.request)).toMatchObject({ status: 200, body: 'ok, discando' });
      // The second answer stalls: no more of the body within the timeout.
      expect(await send(pbx.request, 300)).toMatchObject({ status: 200, body: 'ok, discando' });
      expect(pbx.seen).toHaveLength(2);
    } finally {
      await pbx.close();
    }
  });

  it('no answer within the timeout after the request was sent fails for good', async () => {
    const pbx = await pbxDouble(() => undefined);
    try {
      const failed = await send(pbx.request, 300);
      expect(failed).toMatchObject({ code: 'PBX_OUTCOME_UNKNOWN', permanent: true });
      expect((failed as Error).message).toBe(
        'outcome unknown: the PBX may have dialled; check before trying again (no answer within 300 ms)',
      );
      expect(pbx.seen).toHaveLength(1);
    } finally {
      await pbx.close();
    }
  });

  it('a connection not made within the timeout (a TLS handshake never done) is transient: nothing was sent', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const request = buildPbxRequest(settings(`https://127.0.0.1:${port}/dial?para={numero_destino}`), call, env);
      const failed = await send(request, 300);
      expect(failed).toMatchObject({ code: 'PBX_UNREACHABLE', permanent: false });
      expect((failed as Error).message).toBe(
        `the PBX at https://127.0.0.1:${port}/dial?para=***&chave=*** could not be reached (no connection within 300 ms)`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('408, 429 and 503 (the PBX did not take the request on) are transient; any other 5xx fails for good', async () => {
    const statuses = [503, 429, 408, 500, 502, 504];
    const pbx = await pbxDouble((_req, res) => res.writeHead(statuses.shift() ?? 200).end('falha'));
    try {
      for (const status of [503, 429, 408]) {
        const failed = await send(pbx.request);
        expect({ status, failed }).toMatchObject({ status, failed: { code: 'PBX_BUSY', permanent: false } });
      }
      for (const status of [500, 502, 504]) {
        const failed = await send(pbx.request);
        expect({ status, failed }).toMatchObject({ status, failed: { code: 'PBX_FAILED', permanent: true } });
        expect((failed as Error).message).toBe(
          `the PBX answered ${status}: falha; outcome unknown: the PBX may have dialled; check before trying again`,
        );
      }
    } finally {
      await pbx.close();
    }
  });
});

// Seed 002: the prefix goes before every number except internal extensions, each number as it is dialled in Brazil.
describe('click-to-call: the dial prefix', () => {
  it('goes before 0800 / 0300 numbers keeping their 0, before DDD + number, and not before an extension', () => {
    const withPrefix = { ...settings('http://10.0.0.9/dial?para={numero_destino}'), dialPrefix: '9' };
    const dialled = (numero: string) => buildPbxRequest(withPrefix, { ramal: '3501', numero }, env).dialled;
    expect(dialled('0800 123 4567')).toBe('908001234567');
    expect(dialled('08001234567')).toBe('908001234567');
    expect(dialled('0300 789 1234')).toBe('903007891234');
    expect(dialled('0900 123 4567')).toBe('909001234567');
    expect(dialled('4004-1234')).toBe('940041234');
    expect(dialled('(47) 3210-0123')).toBe('94732100123');
    expect(dialled('(11) 98765-4321')).toBe('911987654321');
    expect(dialled('3502')).toBe('3502');
  });

  it('dials a number of another country, written with its +, as 00 + country code + number after the prefix (trial F8)', () => {
    const withPrefix = { ...settings('http://10.0.0.9/dial?para={numero_destino}'), dialPrefix: '9' };
    expect(buildPbxRequest(withPrefix, { ramal: '3501', numero: '+1 212 555 1234' }, env).dialled).toBe('90012125551234');
    expect(buildPbxRequest(withPrefix, { ramal: '3501', numero: '+351 21 234 5678' }, env).dialled).toBe('900351212345678');
    // Written with a carrier code (00 + CSP 21 + country code): that code is the PBX's outbound route's to add, as with the +.
    expect(buildPbxRequest(withPrefix, { ramal: '3501', numero: '0021 1 212 555 1234' }, env).dialled).toBe('90012125551234');
  });
});
