import { spawn } from 'node:child_process';
import { createLogger } from '@integrador/logging';
import { createRedis, type JobProducer } from '@integrador/queue';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import { UnrecoverableError, Worker } from 'bullmq';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, startSeniorG5Server } from '../../../test/fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, SET_WS_CONTAS_CAMPO, seedSetWsContas } from '../../../test/fixtures/set-ws-contas';
import { cliEnv, cliNodeArgs, REPO_ROOT, runCli } from '../test/run-cli';
import { type SeniorConnections, seniorVariables, writeSeniorConnections } from '../test/senior-g5-env';
import { NO_WORKER_HINT_MS } from './commands/worker-watch';

const logger = createLogger({ name: 'test', level: 'silent' });
/** The Senior G5 double's Retry-After (seconds) when rate-limited, and the wait the CLI shows for it (read within a second). */
const RETRY_AFTER_S = 10;
const SHOWN_WAIT = `(${RETRY_AFTER_S - 1}|${RETRY_AFTER_S})`;

describe('integrador run (SET-WS-CONTAS against a local Senior G5 SOAP service)', () => {
  let erp: SeniorG5Server;
  let connections: SeniorConnections;
  let database: TestDatabase;
  let producer: JobProducer;
  let testProducer: TestProducer;
  let prefix: string;
  let variables: Record<string, string>;
  let empresa: string;
  let worker: AppProcess | undefined;

  const run = (...args: string[]) => runCli(['run', '19', '--empresa', empresa, ...args], cliEnv(database.url, variables));

  async function startWorker(env: Record<string, string> = variables): Promise<void> {
    worker = spawnApp('apps/worker-set/src/main.ts', { ...env, JOB_LOCK_MS: '2000', LOG_LEVEL: 'info' });
    await worker.waitForLog('worker started');
  }

  async function idErp(): Promise<string | null> {
    const row = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    return row.id_erp;
  }

  beforeAll(async () => {
    // A 429's Retry-After of 10 s rather than the double's 30: the two tests that meet it wait it out.
    erp = await startSeniorG5Server({ retryAfterSeconds: RETRY_AFTER_S });
    connections = writeSeniorConnections(erp.url);
  });

  afterAll(async () => {
    await erp.close();
    connections.remove();
  });

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    empresa = String((await seedSetWsContas(database.db)).empresaId);
    prefix = testPrefix();
    variables = seniorVariables(database.url, connections.file, prefix);
    testProducer = await startTestProducer({ prefix, logger });
    ({ producer } = testProducer);
    erp.customers.clear();
    erp.requests.count = 0;
  });

  afterEach(async () => {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
      worker = undefined;
    }
    await testProducer.close();
    await database.drop();
  });

  it('--wait follows the job to the end and the ERP code lands in contas.id_erp', async () => {
    await startWorker();
    const result = await run('-p', `contaId=${CONTA.id}`, '--wait');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [codCli] = [...erp.customers.keys()];
    expect(codCli).toBeDefined();
    expect(await idErp()).toBe(String(codCli));
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Integração #19 enfileirada: job (\S+) na fila set\.$/);
    expect(lines).toContainEqual(expect.stringMatching(/^Job \S+ concluído\. Resposta do receptor: /));
    expect(lines).toContain(`  registro id ${CONTA.id}: ${JSON.stringify({ codCli })}`);
    expect(result.stdout).not.toContain(DEFAULT_CREDENTIALS.password);
  });

  it('--wait with no worker on the queue says so once after a few seconds, and keeps waiting for one to start', async () => {
    const pending = run('-p', `contaId=${CONTA.id}`, '--wait');
    // The CLI's start takes seconds on a loaded machine: wait for its job to be queued, then past the hint's delay
    // (NO_WORKER_HINT_MS) with no worker, then one starts and takes the job.
    const queued = async () => Object.values(await producer.queue('set').getJobCounts('waiting', 'prioritized')).some((n) => n > 0);
    const giveUp = Date.now() + 60_000;
    while (!(await queued()) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, NO_WORKER_HINT_MS + 3000));
    await startWorker();
    const result = await pending;
    expect(result.code).toBe(0);
    // M7 (trial): a CLI under another KEY_PREFIX than the fleet's sees no worker either; the hint names its prefix.
    expect(result.stderr).toBe(
      `nenhum worker da fila set está ativo — a frota está no ar? Ou o KEY_PREFIX/REDIS_URL deste terminal difere dos da frota (este usa KEY_PREFIX=${prefix}) (continuo aguardando)\n`,
    );
    expect(result.stdout).toMatch(/^Job \S+ concluído\. Resposta do receptor: /m);
    expect(await idErp()).not.toBeNull();
  }, 150_000);

  it("--wait on a conta of another empresa fails with preview's words, not the engine's English (tenant wall kept)", async () => {
    // M4 (trial): the conta exists, but in another empresa: the run's consulta, bound to this empresa, finds nothing.
    const other = await createEmpresa(database.db, 'Outra');
    const foreign = await database.db
      .insertInto('contas')
      .values({ empresa_id: other, nome: 'Conta de outra empresa' } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    await startWorker();
    const result = await run('-p', `contaId=${foreign.id}`, '--wait');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^erro: o job \\S+ falhou: a consulta da integração #19 \\(SET-WS-CONTAS\\) não encontrou nenhum registro com contaId=${foreign.id} na empresa ${empresa}: confira o valor \\(registros de outra empresa não contam\\)\n$`,
      ),
    );
    expect(erp.requests.count).toBe(0);
  });

  it('--wait --json prints the settled job; a refusal by the ERP exits 1 with its worded reason', async () => {
    await database.db.updateTable('contas').set({ fantasia: null }).where('id', '=', CONTA.id).execute();
    await startWorker();
    const result = await run('-p', `contaId=${CONTA.id}`, '--wait', '--json');
    expect(result.code).toBe(1);
    const settled = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(settled).toMatchObject({
      queue: 'set',
      jobId: expect.any(String),
      deduplicated: false,
      state: 'failed',
      failedReason: expect.stringContaining('apeCli'),
    });
    // The ERP's own words (RECEPTOR_ERROR) follow the worded reason.
    expect(result.stderr).toBe(`erro: o job ${String(settled.jobId)} falhou: o ERP recusou o registro: ${String(settled.failedReason)}\n`);
    expect(await idErp()).toBeNull();
  });

  it("--wait words a coded failure in the CLI's language with the worker's message as detail (workers without the connections file)", async () => {
    // The README's slip: the CLI's shell has CONNECTIONS_FILE, the workers were started without it.
    const { CONNECTIONS_FILE: _file, ...withoutFile } = variables;
    await startWorker(withoutFile);
    const detail = 'connection "senior_g5" is not defined: no connections file is configured';
    const pt = await run('-p', `contaId=${CONTA.id}`, '--wait');
    expect(pt.code).toBe(1);
    expect(pt.stderr).toMatch(
      new RegExp(
        `^erro: o job \\S+ falhou: a conexão senior_g5 da integração não está definida para os workers \\(confira se eles foram iniciados com CONNECTIONS_FILE e se o arquivo define essa conexão\\): ${detail}`,
      ),
    );
    const en = await run('-p', `contaId=${CONTA.id}`, '--wait', '--lang', 'en');
    expect(en.stderr).toMatch(
      new RegExp(
        `^error: job \\S+ failed: the integration's connection senior_g5 is not defined for the workers \\(check that they .*\\): ${detail}`,
      ),
    );
  });

  it('--wait shows an old connection failure as the API and the dashboard do: that connection only, no file path, no other names', async () => {
    // BullMQ's failedReason as workers wrote it before the messages were narrowed, failed by a bare worker of this test.
    const old =
      'connection "sap_legado" is not defined in connections file /srv/segredo/connections.yaml (defined: erp_cliente_b, erp_cliente_c)';
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker', logger });
    const bare = new Worker(
      'set',
      async () => {
        throw new UnrecoverableError(old);
      },
      { connection, prefix },
    );
    try {
      const result = await run('-p', `contaId=${CONTA.id}`, '--wait');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`connection "sap_legado" is not defined in the workers' connections file`);
      expect(result.stderr).not.toMatch(/segredo|connections\.yaml|erp_cliente/);
    } finally {
      await bare.close();
      connection.disconnect();
    }
  });

  it('--wait words each failed attempt as the final failure, in the chosen language (a receptor unavailable)', async () => {
    // Two attempts 1.5 s apart: long enough for the CLI (polling every 250 ms) to show the delayed retry.
    const retrying = writeSeniorConnections(erp.url, '    retry: { attempts: 2, backoffMs: 1500 }');
    try {
      erp.setMode('unavailable');
      await startWorker({ ...variables, CONNECTIONS_FILE: retrying.file });
      // Trial 4: the receptor's answer named (HTTP 503), not "did not answer in time or is unavailable".
      const unavailable = {
        'pt-BR': 'o sistema receptor respondeu com o status HTTP 503 \\(erro ou indisponibilidade do lado dele\\)',
        en: 'the receptor answered with HTTP status 503 \\(an error or unavailability on its side\\)',
      };
      const started = Date.now();
      const pt = await run('-p', `contaId=${CONTA.id}`, '--wait');
      const ended = Date.now();
      expect(pt.code).toBe(1);
      // The next attempt's time as the job's delayed entry has it, in SCHEDULE_TIMEZONE (not "em breve").
      const when = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT[-+]?\\d*';
      expect(pt.stdout).toMatch(
        new RegExp(`^Job \\S+: a tentativa 1 falhou \\(${unavailable['pt-BR']}: .*503.*\\); nova tentativa em ${when}$`, 'm'),
      );
      // And it is the retry's time: after the run started (to the second shown), before the CLI saw the job fail for good.
      const retryAt = printedTime(/nova tentativa em (.*)$/m.exec(pt.stdout)?.[1] ?? '');
      expect(retryAt).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
      expect(retryAt).toBeLessThanOrEqual(ended);
      expect(pt.stderr).toMatch(new RegExp(`^erro: o job \\S+ falhou: ${unavailable['pt-BR']}: .*503`));
      const en = await run('-p', `contaId=${CONTA.id}`, '--wait', '--lang', 'en');
      expect(en.stdout).toMatch(new RegExp(`^Job \\S+: attempt 1 failed \\(${unavailable.en}: .*503.*\\); retrying at ${when}$`, 'm'));
      expect(en.stderr).toMatch(new RegExp(`^error: job \\S+ failed: ${unavailable.en}: .*503`));
    } finally {
      erp.setMode('normal');
      retrying.remove();
    }
  }, 60000);

  it('--wait interrupted (Ctrl-C) says the job goes on in its queue and where to follow it; the job keeps its retries', async () => {
    const retrying = writeSeniorConnections(erp.url, '    retry: { attempts: 5, backoffMs: 60000 }');
    try {
      erp.setMode('unavailable');
      await startWorker({ ...variables, CONNECTIONS_FILE: retrying.file });
      const cli = spawn(process.execPath, cliNodeArgs(['run', '19', '--empresa', empresa, '-p', `contaId=${CONTA.id}`, '--wait']), {
        cwd: REPO_ROOT,
        env: cliEnv(database.url, variables),
      });
      let stdout = '';
      let stderr = '';
      cli.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        cli.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/a tentativa 1 falhou/.test(stdout)) resolve();
        });
        cli.once('exit', () => reject(new Error(`the CLI exited before the first failed attempt: ${stdout}${stderr}`)));
      });
      cli.kill('SIGINT');
      expect(await exited).toBe(130);
      const jobId = /job (\S+) na fila set/.exec(stdout)?.[1] as string;
      expect(stderr).toBe(
        `Acompanhamento interrompido: o job ${jobId} continua na fila set (com as tentativas que lhe restam): acompanhe com GET /v1/jobs/set/${jobId} ou no painel\n`,
      );
      expect(await producer.queue('set').getJobState(jobId)).toBe('delayed');
    } finally {
      erp.setMode('normal');
      retrying.remove();
    }
  }, 60000);

  it('--wait says once, on stderr, that the job waits because the receptor answered 429, and when it tries again', async () => {
    await startWorker();
    // A first push loads the WSDL into the worker's client cache, so the next push's call itself meets the 429.
    expect((await run('-p', `contaId=${CONTA.id}`, '--wait')).code).toBe(0);
    erp.setMode('rate-limited'); // 429 with Retry-After: RETRY_AFTER_S
    try {
      const pending = run('-p', `contaId=${CONTA.id}`, '--wait');
      // Once the worker has delayed the job (its record says adiado), the receptor recovers; the job's next try comes
      // when the Retry-After is over (RETRY_AFTER_S).
      const delayed = () => database.db.selectFrom('registro_jobs').select('job_id').where('estado', '=', 'adiado').executeTakeFirst();
      for (const deadline = Date.now() + 20_000; !(await delayed()) && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 100));
      erp.setMode('normal');
      const result = await pending;
      expect(result.code).toBe(0);
      // One line for the whole wait, though the CLI reads the job's record every second while it is delayed.
      expect(result.stderr).toMatch(
        new RegExp(`^aguardando: o receptor respondeu 429 \\(conexão senior_g5\\), nova tentativa em ${SHOWN_WAIT} s\n$`),
      );
      expect(result.stderr).not.toContain(DEFAULT_CREDENTIALS.password);
      expect(result.stdout).toMatch(/^Job \S+ concluído\. Resposta do receptor: /m);
      expect(erp.requests.count).toBe(2);
    } finally {
      erp.setMode('normal');
    }
  }, 90_000);

  it('without --wait prints the job id of an integration.run job triggered by the cli', async () => {
    const result = await run('-p', `contaId=${CONTA.id}`, '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { queue, jobId, deduplicated } = JSON.parse(result.stdout) as { queue: string; jobId: string; deduplicated: boolean };
    expect(queue).toBe('set');
    // Said as the ingress's 202 says it (trial 4 #8).
    expect(deduplicated).toBe(false);
    const job = await producer.getJob('set', jobId);
    expect(job?.name).toBe('integration.run');
    expect(job?.data).toEqual({
      tenant: { empresaId: Number(empresa), filialId: null },
      integracaoId: 19,
      parametros: { contaId: String(CONTA.id) },
      trigger: 'cli',
    });
    // Queued: BullMQ calls a queued job with a (fairness) priority "prioritized".
    expect(await job?.getState()).toBe('prioritized');
  });

  it('enqueues a GET integration on queue get', async () => {
    // A database connection the file does not name (only the worker's file may): senior_g5 (conexao 3) is a web service.
    await database.db
      .insertInto('conexao_integracao')
      .values({ id: 8, tipo_conexao: 'Conexão via banco de dados', nome_conexao: 'erp_bd', empresa_id: Number(empresa) })
      .execute();
    await database.db
      .insertInto('integracao')
      .values({
        id: 77,
        nome: 'GET-BD-CLIENTES',
        tipo_servico: 'GET',
        empresa_id: Number(empresa),
        tabela: 'contas',
        conexao_integracao_id: 8,
        sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome, DATALT FROM E085CLI',
        campo_cursor: 'DATALT',
      })
      .execute();
    const result = await runCli(['run', '77', '--empresa', empresa, '--json'], cliEnv(database.url, variables));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { queue, jobId } = JSON.parse(result.stdout) as { queue: string; jobId: string };
    expect(queue).toBe('get');
    const job = await producer.getJob('get', jobId);
    expect(job?.data).toEqual({ tenant: { empresaId: Number(empresa), filialId: null }, integracaoId: 77, parametros: {}, trigger: 'cli' });
    expect(await producer.queue('set').count()).toBe(0);
    // A bad reconciliar is worded in the CLI's language, not the engine's English message.
    const bad = await runCli(['run', '77', '--empresa', empresa, '-p', 'reconciliar=talvez'], cliEnv(database.url, variables));
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(
      /^erro: parâmetro reconciliar inválido: esperado um de .+, recebido "talvez"; nada foi enfileirado nem enviado\n$/,
    );
    const badEn = await runCli(
      ['--lang', 'en', 'run', '77', '--empresa', empresa, '-p', 'reconciliar=talvez'],
      cliEnv(database.url, variables),
    );
    expect(badEn.stderr).toMatch(
      /^error: invalid parameter reconciliar: expected one of .+, got "talvez"; nothing was enqueued or sent\n$/,
    );
    // Trial L2: settings the run would refuse (config lint's GET error) are refused at once, worded in the CLI's language.
    await database.db.updateTable('integracao').set({ modo: 'diario' }).where('id', '=', 77).execute();
    const broken = await runCli(['run', '77', '--empresa', empresa], cliEnv(database.url, variables));
    expect(broken).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'erro: a integração GET #77 (GET-BD-CLIENTES) está mal configurada: modo: esperado completo ou incremental, encontrado "diario"; nada foi enfileirado (`config lint` aponta a linha)\n',
    });
    const brokenEn = await runCli(['--lang', 'en', 'run', '77', '--empresa', empresa], cliEnv(database.url, variables));
    expect(brokenEn.stderr).toBe(
      'error: GET integration #77 (GET-BD-CLIENTES) is misconfigured: modo: expected completo or incremental, found "diario"; nothing was enqueued (`config lint` names the row)\n',
    );
    // The lint's errors every run fails on: a key contas has no unique index for, then a connection that is no database.
    await database.db.updateTable('integracao').set({ modo: null, chave: 'fantasia' }).where('id', '=', 77).execute();
    const key = await runCli(['run', '77', '--empresa', empresa], cliEnv(database.url, variables));
    expect(key).toMatchObject({ code: 1, stdout: '' });
    expect(key.stderr).toMatch(
      /^erro: a integração GET #77 \(GET-BD-CLIENTES\) está mal configurada: integracao #77 coluna chave: contas não tem índice único em \(empresa_id, fantasia\): .+ \[GET_KEY_NOT_UNIQUE\]; nada foi enfileirado \(`config lint` aponta a linha\)\n$/,
    );
    await database.db.updateTable('integracao').set({ chave: null, conexao_integracao_id: 3 }).where('id', '=', 77).execute();
    const ws = await runCli(['--lang', 'en', 'run', '77', '--empresa', empresa], cliEnv(database.url, variables));
    expect(ws.stderr).toMatch(
      /^error: GET integration #77 \(GET-BD-CLIENTES\) is misconfigured: integracao #77 column conexao_integracao_id: GET integration GET-BD-CLIENTES uses connection "senior_g5", which is a webservice connection in the connections file: .+ \[GET_CONNECTION_NOT_DATABASE\]; nothing was enqueued/,
    );
    expect(await producer.queue('get').count()).toBe(1);
  });

  it('refuses a SET whose configuration every run of it fails on (SET_CONFIG), in the CLI language, enqueuing nothing', async () => {
    await database.db.updateTable('regras').set({ tipo: 'so_numeros' }).where('integracao_id', '=', 19).where('ordem', '=', 0).execute();
    const { id } = await database.db
      .selectFrom('regras')
      .select('id')
      .where('integracao_id', '=', 19)
      .where('ordem', '=', 0)
      .executeTakeFirstOrThrow();
    const broken = await run('-p', `contaId=${CONTA.id}`);
    expect(broken).toMatchObject({ code: 1, stdout: '' });
    expect(broken.stderr).toMatch(
      new RegExp(
        `^erro: a integração SET #19 \\(SET-WS-CONTAS\\) está mal configurada: regras #${id} coluna tipo: tipo "so_numeros" de regra desconhecido; esperado um de: .+ \\[INVALID_RULE\\]; nada foi enfileirado \\(\`config lint\` aponta a linha\\)\\n$`,
      ),
    );
    const brokenEn = await runCli(
      ['--lang', 'en', 'run', '19', '--empresa', empresa, '-p', `contaId=${CONTA.id}`],
      cliEnv(database.url, variables),
    );
    expect(brokenEn.stderr).toMatch(
      /^error: SET integration #19 \(SET-WS-CONTAS\) is misconfigured: regras #\d+ column tipo: unknown regra tipo "so_numeros"/,
    );
    expect(await producer.queue('set').count()).toBe(0);
  });

  it('--wait on a GET words each failed attempt as it does for SET (an ERP source that refuses connections)', async () => {
    const down = writeSeniorConnections(
      erp.url,
      `  erp_down: { tipo: banco de dados, driver: postgres, url: 'postgres://erp@127.0.0.1:${await freePort()}/erp', allowPrivateNetwork: true }`,
    );
    try {
      await database.db
        .insertInto('conexao_integracao')
        .values({ id: 9, tipo_conexao: 'Conexão via banco de dados', nome_conexao: 'erp_down', empresa_id: Number(empresa) })
        .execute();
      await database.db
        .insertInto('integracao')
        .values({
          id: 78,
          nome: 'GET-BD-FORA',
          tipo_servico: 'GET',
          empresa_id: Number(empresa),
          tabela: 'contas',
          conexao_integracao_id: 9,
          sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome FROM E085CLI',
        })
        .execute();
      worker = spawnApp('apps/worker-get/src/main.ts', { ...variables, CONNECTIONS_FILE: down.file, LOG_LEVEL: 'info' });
      await worker.waitForLog('worker started');
      const cli = spawn(process.execPath, cliNodeArgs(['run', '78', '--empresa', empresa, '--wait']), {
        cwd: REPO_ROOT,
        env: { ...cliEnv(database.url, variables), CONNECTIONS_FILE: down.file },
      });
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        cli.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/a tentativa 1 falhou/.test(stdout)) resolve();
        });
        cli.once('exit', () => reject(new Error(`the CLI exited before the first failed attempt: ${stdout}`)));
      });
      cli.kill('SIGINT');
      await exited;
      const when = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT[-+]?\\d*';
      expect(stdout).toMatch(new RegExp(`^Job \\S+: a tentativa 1 falhou \\(.+\\); nova tentativa em ${when}$`, 'm'));
    } finally {
      down.remove();
    }
  }, 60000);

  it('refuses a run without its parametros_obrigatorios, naming them and enqueueing nothing', async () => {
    const result = await run();
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('erro: falta o parâmetro obrigatório contaId (use -p contaId=valor); nada foi enfileirado nem enviado\n');
    const english = await runCli(['--lang', 'en', 'run', '19', '--empresa', empresa, '-p', 'contaId='], cliEnv(database.url, variables));
    expect(english).toMatchObject({ code: 1, stdout: '' });
    expect(english.stderr).toContain('missing required parameter contaId');
    expect(await producer.queue('set').count()).toBe(0);
  });

  it('refuses what the set queue cannot run, and malformed arguments, before touching Redis', async () => {
    await database.db.updateTable('integracao').set({ ativo: 0 }).where('id', '=', 19).execute();
    const inactive = await run('-p', 'contaId=42');
    expect(inactive).toMatchObject({ code: 1, stderr: 'erro: a integração #19 (SET-WS-CONTAS) está inativa (ativo = 0)\n' });
    await database.db.updateTable('integracao').set({ ativo: 1, tipo_servico: 'INFO' }).where('id', '=', 19).execute();
    const info = await run('-p', 'contaId=42');
    expect(info.stderr).toContain('é do tipo INFO; consulte-a com `integrador info`');
    const otherEmpresa = await runCli(['run', '19', '--empresa', String(Number(empresa) + 1)], cliEnv(database.url, variables));
    expect(otherEmpresa).toMatchObject({ code: 1, stderr: `erro: a empresa #${Number(empresa) + 1} não existe\n` });
    const otherFilial = await run('--filial', '999', '-p', 'contaId=42');
    expect(otherFilial).toMatchObject({ code: 1, stderr: `erro: a filial #999 não existe ou não é da empresa #${empresa}\n` });
    const badParameter = await run('-p', 'contaId');
    expect(badParameter).toMatchObject({
      code: 1,
      stderr: 'erro: parâmetro inválido "contaId": use -p nome=valor (nome com letras, dígitos e _)\n',
    });
    const noEmpresa = await runCli(['run', '19'], cliEnv(database.url, variables));
    expect(noEmpresa).toMatchObject({ code: 2, stderr: "erro: falta a opção obrigatória '--empresa <id>'\n" });
    expect(await producer.queue('set').count()).toBe(0);
  });

  it('says in one line that Redis is unreachable', async () => {
    const result = await runCli(
      ['run', '19', '--empresa', empresa, '-p', 'contaId=42'],
      cliEnv(database.url, { ...variables, REDIS_URL: 'redis://:secret@127.0.0.1:1' }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^erro: não foi possível falar com o Redis em 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); confira REDIS_URL\n$/);
    expect(result.stderr).not.toContain('secret');
  });

  /** Integration #18 (SET-WS-CONTAS again), made a prerequisite of #19. */
  async function addPrerequisite(empresaId: number): Promise<void> {
    await database.db
      .insertInto('integracao')
      .values({
        ...SET_WS_CONTAS,
        id: 18,
        nome: 'SET-PRE',
        sql_update: null,
        empresa_id: empresaId,
        empresa_filial_id: null,
        ordem: 0,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({ integracao_id: 18, campo_crm: JSON.stringify(SET_WS_CONTAS_CAMPO), ordem: 0 })
      .execute();
    await database.db.updateTable('integracao').set({ dependente: 18 }).where('id', '=', 19).execute();
  }

  it('--wait says why when a step before the job in its flow is held by a 429, in English with --lang en', async () => {
    await startWorker();
    expect((await run('-p', `contaId=${CONTA.id}`, '--wait')).code).toBe(0); // loads the WSDL into the worker's cache
    await addPrerequisite(Number(empresa));
    erp.setMode('rate-limited');
    try {
      const pending = run('-p', `contaId=${CONTA.id}`, '--wait', '--lang', 'en');
      const delayed = () => database.db.selectFrom('registro_jobs').select('job_id').where('estado', '=', 'adiado').executeTakeFirst();
      for (const deadline = Date.now() + 20_000; !(await delayed()) && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 100));
      erp.setMode('normal');
      const result = await pending;
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(`^waiting: the receptor answered 429 \\(connection senior_g5\\), trying again in ${SHOWN_WAIT} s\n$`),
      );
      expect(result.stdout).toMatch(/^Job \S+ completed\b/m);
    } finally {
      erp.setMode('normal');
    }
  }, 90_000);

  it("--wait words a blocked flow's coded failure in the CLI's language (the prerequisite's connection missing for the workers)", async () => {
    await addPrerequisite(Number(empresa));
    const { CONNECTIONS_FILE: _file, ...withoutFile } = variables;
    await startWorker(withoutFile);
    const blocked = await run('-p', `contaId=${CONTA.id}`, '--wait');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(
      /está bloqueado: o pré-requisito #18 \(job set\/\S+\) falhou \(a conexão senior_g5 da integração não está definida/,
    );
  });

  it('runs the prerequisites first; a blocked flow exits 1 naming the blocker, and job retry resumes it', async () => {
    const empresaId = Number(empresa);
    await addPrerequisite(empresaId);
    // Without a fantasia the ERP refuses the record (apeCli): the prerequisite fails for good.
    await database.db.updateTable('contas').set({ fantasia: null }).where('id', '=', CONTA.id).execute();
    await startWorker();
    const blocked = await run('-p', `contaId=${CONTA.id}`, '--wait', '--json');
    expect(blocked.code).toBe(1);
    const settled = JSON.parse(blocked.stdout) as {
      state: string;
      steps: { integracaoId: number; jobId: string }[];
      blocker: { queue: string; jobId: string };
    };
    expect(settled.state).toBe('blocked');
    expect(settled.steps.map((s) => s.integracaoId)).toEqual([18, 19]);
    const [pre] = settled.steps;
    expect(settled.blocker).toEqual({ queue: 'set', jobId: pre?.jobId });
    expect(blocked.stderr).toContain(`está bloqueado: o pré-requisito #18 (job set/${pre?.jobId}) falhou`);
    expect(blocked.stderr).toContain('integrador job retry');

    await database.db.updateTable('contas').set({ fantasia: CONTA.fantasia }).where('id', '=', CONTA.id).execute();
    const retry = (empresaArg: string) =>
      runCli(['job', 'retry', 'set', pre?.jobId ?? '', '--empresa', empresaArg], cliEnv(database.url, variables));
    expect(await retry(String(empresaId + 1))).toMatchObject({ code: 1, stderr: expect.stringContaining('não existe para a empresa') });
    expect(await retry(empresa)).toMatchObject({ code: 0, stdout: `Job set/${pre?.jobId} reenfileirado.\n` });
    const root = settled.steps[1]?.jobId as string;
    for (let i = 0; i < 400 && (await producer.queue('set').getJobState(root)) !== 'completed'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await producer.queue('set').getJobState(root)).toBe('completed');
    expect(await idErp()).not.toBeNull();
    expect(await retry(empresa)).toMatchObject({ code: 1, stderr: expect.stringContaining('só um job que falhou pode ser reprocessado') });
  });
});

/** A time as the CLI prints it ("2026-12-06 09:41:12 GMT-3") in ms since the epoch. */
function printedTime(text: string): number {
  const parsed = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) GMT([-+]?)(\d*)$/.exec(text);
  if (!parsed) throw new Error(`not a printed time: ${text}`);
  const [, date, time, sign, hours] = parsed;
  const offset = `${sign === '-' ? '-' : '+'}${(hours || '0').padStart(2, '0')}:00`;
  return new Date(`${date}T${time}${offset}`).getTime();
}
