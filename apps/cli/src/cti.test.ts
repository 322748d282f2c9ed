import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRedis, queueOptions } from '@integrador/queue';
import { timestampValue } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { Queue, Worker } from 'bullmq';
import { cliEnv, runCli } from '../test/run-cli';

describe('integrador cti', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let pbx: http.Server;
  let pbxUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    pbx = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('discando');
    });
    await new Promise<void>((resolve) => pbx.listen(0, '127.0.0.1', resolve));
    pbxUrl = `http://127.0.0.1:${(pbx.address() as AddressInfo).port}`;
    // HOST and PORT only shape the listener URLs configure prints (a wildcard HOST is shown as 127.0.0.1): nothing listens.
    env = cliEnv(database.url, { CTI_SECRET_1_PBX: 'segredo-do-pabx', HOST: '0.0.0.0', PORT: '3248' });
    expect((await runCli(['tenant', 'create', 'Acme'], env)).code).toBe(0);
  });

  afterAll(async () => {
    await new Promise((resolve) => pbx.close(resolve));
    await database.drop();
  });

  it('configures a tenant, prints the listener token once, tests the PBX template and lists calls', async () => {
    const configured = await runCli(
      [
        'cti',
        'configure',
        '1',
        '--host-label',
        'Acme',
        '--new-token',
        '--allow',
        '200.10.20.0/24, 127.0.0.1',
        '--pbx-url',
        `${pbxUrl}/dial?de={ramal_origem}&para={numero_destino}&senha=fixa-do-pabx`,
        '--pbx-auth',
        'token_url',
        '--pbx-param',
        'chave',
        '--pbx-secret',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${NOME} reference an operator types
        '${PBX}',
        '--prefix',
        '0',
        '--private-network',
        'allow',
        '--lang',
        'en',
      ],
      env,
    );
    expect(configured.code).toBe(0);
    const token = /listener token .*: (ctk_\S+)/.exec(configured.stdout)?.[1];
    expect(token).toBeDefined();
    // Whole URLs a PBX (or curl) can call: this host's ingress (HOST, PORT) and the path with the token.
    const base = `http://127.0.0.1:3248/t/${token}/wconnect`;
    expect(configured.stdout).toContain(`  call start: ${base}/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<number>\n`);
    expect(configured.stdout).toContain(
      `  call end:   ${base}/WConnect_WSDL_FinalizaLigacao.php?ramal=<ramal>&telefone=<number>&url_audio=<url>\n`,
    );
    const row = await database.db.selectFrom('cti_configuracoes').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ empresa_id: 1, rotulo_host: 'acme', prefixo_discagem: '0', pbx_autenticacao: 'token_url' });
    expect(row.token_hash).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain('segredo-do-pabx');

    const shown = await runCli(['cti', 'show', '1', '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ hostLabel: 'acme', hasToken: true, allowlist: ['200.10.20.0/24', '127.0.0.1'] });
    expect(shown.stdout).not.toContain(token as string);
    // A secret written in the template's query is never printed, in JSON or in text; the placeholders are (trial CTI 3).
    expect(shown.stdout).not.toContain('fixa-do-pabx');
    expect(JSON.parse(shown.stdout).pbx.urlTemplate).toBe(`${pbxUrl}/dial?de={ramal_origem}&para={numero_destino}&senha=***`);
    // The text form speaks the CLI's language, like configure's own lines.
    const shownPt = await runCli(['cti', 'show', '1'], env);
    expect(shownPt.stdout).toContain('rótulo do host:      acme    token de caminho: sim');
    expect(shownPt.stdout).toContain(`PABX:                GET ${pbxUrl}/dial?de={ramal_origem}&para={numero_destino}&senha=***\n`);
    expect(configured.stdout).not.toContain('fixa-do-pabx');
    expect(shownPt.stdout).toMatch(/prefixo de discagem: 0 +tamanho do ramal: 4 +rede privada: permitida/);
    expect(shownPt.stdout).toMatch(/autenticação: +token_url segredo=\$\{PBX\} parâmetro=chave/);
    expect(shownPt.stdout).not.toMatch(/host label|path token|dial prefix|ramal length|private network|PBX auth/);
    const shownEn = await runCli(['cti', 'show', '1', '--lang', 'en'], env);
    expect(shownEn.stdout).toMatch(/dial prefix: +0 +ramal length: 4 +private network: allow/);

    const dry = await runCli(['cti', 'test-pbx', '1', '--ramal', '3501', '--numero', '(47) 3210-0123', '--lang', 'en'], env);
    expect(dry).toMatchObject({ code: 0 });
    // What is sent, numbers included; only the secrets masked (the template's senha=, the token_url parameter).
    expect(dry.stdout).toContain('/dial?de=3501&para=04732100123&senha=***&chave=***');
    expect(dry.stdout).toContain('04732100123');
    expect(seen).toEqual([]);
    const sent = await runCli(['cti', 'test-pbx', '1', '--ramal', '3501', '--numero', '3502', '--send', '--lang', 'en'], env);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('the PBX answered 200');
    expect(sent.stdout).not.toMatch(/segredo-do-pabx|fixa-do-pabx/);
    expect(seen).toEqual(['/dial?de=3501&para=3502&senha=fixa-do-pabx&chave=segredo-do-pabx']);
    // The secret not set for this process: the variable to define in the CLI's own environment (not worker-cti's,
    // which this command does not read), in the CLI's language only; nothing sent.
    for (const [lang, text] of [
      [
        'pt-BR',
        'erro: o segredo do PABX não está definido para este comando: defina a variável de ambiente CTI_SECRET_1_PBX no shell que roda o integrador (o comando lê o próprio ambiente, não o do worker-cti) e rode-o de novo; nada foi enviado ao PABX\n',
      ],
      [
        'en',
        "error: the PBX's secret is not set for this command: set the environment variable CTI_SECRET_1_PBX in the shell that runs integrador (the command reads its own environment, not worker-cti's) and run it again; nothing was sent to the PBX\n",
      ],
    ]) {
      const unset = await runCli(['cti', 'test-pbx', '1', '--ramal', '3501', '--numero', '3502', '--send', '--lang', lang as string], {
        ...env,
        CTI_SECRET_1_PBX: '',
      });
      expect(unset).toMatchObject({ code: 1, stderr: text });
    }
    expect(seen).toHaveLength(1);

    expect((await runCli(['cti', 'calls', '--empresa', '1', '--lang', 'en'], env)).stdout).toBe('no calls\n');
    // Six CLI processes: allow for a loaded machine.
  }, 240000);

  it('refuses a PBX URL template with an unknown placeholder, without the number or with a password; a stored one fails clearly (trial CTI 3)', async () => {
    const allowed = '{ramal_origem}, {numero_origem}, {numero_destino}, {ramal_destino}';
    const guessed = await runCli(['cti', 'configure', '1', '--pbx-url', `${pbxUrl}/pbx?ramal={ramal}&numero={numero}`], env);
    expect(guessed).toMatchObject({
      code: 1,
      stderr: `erro: --pbx-url: o modelo de URL do PABX tem um marcador desconhecido, {ramal}; os marcadores aceitos são ${allowed}\n`,
    });
    const noNumber = await runCli(['cti', 'configure', '1', '--pbx-url', `${pbxUrl}/pbx?de={ramal_origem}`, '--lang', 'en'], env);
    expect(noNumber).toMatchObject({
      code: 1,
      stderr: `error: --pbx-url: the PBX URL template has no {numero_destino} (the number to dial); the allowed placeholders are ${allowed}\n`,
    });
    const password = `http://admin:senha123@127.0.0.1:1/pbx?n={numero_destino}`;
    const userinfo = await runCli(['cti', 'configure', '1', '--pbx-url', password], env);
    expect(userinfo).toMatchObject({ code: 1 });
    expect(userinfo.stderr).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${NOME} reference an operator types
      "não pode conter usuário ou senha (ficariam gravados no banco): use --pbx-auth basic --pbx-user <usuário> --pbx-secret '${NOME}'",
    );
    expect(userinfo.stderr).not.toContain('senha123');
    const row = await database.db
      .selectFrom('cti_configuracoes')
      .select('pbx_url_modelo')
      .where('empresa_id', '=', 1)
      .executeTakeFirstOrThrow();
    expect(row.pbx_url_modelo).toContain('{numero_destino}');
    // A template stored before the check: test-pbx says what is wrong instead of sending it as written.
    const before = row.pbx_url_modelo;
    await database.db
      .updateTable('cti_configuracoes')
      .set({ pbx_url_modelo: `${pbxUrl}/pbx?ramal={ramal}&numero={numero}` })
      .execute();
    try {
      const sent = seen.length;
      const stored = await runCli(['cti', 'test-pbx', '1', '--ramal', '201', '--numero', '1134567890', '--send', '--lang', 'en'], env);
      expect(stored).toMatchObject({
        code: 1,
        stderr: `error: the PBX URL template has an unknown placeholder {ramal}; the allowed placeholders are ${allowed}\n`,
      });
      expect(seen).toHaveLength(sent);
      const show = await runCli(['cti', 'show', '1', '--json'], env);
      expect(JSON.parse(show.stdout).pbx.urlTemplate).toBe(`${pbxUrl}/pbx?ramal={ramal}&numero={numero}`);
    } finally {
      await database.db.updateTable('cti_configuracoes').set({ pbx_url_modelo: before }).execute();
    }
  }, 240000);

  it('setting the host label prints the listener URLs to give the PBX, and cti show prints them (trial CTI 3, finding 9)', async () => {
    const withDomain = { ...env, CTI_DOMAIN: 'crmhub.test' };
    const configured = await runCli(['cti', 'configure', '1', '--host-label', 'acme'], withDomain);
    expect(configured.code).toBe(0);
    const base = 'http://acme.crmhub.test:3248/wconnect';
    expect(configured.stdout).toContain(`  início da ligação: ${base}/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<número>\n`);
    expect(configured.stdout).toContain(
      `  fim da ligação:    ${base}/WConnect_WSDL_FinalizaLigacao.php?ramal=<ramal>&telefone=<número>&url_audio=<url>\n`,
    );
    const shown = await runCli(['cti', 'show', '1', '--lang', 'en'], withDomain);
    expect(shown.stdout).toContain(`  call start: ${base}/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<number>\n`);
    // Without CTI_DOMAIN the label cannot be reached: said so.
    const noDomain = await runCli(['cti', 'show', '1', '--lang', 'en'], env);
    expect(noDomain.stdout).toContain('warning: the label acme works only with CTI_DOMAIN set on the ingress');
  }, 240000);

  /** One call row of empresa 1, ramal 201, number 4732100123, as the call log writes it. */
  const insertCallRow = (row: { direcao: string; status: string; inicio: string; evento_id?: string; erro?: string }) =>
    database.db
      .insertInto('ligacoes')
      .values({
        empresa_id: 1,
        ramal: '201',
        telefone: '4732100123',
        chave_telefone: '4732100123',
        url_audio: null,
        sem_inicio: 0,
        ...row,
        inicio: timestampValue(database.db, new Date(row.inicio)),
      })
      .execute();

  it('F9: cti calls reads a zone-less --from/--to in the zone it prints (SCHEDULE_TIMEZONE), on a UTC server too', async () => {
    await insertCallRow({ direcao: 'entrada', status: 'finalizada', inicio: '2026-12-05T12:49:52Z' });
    const utc = { ...env, TZ: 'UTC' };
    const listed = await runCli(['cti', 'calls', '--empresa', '1', '--from', '2026-12-05 09:49:52', '--lang', 'en'], utc);
    expect(listed.stdout).toContain('2026-12-05 09:49:52 GMT-3');
    // Worded in the listing's language: English words under --lang en, the stored pt-BR ones by default.
    expect(listed.stdout).toMatch(/ inbound +extension 201 +4732100123 +ended +- s {2}account -\n$/);
    expect(listed.stdout).not.toMatch(/entrada|finalizada|ramal|conta/);
    const listedPt = await runCli(['cti', 'calls', '--empresa', '1', '--from', '2026-12-05 09:49:52'], utc);
    expect(listedPt.stdout).toMatch(/ entrada +ramal 201 +4732100123 +finalizada +- s {2}conta -\n$/);
    // One second after the printed time: not listed (read as UTC it was 3 h before the call).
    const after = await runCli(['cti', 'calls', '--empresa', '1', '--from', '2026-12-05 09:49:53', '--lang', 'en'], utc);
    expect(after.stdout).toBe('no calls\n');
    // The listing's own text, with its offset, and an explicit Z still mean what they say.
    const printed = await runCli(['cti', 'calls', '--empresa', '1', '--to', '2026-12-05 09:49:53 GMT-3', '--lang', 'en'], utc);
    expect(printed.stdout).toContain('09:49:52 GMT-3');
    const zulu = await runCli(['cti', 'calls', '--empresa', '1', '--to', '2026-12-05T12:49:52Z', '--lang', 'en'], utc);
    expect(zulu.stdout).toBe('no calls\n');
    // A failed click-to-call shows why (trial CTI 3): here its row's message (no job record of its failure).
    await insertCallRow({
      direcao: 'saida',
      status: 'falhou',
      inicio: '2026-12-05T12:50:00Z',
      evento_id: 'c2c-falhou',
      erro: 'the PBX answered 400: ramal invalido',
    });
    const failed = await runCli(['cti', 'calls', '--empresa', '1', '--lang', 'en'], utc);
    expect(failed.stdout).toMatch(/ failed +- s {2}account - {2}reason: the PBX answered 400: ramal invalido\n/);
    await database.db.deleteFrom('ligacoes').where('empresa_id', '=', 1).execute();
  }, 240000);

  it('refuses to retry a failed click-to-call, saying why and what to do (trial finding 7); another empresa does not see it', async () => {
    const prefix = testPrefix();
    const redis = createRedis(TEST_REDIS_URL, { role: 'producer' });
    const workerRedis = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const queue = new Queue('cti', queueOptions(redis, prefix));
    const jobId = 'c2c-1-cliqueexpirado';
    try {
      const payload = { tenant: { empresaId: 1, filialId: null }, callId: 'cliqueexpirado', ramal: '3501', numero: '3502' };
      await queue.add(
        'cti.click-to-call' as never,
        { ...payload, requestedAt: new Date().toISOString() } as never,
        { jobId, attempts: 1 } as never,
      );
      // The PBX refused it: the job failed for good, as worker-cti fails it.
      const worker = new Worker(
        'cti',
        async () => {
          throw new Error('the PBX answered 400');
        },
        { connection: workerRedis, prefix },
      );
      for (let i = 0; i < 200 && (await queue.getJobState(jobId)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 25));
      await worker.close();
      const retryEnv = { ...env, REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix };
      const retry = (empresa: string, ...extra: string[]) =>
        runCli(['job', 'retry', 'cti', jobId, '--empresa', empresa, ...extra], retryEnv);
      expect(await retry('1')).toMatchObject({
        code: 1,
        stderr: `erro: o job cti/${jobId} é um click-to-call, que não é reprocessado: o clique já expirou e a nova tentativa só falharia de novo; peça ao agente que clique de novo\n`,
      });
      expect(await retry('1', '--lang', 'en')).toMatchObject({
        code: 1,
        stderr: `error: job cti/${jobId} is a click-to-call, which is not retried: the click has expired and a new attempt could only fail again; ask the agent to click again\n`,
      });
      expect(await retry('2')).toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`o job cti/${jobId} não existe para a empresa 2`),
      });
      expect(await queue.getJobState(jobId)).toBe('failed');
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
      workerRedis.disconnect();
    }
  }, 240000);

  it('checks --ramal by the rule the listener and the API use', async () => {
    const calls = await runCli(['cti', 'calls', '--empresa', '1', '--ramal', '35 01'], env);
    expect(calls).toMatchObject({
      code: 1,
      stderr:
        'erro: --ramal: "35 01" é inválido; esperado até 20 caracteres entre letras, dígitos, *, # e - (o canal do PABX também serve: SIP/201 ou PJSIP/201-0000001a é o ramal 201)\n',
    });
    const test = await runCli(['cti', 'test-pbx', '1', '--ramal', '3501!', '--numero', '3502', '--lang', 'en'], env);
    expect(test).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        '--ramal: "3501!" is invalid; expected up to 20 letters, digits, *, # or - (the PBX channel will do too: SIP/201 or PJSIP/201-0000001a is extension 201)',
      ),
    });
    // A padded ramal or the PBX's channel form is the extension it names (ramalOf: the listener's and the API's rule).
    for (const given of ['PJSIP/3501-0000001a', 'SIP/3501', '3501 ']) {
      const channel = await runCli(['cti', 'test-pbx', '1', '--ramal', given, '--numero', '3502', '--lang', 'en'], env);
      expect({ given, code: channel.code, stdout: channel.stdout }).toMatchObject({
        given,
        code: 0,
        stdout: expect.stringContaining('/dial?de=3501&'),
      });
    }
    // A ramal the PBX reports with letters and signs is one.
    expect(await runCli(['cti', 'calls', '--empresa', '1', '--ramal', 'SIP-200#', '--lang', 'en'], env)).toMatchObject({
      code: 0,
      stdout: 'no calls\n',
    });
  }, 240000);

  it('refuses bad values naming the option, and a tenant without CTI', async () => {
    const bad = await runCli(['cti', 'configure', '1', '--allow', '300.1.1.1', '--lang', 'en'], env);
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'error: --allow: "300.1.1.1" is invalid; expected an IP address or a CIDR range (e.g. 200.10.20.30 or 200.10.20.0/24)\n',
    });
    // One language per message (trial CTI 3, finding 8).
    const badPt = await runCli(['cti', 'configure', '1', '--allow', '127.0.0.1, 10.0.0.0/33'], env);
    expect(badPt).toMatchObject({
      code: 1,
      stderr: 'erro: --allow: "10.0.0.0/33" é inválido; esperado um endereço IP ou uma faixa CIDR (ex.: 200.10.20.30 ou 200.10.20.0/24)\n',
    });
    const auth = await runCli(['cti', 'configure', '1', '--pbx-auth', 'magic', '--lang', 'en'], env);
    expect(auth.stderr).toContain('--pbx-auth: "magic" is invalid; expected nenhuma, basic, header or token_url');
    expect((await runCli(['tenant', 'create', 'Outra'], env)).code).toBe(0);
    // cti calls for an empresa that does not exist: said so, exit 1 (trial CTI 3).
    const missing = await runCli(['cti', 'calls', '--empresa', '99', '--lang', 'en'], env);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('99');
    const none = await runCli(['cti', 'show', '2', '--lang', 'en'], env);
    expect(none).toMatchObject({ code: 1 });
    expect(none.stderr).toContain('empresa #2 has no CTI settings');
    const length = await runCli(['cti', 'configure', '2', '--ramal-length', '40'], env);
    expect(length.stderr).toBe('erro: --ramal-length: "40" é inválido; esperado um inteiro de 1 a 12\n');
    expect((await runCli(['cti', 'configure', '2', '--prefix', '9'], env)).stdout).toContain('endereços do PABX:   (qualquer endereço)');
    // F23: invalid label worded in the locale; another empresa's label answered without the database's text.
    const label = await runCli(['cti', 'configure', '2', '--host-label', 'Demo_X!'], env);
    expect(label.stderr).toContain(
      '--host-label: "Demo_X!" é inválido; esperado um rótulo DNS: letras, dígitos e hífen, até 63 caracteres, sem hífen no início ou no fim',
    );
    const taken = await runCli(['cti', 'configure', '2', '--host-label', 'ACME'], env);
    expect(taken).toMatchObject({ code: 1 });
    expect(taken.stderr).toContain('o rótulo acme já é usado por outra empresa');
    expect(taken.stderr).not.toMatch(/cti_configuracoes|rotulo_host|UNIQUE/);
    const takenEn = await runCli(['cti', 'configure', '2', '--host-label', 'acme', '--lang', 'en'], env);
    expect(takenEn.stderr).toContain('the label acme is already used by another empresa');
  }, 240000);
  it('refuses a host label with no allowlist unless --allow-any says so, and config lint reports it', async () => {
    expect((await runCli(['tenant', 'create', 'Terceira'], env)).code).toBe(0);
    const refused = await runCli(['cti', 'configure', '3', '--host-label', 'terceira'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'recusado: o rótulo terceira sem lista de endereços (--allow) aceitaria eventos de ligação de qualquer origem',
    );
    expect(refused.stderr).toContain('--allow-any');
    const refusedEn = await runCli(['cti', 'configure', '3', '--host-label', 'terceira', '--lang', 'en'], env);
    expect(refusedEn.stderr).toContain('refused: the label terceira with no address list (--allow) would accept call events from anywhere');
    expect(await database.db.selectFrom('cti_configuracoes').select('id').where('empresa_id', '=', 3).executeTakeFirst()).toBeUndefined();

    expect((await runCli(['cti', 'configure', '3', '--host-label', 'terceira', '--allow', '10.0.0.0/8'], env)).code).toBe(0);
    expect((await runCli(['cti', 'configure', '3', '--allow', ''], env)).code).toBe(1);
    expect((await runCli(['config', 'lint', '--empresa', '3'], env)).stdout).not.toContain('CTI_HOST_LABEL_WITHOUT_ALLOWLIST');

    const explicit = await runCli(['cti', 'configure', '3', '--allow', '', '--allow-any'], env);
    expect(explicit.code).toBe(0);
    expect(explicit.stdout).toContain('endereços do PABX:   (qualquer endereço)');
    // An open configuration keeps saving changes that touch neither the label nor the allowlist.
    expect((await runCli(['cti', 'configure', '3', '--prefix', '0'], env)).code).toBe(0);
    const lint = await runCli(['config', 'lint', '--empresa', '3'], env);
    expect(lint.code).toBe(0);
    expect(lint.stdout).toContain('[aviso] cti_configuracoes #');
    expect(lint.stdout).toContain('empresa #3: o rótulo do host "terceira" não tem lista de endereços');
    expect(lint.stdout).toContain('[CTI_HOST_LABEL_WITHOUT_ALLOWLIST]');
    // Bound to the empresa asked about: empresa 1's lint does not name empresa 3.
    expect((await runCli(['config', 'lint', '--empresa', '1'], env)).stdout).not.toContain('CTI_HOST_LABEL_WITHOUT_ALLOWLIST');
    const all = await runCli(['config', 'lint', '--json'], env);
    expect(JSON.parse(all.stdout)).toEqual([
      expect.objectContaining({ code: 'CTI_HOST_LABEL_WITHOUT_ALLOWLIST', severity: 'warning', table: 'cti_configuracoes' }),
    ]);
  }, 240000);

  it('prints the listener URLs on the public address behind a proxy: PUBLIC_URL, or --public-url over it', async () => {
    const urlOf = (stdout: string) => /(\S+)\/t\/ctk_\S+\/wconnect\/WConnect_WSDL_ConsultaRamal\.php/.exec(stdout)?.[1];
    const proxied = { ...env, PUBLIC_URL: 'https://crm.example.com.br/integrador/' };
    const fromEnv = await runCli(['cti', 'configure', '1', '--new-token'], proxied);
    expect(fromEnv.code).toBe(0);
    expect(urlOf(fromEnv.stdout)).toBe('https://crm.example.com.br/integrador');
    expect(fromEnv.stdout).toContain(
      '(https://crm.example.com.br/integrador é o endereço público do ingress, de --public-url ou PUBLIC_URL)',
    );
    const fromOption = await runCli(
      ['cti', 'configure', '1', '--new-token', '--public-url', 'https://pabx.example.com', '--lang', 'en'],
      proxied,
    );
    expect(urlOf(fromOption.stdout)).toBe('https://pabx.example.com');
    // Without either, this host's ingress, and the hint of the two ways to name the public one.
    const local = await runCli(['cti', 'configure', '1', '--new-token', '--lang', 'en'], env);
    expect(urlOf(local.stdout)).toBe('http://127.0.0.1:3248');
    expect(local.stdout).toContain('give the address it reaches it by with --public-url or PUBLIC_URL');

    const badOption = await runCli(['cti', 'configure', '1', '--new-token', '--public-url', 'crm.example.com.br'], env);
    expect(badOption).toMatchObject({ code: 1, stdout: '' });
    expect(badOption.stderr).toContain('--public-url: "crm.example.com.br" é inválido; esperado um endereço http(s)');
    const badVariable = await runCli(['cti', 'configure', '1', '--new-token'], { ...env, PUBLIC_URL: 'https://u:p@crm.example.com.br' });
    expect(badVariable.code).not.toBe(0);
    expect(badVariable.stderr).toContain('PUBLIC_URL');
    expect(badVariable.stdout).not.toContain('ctk_');
  }, 240000);

  it('cti lookup shows which records a number finds, in this empresa only, and writes no call (trial 3, finding 3)', async () => {
    expect((await runCli(['tenant', 'create', 'Outra'], env)).code).toBe(0);
    const outra = await database.db.selectFrom('empresas').select('id').where('nome', '=', 'Outra').executeTakeFirstOrThrow();
    await database.db
      .insertInto('contas')
      .values([
        { empresa_id: 1, nome: 'Padaria Pão Quente', telefone: '(11) 98765-4301' },
        { empresa_id: Number(outra.id), nome: 'Conta da Outra', telefone: '11987654301' },
      ])
      .execute();
    const calls = async () => (await database.db.selectFrom('ligacoes').select('id').execute()).length;
    const before = await calls();
    const found = await runCli(['cti', 'lookup', '--empresa', '1', '--numero', '0 15 11 98765 4301'], env);
    expect(found).toMatchObject({ code: 0 });
    expect(found.stdout).toContain('lido como: nacional; normalizado: +5511987654301');
    expect(found.stdout).toMatch(/1\. conta #\d+ Padaria Pão Quente \(telefone \(11\) 98765-4301\)/);
    expect(found.stdout).not.toContain('Conta da Outra');
    const json = await runCli(['cti', 'lookup', '--empresa', String(outra.id), '--numero', '+55 11 98765-4301', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ tipo: 'nacional', matches: [{ nome: 'Conta da Outra' }] });
    const withheld = await runCli(['cti', 'lookup', '--empresa', '1', '--numero', 'anonymous', '--lang', 'en'], env);
    expect(withheld.stdout).toBe('read as: invalido (withheld number); normalised: —\nno record: unknown caller\n');
    expect((await runCli(['cti', 'lookup', '--empresa', '999', '--numero', '1134567890'], env)).code).toBe(1);
    expect(await calls()).toBe(before);
  }, 240000);
});
