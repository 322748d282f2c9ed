import { allowLoopbackOutbound, type ConnectionsRegistry, type DatabaseConnection } from '@integrador/connections';
import type { JobProducer } from '@integrador/queue';
import { showJobLogLine } from '@integrador/queue';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createDatabaseTransport, OutboundAddressError } from '@integrador/transports';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CREDENTIALS, type SeniorG5Server } from './fixtures/senior-g5';
import { addInfoWsCliente, addReceptorIntegration, CONTA, type ReceptorIntegration, seedSetWsContas } from './fixtures/set-ws-contas';
import { recordedFailureCode } from './support/integration-run';
import { type RestReceptor, type SetPipeline, type SetReceptors, startSetPipeline, startSetReceptors } from './support/set-receptors';

describe('SET receptors beyond SOAP, components, INFO and preview', () => {
  let receptors: SetReceptors;
  let pipeline: SetPipeline;
  let erp: SeniorG5Server;
  let api: RestReceptor;
  let target: TestDatabase;
  let connections: ConnectionsRegistry;
  let database: TestDatabase;
  let producer: JobProducer;
  let app: FastifyInstance;
  let key: string;
  let empresaId: number;

  beforeAll(async () => {
    receptors = await startSetReceptors((table) =>
      table.addColumn('nome', 'varchar(200)', (c) => c.notNull()).addColumn('documento', 'varchar(20)', (c) => c.notNull().unique()),
    );
    ({ erp, api, target, connections } = receptors);
  });

  afterAll(async () => {
    await receptors.close();
  });

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    ({ empresaId } = await seedSetWsContas(database.db));
    pipeline = await startSetPipeline(database, empresaId, connections, 4);
    ({ app, producer, key } = pipeline);
  });

  afterEach(async () => {
    await pipeline.close();
    await database.drop();
  });

  const post = (url: string, parametros: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload: { parametros } });

  const runToEnd = (integracaoId: number, parametros: Record<string, unknown>) => pipeline.run(integracaoId, parametros);

  /** A REST/JSON receptor integration on a connection of its own, pushing the conta. */
  const addIntegration = (
    receptor: Omit<ReceptorIntegration, 'conexao' | 'campo'>,
    campo: unknown,
    conexao: { id: number; tipo: string; nome: string },
  ) => addReceptorIntegration(database.db, empresaId, { ...receptor, campo, conexao });

  /** A receptor integration's id, nome and link, with its answer's record under `indiceArray`. */
  const receptor = (id: number, nome: string, link: string, indiceArray = 'cliente') => ({ id, nome, link, indiceArray });

  /** Runs the integration for the conta to its end: it must complete (a failure's reason shown first). */
  async function pushesConta(integracaoId: number) {
    const pushed = await runToEnd(integracaoId, { contaId: CONTA.id });
    expect(pushed.job.failedReason ?? null).toBeNull();
    expect(pushed.state).toBe('completed');
  }

  /** Runs the integration for the conta to its end: it must fail for good on its first attempt, naming `reason`. */
  async function failsOnce(integracaoId: number, reason: string | RegExp) {
    const failed = await runToEnd(integracaoId, { contaId: CONTA.id });
    expect(failed.state).toBe('failed');
    expect(failed.job.attemptsMade).toBe(1);
    expect(failed.job.failedReason).toMatch(reason);
  }

  /** The job's failure as GET /v1/jobs/set/:id words it in `language`. */
  const failedReasonText = async (jobId: string, language: string) =>
    (
      (
        await app.inject({
          method: 'GET',
          url: `/v1/jobs/set/${jobId}`,
          headers: { authorization: `Bearer ${key}`, 'accept-language': language },
        })
      ).json() as { failedReasonText: string }
    ).failedReasonText;

  const idErp = async () =>
    (await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow()).id_erp;

  const contaErpColumns = () =>
    database.db.selectFrom('contas').select(['id_erp', 'inscricao']).where('id', '=', CONTA.id).executeTakeFirstOrThrow();

  it('an ERP answer without a return key sql_update uses (no cgcCpf for a conta without CNPJ) writes nothing: the CRM keeps its data, the push is concluded with a warning', async () => {
    await database.db
      .updateTable('integracao')
      .set({
        indice_valor_retorno: 'codCli,cgcCpf',
        sql_update: 'UPDATE contas SET id_erp = #codCli#, inscricao = #cgcCpf# WHERE id = #contaId#',
      })
      .where('id', '=', 19)
      .execute();
    await database.db.updateTable('contas').set({ cnpj: null, id_erp: 'G5-77' }).where('id', '=', CONTA.id).execute();
    expect(await contaErpColumns()).toEqual({ id_erp: 'G5-77', inscricao: '123456789' });
    const pushed = await runToEnd(19, { contaId: CONTA.id });
    expect(pushed.job.failedReason ?? null).toBeNull();
    expect(pushed.state).toBe('completed');
    expect(pushed.job.returnvalue.records).toEqual([
      expect.objectContaining({ status: 'concluido', values: { codCli: expect.any(Number) }, missingReturnKeys: ['cgcCpf'] }),
    ]);
    const codCli = pushed.job.returnvalue.records[0].values.codCli as number;
    expect(erp.customers.get(codCli)).toMatchObject({ nomCli: CONTA.nome });
    // Never a made-up NULL over the CRM's data: the inscricao and the linked id_erp stay.
    expect(await contaErpColumns()).toEqual({ id_erp: 'G5-77', inscricao: '123456789' });
    // The operator's places say it: the outbox row (the receptor's answer as its message, the missing keys kept to be
    // worded in the reader's language, new pushes of the record held back) and the job's log, not only the worker's log.
    expect(
      await database.db
        .selectFrom('integracao_execucoes')
        .select(['status', 'mensagem', 'registro', 'retorno_ausente', 'retido'])
        .execute(),
    ).toEqual([
      { status: 'concluido', mensagem: 'Processado com sucesso', registro: `id${CONTA.id}`, retorno_ausente: 'cgcCpf', retido: 1 },
    ]);
    // The job's log (the dashboard's job detail), worded in the reader's language; written after the run, so waited for.
    let logs: string[] = [];
    for (const until = Date.now() + 5000; logs.length < 2 && Date.now() < until; await new Promise((r) => setTimeout(r, 20)))
      ({ logs } = await producer.queue('set').getJobLogs(pushed.job.id as string));
    expect(logs.map((line) => showJobLogLine('pt-BR', line).text)).toContainEqual(
      expect.stringContaining('aceito pelo receptor; sql_update não executado: a resposta não trouxe cgcCpf'),
    );
  });

  it('an ERP answer with none of the return keys (only retorno OK) leaves a linked id_erp alone and concludes the push', async () => {
    await database.db
      .updateTable('integracao')
      .set({ indice_valor_retorno: 'codFor', sql_update: 'UPDATE contas SET id_erp = #codFor# WHERE id = #contaId#' })
      .where('id', '=', 19)
      .execute();
    await database.db.updateTable('contas').set({ id_erp: 'G5-77' }).where('id', '=', CONTA.id).execute();
    const pushed = await runToEnd(19, { contaId: CONTA.id });
    expect(pushed.job.failedReason ?? null).toBeNull();
    expect(pushed.state).toBe('completed');
    expect(pushed.job.returnvalue.records).toEqual([expect.objectContaining({ status: 'concluido', missingReturnKeys: ['codFor'] })]);
    expect(await contaErpColumns()).toEqual({ id_erp: 'G5-77', inscricao: '123456789' });
    expect(await database.db.selectFrom('integracao_execucoes').select(['status', 'retorno_ausente', 'retido']).execute()).toEqual([
      { status: 'concluido', retorno_ausente: 'codFor', retido: 1 },
    ]);
  });

  it('pushes the same conta to a REST/JSON receptor and writes its id back; a 400 fails with its message', async () => {
    await addIntegration(
      receptor(20, 'SET-API-CONTAS', 'POST /api/clientes'),
      { nome: '#nome#', documento: '#cnpj#', contato: { email: '#email_geral#', telefone: '#telefone#' } },
      { id: 4, tipo: 'API', nome: 'crm_api' },
    );
    await pushesConta(20);
    expect(api.received).toEqual([
      { nome: CONTA.nome, documento: CONTA.cnpj, contato: { email: CONTA.email_geral, telefone: CONTA.telefone } },
    ]);
    expect(await idErp()).toBe('501');

    await database.db.updateTable('contas').set({ cnpj: null }).where('id', '=', CONTA.id).execute();
    await failsOnce(20, 'documento é obrigatório');
  });

  it("words a 4xx refusal by the integration's indice_erro_retorno keys, the first with the others as detail", async () => {
    await addIntegration(
      { ...receptor(25, 'SET-API-RECUSA', 'POST /api/clientes'), indiceErro: 'erro,mensagemErro' },
      { nome: '#nome#', documento: 'recusar' },
      { id: 8, tipo: 'API', nome: 'crm_api' },
    );
    const refused = await runToEnd(25, { contaId: CONTA.id });
    expect(refused.state).toBe('failed');
    // The transport alone took one message field (erro) and dropped mensagemErro.
    expect(refused.job.failedReason).toContain('CNPJ inválido no ERP');
    expect(refused.job.failedReason).toContain('cliente recusado');
  });

  it("fills a REST link's #vars# per record (path segment and query value encoded), previews that URL, refuses a missing value or a templated host", async () => {
    await addIntegration(
      receptor(22, 'SET-API-PUT', 'PUT /api/clientes/#cnpj#?origem=crm&nome=#nome#'),
      { nome: '#nome#', documento: '#cnpj#' },
      { id: 6, tipo: 'API', nome: 'crm_api' },
    );
    // The receptor is shared by the file's tests: only what this test sends counts.
    const before = api.requests.length;
    const sent = () => api.requests.slice(before);
    const preview = await post('/v1/integrations/22/preview', { contaId: CONTA.id });
    expect(preview.statusCode).toBe(200);
    // The URL really called (query values masked as everywhere a URL is shown); nothing sent.
    expect(preview.json().records[0].request.url).toBe(`${api.url}/api/clientes/12.345.678%2F0001-95?origem=***&nome=***`);
    expect(sent()).toEqual([]);
    await pushesConta(22);
    // The cnpj's '/' stays inside one path segment; the query keeps its static part and encodes the nome.
    expect(sent()).toEqual(['PUT /api/clientes/12.345.678%2F0001-95?origem=crm&nome=Padaria+P%C3%A3o+Quente+Ltda']);
    expect(await idErp()).toBe('700');

    // A variable with no value (id_erp is NULL again) is the campos' MISSING_VARIABLE: nothing goes out.
    await database.db.updateTable('contas').set({ id_erp: null }).where('id', '=', CONTA.id).execute();
    await addIntegration(
      receptor(23, 'SET-API-ID', 'PUT /api/clientes/#id_erp#'),
      { nome: '#nome#' },
      { id: 7, tipo: 'API', nome: 'crm_api' },
    );
    await failsOnce(23, '#id_erp# has no value');
    // A #var# before the path would let a record choose the host: refused, nothing sent.
    await addIntegration(
      receptor(24, 'SET-API-HOST', 'PUT #cnpj#/api/clientes'),
      { nome: '#nome#' },
      { id: 8, tipo: 'API', nome: 'crm_api' },
    );
    // config lint's LINK_TEMPLATES_HOST: refused at once (SET_CONFIG), nothing enqueued.
    const refused = await post('/v1/integrations/24/run', { contaId: CONTA.id });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'SET_CONFIG', message: expect.stringContaining('[LINK_TEMPLATES_HOST]') });
    expect(sent()).toHaveLength(1);
  });

  it('a campo_crm typo (#fantazia#) fails naming the integration, the campos_integracao row and the nearest column, one language each (trial M3)', async () => {
    const campo = await database.db
      .selectFrom('campos_integracao')
      .select(['id', 'campo_crm'])
      .where('integracao_id', '=', 19)
      .executeTakeFirstOrThrow();
    const typo = campo.campo_crm.replace('#fantasia#', '#fantazia#');
    expect(typo).not.toBe(campo.campo_crm);
    await database.db.updateTable('campos_integracao').set({ campo_crm: typo }).where('id', '=', campo.id).execute();
    const callsBefore = erp.requests.count;
    const failed = await runToEnd(19, { contaId: CONTA.id });
    expect(failed.state).toBe('failed');
    expect(failed.job.attemptsMade).toBe(1);
    expect(erp.requests.count).toBe(callsBefore);
    const jobId = String(failed.job.id);
    expect(await recordedFailureCode(database.db, jobId)).toBe('MISSING_VARIABLE');
    expect(await failedReasonText(jobId, 'pt-BR')).toBe(
      `a integração SET-WS-CONTAS usa #fantazia# em campos_integracao #${campo.id}, e nada lhe dá valor (quis dizer #fantasia#?): corrija a grafia em campos_integracao #${campo.id}`,
    );
    expect(await failedReasonText(jobId, 'en')).toBe(
      `integracao SET-WS-CONTAS uses #fantazia# in campos_integracao #${campo.id}, and nothing gives it a value (did you mean #fantasia#?): fix the spelling in campos_integracao #${campo.id}`,
    );
  });

  it("a receptor on loopback refused by the hub's outbound guard (OUTBOUND_ALLOW_LOOPBACK off) is the guard's failure, not the receptor's: its code, its words, the setting that opens it", async () => {
    const callsBefore = erp.requests.count;
    allowLoopbackOutbound(false);
    let failed: Awaited<ReturnType<typeof runToEnd>>;
    try {
      failed = await runToEnd(19, { contaId: CONTA.id });
    } finally {
      allowLoopbackOutbound(true);
    }
    // Permanent (a configuration fault: the same address is refused again), on its first attempt; nothing reached the ERP.
    expect(failed.state).toBe('failed');
    expect(failed.job.attemptsMade).toBe(1);
    expect(erp.requests.count).toBe(callsBefore);
    const jobId = String(failed.job.id);
    expect(await recordedFailureCode(database.db, jobId)).toBe('OUTBOUND_ADDRESS_FORBIDDEN');
    const pt = await failedReasonText(jobId, 'pt-BR');
    const en = await failedReasonText(jobId, 'en');
    expect(pt).toMatch(/^a proteção de saída do hub recusou o endereço 127\.0\.0\.1 .*OUTBOUND_ALLOW_LOOPBACK=true nos workers/);
    expect(en).toMatch(/^the hub's outbound guard refused the address 127\.0\.0\.1 .*OUTBOUND_ALLOW_LOOPBACK=true on the workers/);
    for (const text of [pt, en]) expect(text).not.toMatch(/confira usuário|check the user|receptor recusou|receptor refused/);
  });

  it('puts a database receptor behind the outbound guard: loopback refused unless the connection allows private networks', async () => {
    const transport = createDatabaseTransport(connections.require('erp_db_guarded', empresaId) as DatabaseConnection);
    try {
      const refused = await transport
        .send({ link: 'clientes_erp', operation: null, body: { nome: 'x', documento: '1' }, timeoutMs: 5000 })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(refused).toBeInstanceOf(OutboundAddressError);
      expect(refused).toMatchObject({ permanent: true, message: expect.stringContaining('allowPrivateNetwork') });
      const rows = await target.db
        .selectFrom('clientes_erp' as never)
        .selectAll()
        .execute();
      expect(rows).toEqual([]);
    } finally {
      await transport.close?.();
    }
  });

  it('pushes to a database receptor (MariaDB) and writes the generated id back', async () => {
    await addIntegration(
      receptor(21, 'SET-BD-CONTAS', 'clientes_erp', 'parameters'),
      { nome: '#nome#', documento: '#cnpj#' },
      { id: 5, tipo: 'BD', nome: 'erp_db' },
    );
    await database.db
      .insertInto('regras')
      .values({ integracao_id: 21, campo: 'documento', tipo: 'somente_digitos', parametros: null, ordem: 0 })
      .execute();
    await pushesConta(21);
    const rows = await target.db
      .selectFrom('clientes_erp' as never)
      .selectAll()
      .execute();
    expect(rows).toEqual([{ id: 1, nome: CONTA.nome, documento: '12345678000195' }]);
    expect(await idErp()).toBe('1');
    // A second push of the same document breaks the receptor's unique key: a permanent failure, not a retry loop.
    await failsOnce(21, /Duplicate/i);
  });

  it('resolves dependencias with lookup queries before mapping, and logs each attempt on the job', async () => {
    const [cidade] = await database.db
      .insertInto('cidades')
      .values({ empresa_id: empresaId, nome: 'São Paulo', uf: 'SP', codigo_ibge: '3550308', id_erp: null })
      .returning('id')
      .execute();
    await database.db
      .updateTable('contas')
      .set({ cidade_id: cidade?.id ?? null })
      .where('id', '=', CONTA.id)
      .execute();
    await database.db
      .insertInto('dependencias')
      .values([
        {
          integracao_id: 19,
          variavel: 'nomeCidade',
          tipo: 'consulta',
          consulta: 'SELECT nome FROM cidades WHERE id = #cidade_id#',
          indice_valor: 'nome',
          obrigatoria: 1,
        },
        {
          integracao_id: 19,
          variavel: 'ufCidade',
          tipo: 'consulta',
          consulta: '{"consulta": "SELECT uf FROM cidades WHERE id = #cidade_id#"}',
          indice_valor: null,
          obrigatoria: 1,
        },
      ])
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({
        integracao_id: 19,
        campo_crm: JSON.stringify({ dadosGeraisCliente: { cidCli: '#nomeCidade#', sigUfs: '#ufCidade#' } }),
        ordem: 1,
      })
      .execute();
    const { state, job } = await runToEnd(19, { contaId: CONTA.id });
    expect(state).toBe('completed');
    expect([...erp.customers.values()].find((c) => c.nomCli === CONTA.nome)).toMatchObject({ cidCli: 'São Paulo', sigUfs: 'SP' });
    // The job's log has one compact line per attempt, written in the worker's next batch of log lines (within 50 ms);
    // the exchange itself is the outbox's (integracao_tentativas).
    let logs: string[] = [];
    for (const until = Date.now() + 5000; !logs.length && Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
      ({ logs } = await producer.queue('set').getJobLogs(job.id as string));
    }
    expect(logs).toHaveLength(1);
    const line = JSON.parse(logs[0] as string);
    expect(line).toEqual({ code: 'SET_RECORD_SENT', params: { recordKey: expect.any(String), url: expect.stringContaining(erp.url) } });
    const [tentativa] = await database.db
      .selectFrom('integracao_tentativas as t')
      .innerJoin('integracao_execucoes as e', 'e.id', 't.execucao_id')
      .select(['t.requisicao', 't.resposta'])
      .where('e.job_id', '=', String(job.id))
      .orderBy('t.id', 'desc')
      .limit(1)
      .execute();
    expect(tentativa?.requisicao).toContain('São Paulo');
    expect(tentativa?.resposta).toContain('retornosClientes');

    // A required dependency without a value fails for good, naming the variable.
    await database.db.updateTable('contas').set({ cidade_id: null }).where('id', '=', CONTA.id).execute();
    const failed = await runToEnd(19, { contaId: CONTA.id });
    expect(failed.state).toBe('failed');
    expect(failed.job.attemptsMade).toBe(1);
    expect(failed.job.failedReason).toContain('#nomeCidade#');
  });

  it('nests a component integration (delivery addresses) inside the SET request', async () => {
    await database.db
      .insertInto('integracao')
      .values({
        id: 30,
        nome: 'ENDERECOS-ENTREGA',
        tipo_servico: 'SET',
        link: 'componente',
        tabela: 'contas',
        consulta:
          "{\"consulta\":\"SELECT 1 AS seq, c.endereco, c.numero, c.bairro, c.cep FROM contas c WHERE c.id = #contaId# UNION ALL SELECT 2, 'Rua das Flores', '10', 'Centro', '01000-000' FROM contas c WHERE c.id = #contaId#\"}",
        empresa_id: empresaId,
        empresa_filial_id: null,
        ordem: 0,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({
        integracao_id: 30,
        campo_crm: JSON.stringify({ seqEnt: '#seq#', endEnt: '#endereco#', nenEnt: '#numero#', baiEnt: '#bairro#', cepEnt: '#cep#' }),
        ordem: 0,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({
        integracao_id: 19,
        campo_crm: JSON.stringify({ dadosGeraisCliente: { enderecosEntrega: '#componente:ENDERECOS-ENTREGA#' } }),
        ordem: 1,
      })
      .execute();
    await database.db
      .insertInto('regras')
      .values({ integracao_id: 30, campo: 'cepEnt', tipo: 'somente_digitos', parametros: null, ordem: 0 })
      .execute();
    const { state, job } = await runToEnd(19, { contaId: CONTA.id });
    expect(job.failedReason ?? null).toBeNull();
    expect(state).toBe('completed');
    const [customer] = [...erp.customers.values()].filter((c) => c.nomCli === CONTA.nome);
    expect(customer?.enderecosEntrega).toEqual([
      expect.objectContaining({ seqEnt: 1, endEnt: CONTA.endereco, nenEnt: CONTA.numero, cepEnt: '01310100' }),
      expect.objectContaining({ seqEnt: 2, endEnt: 'Rua das Flores', cepEnt: '01000000' }),
    ]);
  });

  it('sends a component with no item as [] to a REST/JSON receptor (removes its addresses) and leaves it out of a SOAP envelope', async () => {
    // A component whose consulta finds no row: the conta has no delivery address (any more).
    await database.db
      .insertInto('integracao')
      .values({
        id: 31,
        nome: 'ENDERECOS-VAZIOS',
        tipo_servico: 'SET',
        link: 'componente',
        tabela: 'contas',
        consulta: '{"consulta":"SELECT c.endereco FROM contas c WHERE c.id = #contaId# AND 1 = 0"}',
        empresa_id: empresaId,
        empresa_filial_id: null,
        ordem: 0,
        ativo: 1,
      })
      .execute();
    await database.db
      .insertInto('campos_integracao')
      .values({ integracao_id: 31, campo_crm: '{"endereco":"#endereco#"}', ordem: 0 })
      .execute();
    await addIntegration(
      receptor(21, 'SET-API-ENDERECOS', 'POST /api/clientes'),
      { nome: '#nome#', documento: '#cnpj#', enderecos: '#componente:ENDERECOS-VAZIOS#' },
      { id: 5, tipo: 'API', nome: 'crm_api' },
    );
    await pushesConta(21);
    // An upsert API reads a missing key as "keep the addresses": [] is what removes them.
    expect(api.received.at(-1)).toEqual({ nome: CONTA.nome, documento: CONTA.cnpj, enderecos: [] });

    await database.db
      .insertInto('campos_integracao')
      .values({
        integracao_id: 19,
        campo_crm: JSON.stringify({ dadosGeraisCliente: { enderecosEntrega: '#componente:ENDERECOS-VAZIOS#' } }),
        ordem: 1,
      })
      .execute();
    const soap = await post('/v1/integrations/19/preview', { contaId: CONTA.id });
    expect(soap.statusCode).toBe(200);
    expect(soap.json().records[0].body.dadosGeraisCliente.enderecosEntrega).toEqual([]);
    expect(soap.json().records[0].request.request).toContain('Padaria P');
    expect(soap.json().records[0].request.request).not.toContain('enderecosEntrega');
  });

  it("answers an INFO lookup with the receptor's values under the integration's nome, writing nothing", async () => {
    expect((await runToEnd(19, { contaId: CONTA.id })).state).toBe('completed');
    const codCli = await idErp();
    await addInfoWsCliente(database.db, empresaId, 2);
    const before = await database.db.selectFrom('integracao_execucoes').select('id').execute();
    const response = await post('/v1/integrations/22/info', { contaId: CONTA.id });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ 'INFO-WS-CLIENTE': { codCli: Number(codCli), nomCli: CONTA.nome, sitCli: 'A' } });
    expect(await database.db.selectFrom('integracao_execucoes').select('id').execute()).toEqual(before);
    expect((await post('/v1/integrations/19/info', { contaId: CONTA.id })).statusCode).toBe(409);
  });

  it('runs the SET integrations of a table when a CRM change event arrives', async () => {
    const event = (payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/v1/events/crm-change', headers: { authorization: `Bearer ${key}` }, payload });
    const accepted = await event({ tabela: 'contas', parametros: { contaId: CONTA.id } });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toEqual({
      jobs: [{ integracaoId: 19, jobId: expect.any(String) }],
      skipped: [],
      refused: [],
      // contas fires no webhook gatilho; without a chaveIdempotencia the hub makes one up (no deduplication).
      webhooks: null,
      chaveIdempotencia: expect.stringMatching(/^auto-/),
      deduplicated: false,
    });
    const jobId = accepted.json().jobs[0].jobId as string;
    for (let i = 0; i < 400 && (await (await producer.getJob('set', jobId))?.getState()) !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await producer.getJob('set', jobId))?.data.trigger).toBe('event');
    expect(await idErp()).not.toBeNull();

    expect((await event({ tabela: 'contas' })).json()).toMatchObject({
      jobs: [],
      skipped: [{ integracaoId: 19, missing: ['contaId'] }],
      refused: [],
    });
    expect((await event({ tabela: 'oportunidades', parametros: { contaId: 1 } })).json()).toMatchObject({
      jobs: [],
      skipped: [],
      refused: [],
    });
    const bad = await event({ tabela: 'contas; DROP TABLE contas' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('body.tabela');
  });

  it('previews the SQL with its bound values and the exact envelope, sending nothing', async () => {
    const calls = erp.requests.count;
    const response = await post('/v1/integrations/19/preview', { contaId: CONTA.id });
    expect(response.statusCode).toBe(200);
    const preview = response.json();
    // The consulta as it runs: bound to the caller's empresa (the engine's #empresa_id#), then the seed's own filter.
    expect(preview.consulta.sql).toMatch(/^WITH "contas" AS \(SELECT \* FROM main\."contas" WHERE empresa_id = \?\) .*WHERE c\.id = \?$/s);
    expect(preview.consulta.parameters).toEqual([empresaId, String(CONTA.id)]);
    expect(preview.records).toHaveLength(1);
    expect(preview.records[0].body.dadosGeraisCliente).toMatchObject({ nomCli: CONTA.nome, cgcCpf: '12345678000195' });
    expect(preview.records[0].request.request).toContain('GravarClientes');
    expect(preview.records[0].request.request).toContain('Padaria P');
    expect(preview.records[0].request.request).not.toContain(DEFAULT_CREDENTIALS.password);
    expect(erp.requests.count).toBe(calls);
    const missing = await post('/v1/integrations/19/preview', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toContain('contaId');
  });
});
