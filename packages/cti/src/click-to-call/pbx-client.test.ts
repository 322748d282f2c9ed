import http from 'node:http';
import type net from 'node:net';
import { freePort } from '@integrador/test-support/ports';
import type { CtiSettings } from '../settings/cti-settings.repository';
import { sendPbxRequest } from './pbx-client';
import { buildPbxRequest } from './pbx-request';

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
});
