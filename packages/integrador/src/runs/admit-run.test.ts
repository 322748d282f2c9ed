import { parseConnections } from '@integrador/connections';
import { createEmpresa, createFilial } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { DependencyCycleError } from '../dependency-graph';
import { ADMISSION_CACHE_TTL_MS, cachedAdmission } from './admission-cache';
import { admitRun } from './admit-run';
import { RunRefusedError } from './run-errors';
import { runRefusalMessage, runRefusalOf } from './run-refusals';

async function refusal(promise: Promise<unknown>): Promise<RunRefusedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunRefusedError);
  return err as RunRefusedError;
}

/** A new row's id on every dialect: RETURNING where the database has it, insertId on MySQL/MariaDB. */
async function insertedId(
  database: TestDatabase,
  table: 'integracao' | 'conexao_integracao',
  values: Record<string, unknown>,
): Promise<number> {
  const query = database.db.insertInto(table).values(values as never);
  if (database.dialect === 'mysql') return Number((await query.executeTakeFirstOrThrow()).insertId);
  return (await query.returning('id').executeTakeFirstOrThrow()).id;
}

/** An integracao row of `empresa` (SET, active) with `values` on top; its id. */
function addIntegracao(database: TestDatabase, empresa: number, values: Record<string, unknown>): Promise<number> {
  return insertedId(database, 'integracao', {
    nome: `I${Math.random()}`,
    tipo_servico: 'SET',
    empresa_id: empresa,
    ativo: 1,
    ordem: 0,
    ...values,
  });
}

// The tenant, filial and connection filters are SQL each CRM database runs: every dialect.
describe.each(ALL_DIALECTS)('admitRun: one rule for every caller (%s CRM)', (dialect) => {
  let database: TestDatabase;
  let empresa: number;
  let other: number;
  let filial: number;

  const add = (values: Record<string, unknown>) => addIntegracao(database, empresa, values);

  const admit = (integracaoId: number, extra: Record<string, unknown> = {}) =>
    admitRun(database.db, { tenant: { empresaId: empresa, filialId: null }, integracaoId, parametros: {}, ...extra });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresa = await createEmpresa(database.db, 'A');
    other = await createEmpresa(database.db, 'B');
    filial = await createFilial(database.db, empresa, 'Filial 1');
  });
  afterAll(() => database.drop());

  it('reads tipo_servico, link and ativo trimmed and in any case', async () => {
    const lower = await add({ tipo_servico: ' set ' });
    expect((await admit(lower)).plan).toEqual([expect.objectContaining({ integracaoId: lower, queue: 'set' })]);
    const get = await add({ tipo_servico: 'Get', sql_consulta: 'SELECT CODCLI AS id_erp FROM E085CLI', tabela: 'contas' });
    expect((await admit(get)).queue).toBe('get');
    const componente = await add({ link: ' Componente ' });
    expect(await refusal(admit(componente))).toMatchObject({ code: 'NOT_RUNNABLE', params: { reason: 'componente' } });
    const inactive = await add({ ativo: 0 });
    expect(await refusal(admit(inactive))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
    // A dry run of an inactive row is allowed (configuring it); INFO runs only INFO rows.
    expect((await admit(inactive, { purpose: 'preview' })).integracao.id).toBe(inactive);
    expect(await refusal(admit(lower, { purpose: 'info' }))).toMatchObject({ code: 'NOT_RUNNABLE' });
  });

  it('says a preview or an INFO lookup refused for a missing parameter enqueued nothing because it runs nothing', async () => {
    const id = await add({ parametros_obrigatorios: 'contaId', tipo_servico: 'SET' });
    const worded = async (purpose: 'run' | 'preview', locale: 'pt-BR' | 'en') => {
      const found = runRefusalOf(await refusal(admit(id, { purpose })));
      return found ? runRefusalMessage(locale, found) : undefined;
    };
    expect(await worded('run', 'en')).toMatch(/; nothing was enqueued$/);
    expect(await worded('preview', 'pt-BR')).toMatch(/; nada foi executado$/);
    expect(await worded('preview', 'en')).toMatch(/; nothing was run$/);
  });

  it('refuses an unknown tipo_servico (a typo) as unknown, for a preview as for a run', async () => {
    const typo = await add({ tipo_servico: 'SETT' });
    for (const purpose of ['run', 'preview', 'info'] as const)
      expect(await refusal(admit(typo, { purpose }))).toMatchObject({ code: 'UNKNOWN_SERVICE_TYPE', params: { tipo: 'SETT' } });
  });

  it('checks parametros_obrigatorios unless the values come from elsewhere', async () => {
    const id = await add({ parametros_obrigatorios: 'contaId, outro' });
    expect(await refusal(admit(id, { parametros: { contaId: 1 } }))).toMatchObject({
      code: 'MISSING_PARAMETERS',
      params: { names: 'outro' },
    });
    expect((await admit(id, { parametros: {}, checkParameters: false })).integracao.id).toBe(id);
  });

  it("answers another tenant's row, and another filial's row for a filial key, like a missing one", async () => {
    const foreign = await add({ empresa_id: other });
    expect(await refusal(admit(foreign))).toMatchObject({ code: 'NOT_FOUND' });
    const otherFilial = await add({ empresa_filial_id: filial + 1000 });
    const asFilial = admitRun(database.db, { tenant: { empresaId: empresa, filialId: filial }, integracaoId: otherFilial, parametros: {} });
    expect(await refusal(asFilial)).toMatchObject({ code: 'NOT_FOUND' });
    const ownFilial = await add({ empresa_filial_id: filial });
    expect((await admit(ownFilial)).runTenant).toEqual({ empresaId: empresa, filialId: filial });
  });

  it('refuses a conexao_integracao of another empresa (for SET as for GET)', async () => {
    const conexao = await insertedId(database, 'conexao_integracao', { tipo_conexao: 'WS', nome_conexao: 'alheia', empresa_id: other });
    for (const tipo of ['SET', 'GET']) {
      const id = await add({ tipo_servico: tipo, conexao_integracao_id: conexao });
      expect(await refusal(admit(id))).toMatchObject({ code: 'MISSING_CONNECTION' });
    }
  });

  // Trial L2: `config lint` reported the row as an error and its run was admitted all the same, to fail in worker-get.
  it('refuses a GET its run would refuse (GET_CONFIG, 422), triggered or a step of the flow, worded in each language', async () => {
    const nome = `GET-QUEBRADA-${dialect}`;
    const broken = await add({ nome, tipo_servico: 'GET', sql_consulta: 'SELECT CODCLI AS id_erp FROM E085CLI', tabela: 'usuarios' });
    const refused = await refusal(admit(broken));
    expect(refused).toMatchObject({ code: 'GET_CONFIG', permanent: true });
    const found = runRefusalOf(refused);
    expect(found?.status).toBe(422);
    const tables = 'contas, contatos, oportunidades, cidades';
    expect(found && runRefusalMessage('pt-BR', found)).toBe(
      `a integração GET #${broken} (${nome}) está mal configurada: tabela: "usuarios" não é uma tabela do CRM que um GET grava (esperado uma de ${tables}); nada foi enfileirado (\`config lint\` aponta a linha)`,
    );
    expect(found && runRefusalMessage('en', found)).toBe(
      `GET integration #${broken} (${nome}) is misconfigured: tabela: "usuarios" is not a CRM table a GET may write (expected one of ${tables}); nothing was enqueued (\`config lint\` names the row)`,
    );
    // A SET whose flow runs the broken GET first: refused naming the GET.
    const dependent = await add({ dependente: broken });
    const viaFlow = runRefusalOf(await refusal(admit(dependent)));
    expect(viaFlow && runRefusalMessage('pt-BR', viaFlow)).toMatch(
      new RegExp(`^a integração GET #${broken} \\(${nome}\\) está mal configurada: tabela: `),
    );
    // A run elsewhere in the empresa is not concerned; another empresa's key finds no such integration.
    expect((await admit(await add({}))).plan).toHaveLength(1);
    const asOther = admitRun(database.db, { tenant: { empresaId: other, filialId: null }, integracaoId: broken, parametros: {} });
    expect(await refusal(asOther)).toMatchObject({ code: 'NOT_FOUND' });
    // Fixed, it runs.
    await database.db.updateTable('integracao').set({ tabela: 'contas' }).where('id', '=', broken).execute();
    expect((await admit(broken)).queue).toBe('get');
  });

  // A SET whose configuration lint calls an error was admitted (202) and failed in worker-set: every run of it fails
  // the same way, so admission refuses it (SET_CONFIG, 422) with the lint's own finding; warnings never do.
  it('refuses a SET its runs would certainly fail on (SET_CONFIG, 422), triggered or a step of the flow, worded in each language', async () => {
    const nome = `SET-QUEBRADA-${dialect}`;
    const broken = await add({ nome, consulta: '{"consulta": "SELECT c.id, c.nome FROM contas c"}' });
    const regra = { integracao_id: broken, campos_integracao_id: null, campo: 'nome', parametros: null, ordem: 0, descricao: null };
    await database.db
      .insertInto('regras')
      .values({ ...regra, tipo: 'maiusculass' })
      .execute();
    const { id: regraId } = await database.db
      .selectFrom('regras')
      .select('id')
      .where('integracao_id', '=', broken)
      .executeTakeFirstOrThrow();
    const refused = await refusal(admit(broken));
    expect(refused).toMatchObject({ code: 'SET_CONFIG', permanent: true });
    const found = runRefusalOf(refused);
    expect(found?.status).toBe(422);
    expect(found && runRefusalMessage('pt-BR', found)).toMatch(
      new RegExp(
        `^a integração SET #${broken} \\(${nome}\\) está mal configurada: regras #${regraId} coluna tipo: tipo "maiusculass" de regra desconhecido; esperado um de: .+ \\[INVALID_RULE\\]; nada foi enfileirado \\(\`config lint\` aponta a linha\\)$`,
      ),
    );
    expect(found && runRefusalMessage('en', found)).toMatch(
      new RegExp(
        `^SET integration #${broken} \\(${nome}\\) is misconfigured: regras #${regraId} column tipo: unknown regra tipo "maiusculass"; expected one of: .+ \\[INVALID_RULE\\]; nothing was enqueued`,
      ),
    );
    // A step of the flow: a SET that runs the broken one first is refused naming it.
    const dependent = await add({ dependente: broken });
    expect(await refusal(admit(dependent))).toMatchObject({ code: 'SET_CONFIG', params: { id: String(broken), codigo: 'INVALID_RULE' } });
    // Another empresa's key finds no such integration (404 at the API), and learns nothing of its configuration.
    const asOther = admitRun(database.db, { tenant: { empresaId: other, filialId: null }, integracaoId: broken, parametros: {} });
    expect(await refusal(asOther)).toMatchObject({ code: 'NOT_FOUND', params: {} });
    // A campo_crm that is no JSON fails every push as well.
    await database.db.updateTable('regras').set({ tipo: 'maiusculas' }).where('id', '=', regraId).execute();
    await database.db.insertInto('campos_integracao').values({ integracao_id: broken, campo_crm: '{"nome": #nome#}', ordem: 0 }).execute();
    expect(await refusal(admit(broken))).toMatchObject({
      code: 'SET_CONFIG',
      params: { tabela: 'campos_integracao', codigo: 'MALFORMED_JSON' },
    });
    await database.db
      .updateTable('campos_integracao')
      .set({ campo_crm: '{"nome": "#nome#"}' })
      .where('integracao_id', '=', broken)
      .execute();
    // Fixed, it runs; a warning (a consulta without id) and a consulta in plain SQL (runs read it so) are no refusal.
    expect((await admit(broken)).queue).toBe('set');
    await database.db.updateTable('integracao').set({ consulta: 'SELECT c.nome FROM contas c' }).where('id', '=', broken).execute();
    expect((await admit(dependent)).plan.map((step) => step.integracaoId)).toEqual([broken, dependent]);
  });

  it("refuses a SET's connection-kind errors only when the connections file says the kind (the file is what runs go by)", async () => {
    const conexao = await insertedId(database, 'conexao_integracao', {
      tipo_conexao: 'database',
      nome_conexao: `erp_ws_${dialect}`,
      empresa_id: empresa,
    });
    // tipo_conexao says database, the file says web service: a SOAP row without porta_ws fails every push.
    const id = await add({ conexao_integracao_id: conexao, link: '/ws/clientes?wsdl', porta_ws: null });
    const connections = parseConnections(
      `connections:\n  erp_ws_${dialect}:\n    tipo: webservice\n    baseUrl: https://erp.example.com\n    user: u\n    password: p\n`,
      'yaml',
      {},
      'test',
    );
    expect(await refusal(admit(id, { connections }))).toMatchObject({
      code: 'SET_CONFIG',
      params: { codigo: 'MISSING_PORTA_WS', tabela: 'integracao', coluna: 'porta_ws' },
    });
    // Without the file (a worker's cached admission) the kind is only tipo_conexao's: not certain, admitted.
    expect((await admit(id)).queue).toBe('set');
    await database.db.updateTable('integracao').set({ porta_ws: 'GravarClientes' }).where('id', '=', id).execute();
    expect((await admit(id, { connections })).queue).toBe('set');
  });

  // A GET's key its CRM table has no unique index for (or no such column), and a GET on a connection that is no
  // database, were admitted (202) although `config lint` called them errors and every run failed in worker-get.
  it("refuses a GET whose key its CRM table cannot upsert by (GET_CONFIG, the lint's finding), triggered or a step of the flow", async () => {
    const nome = `GET-FANTASIA-${dialect}`;
    const get = await add({
      nome,
      tipo_servico: 'GET',
      sql_consulta: 'SELECT CODCLI AS id_erp, APECLI AS fantasia FROM E085CLI',
      tabela: 'contas',
      chave: 'fantasia',
    });
    const refused = await refusal(admit(get));
    expect(refused).toMatchObject({
      code: 'GET_CONFIG',
      permanent: true,
      params: { codigo: 'GET_KEY_NOT_UNIQUE', tabela: 'integracao', linha: String(get), coluna: 'chave' },
    });
    const found = runRefusalOf(refused);
    expect(found?.status).toBe(422);
    expect(found && runRefusalMessage('pt-BR', found)).toBe(
      `a integração GET #${get} (${nome}) está mal configurada: integracao #${get} coluna chave: contas não tem índice único em (empresa_id, fantasia): o upsert do GET não casa os registros pela chave (PostgreSQL e SQLite recusam o ON CONFLICT, o MariaDB duplicaria as linhas), por isso cada execução é recusada; crie o índice (CREATE UNIQUE INDEX … ON contas (empresa_id, fantasia)) ou use a chave id_erp [GET_KEY_NOT_UNIQUE]; nada foi enfileirado (\`config lint\` aponta a linha)`,
    );
    expect(found && runRefusalMessage('en', found)).toBe(
      `GET integration #${get} (${nome}) is misconfigured: integracao #${get} column chave: contas has no unique index on (empresa_id, fantasia): the GET's upsert cannot match records by the key (PostgreSQL and SQLite refuse the ON CONFLICT, MariaDB would duplicate rows), so every run is refused; create the index (CREATE UNIQUE INDEX … ON contas (empresa_id, fantasia)) or use chave id_erp [GET_KEY_NOT_UNIQUE]; nothing was enqueued (\`config lint\` names the row)`,
    );
    // A SET whose flow runs the GET first is refused naming the GET; another empresa's key finds no such integration.
    const dependent = await add({ dependente: get });
    expect(await refusal(admit(dependent))).toMatchObject({
      code: 'GET_CONFIG',
      params: { id: String(get), codigo: 'GET_KEY_NOT_UNIQUE' },
    });
    const asOther = admitRun(database.db, { tenant: { empresaId: other, filialId: null }, integracaoId: get, parametros: {} });
    expect(await refusal(asOther)).toMatchObject({ code: 'NOT_FOUND', params: {} });
    // A key that is no column of the table fails every run as well.
    await database.db.updateTable('integracao').set({ chave: 'codigo_erp' }).where('id', '=', get).execute();
    expect(await refusal(admit(get))).toMatchObject({ code: 'GET_CONFIG', params: { codigo: 'GET_KEY_NOT_A_COLUMN', coluna: 'chave' } });
    // A key the hub's unique index backs, or templates instead of the built-in upsert: admitted.
    await database.db.updateTable('integracao').set({ chave: null }).where('id', '=', get).execute();
    expect((await admit(dependent)).plan.map((step) => step.integracaoId)).toEqual([get, dependent]);
    const templates = 'INSERT INTO contas (empresa_id, fantasia) VALUES (#empresa_id#, #fantasia#)';
    await database.db
      .updateTable('integracao')
      .set({ chave: 'fantasia', tabela: null, sql_insert: templates })
      .where('id', '=', get)
      .execute();
    expect((await admit(get)).queue).toBe('get');
  });

  it('refuses a GET on a connection the connections file says is no database (GET_CONFIG), the workers too', async () => {
    const conexao = await insertedId(database, 'conexao_integracao', {
      tipo_conexao: 'WS',
      nome_conexao: `erp_api_${dialect}`,
      empresa_id: empresa,
    });
    const get = await add({
      tipo_servico: 'GET',
      sql_consulta: 'SELECT CODCLI AS id_erp FROM E085CLI',
      tabela: 'contas',
      conexao_integracao_id: conexao,
    });
    const connections = parseConnections(
      `connections:\n  erp_api_${dialect}:\n    tipo: webservice\n    baseUrl: https://erp.example.com\n    user: u\n    password: p\n`,
      'yaml',
      {},
      'test',
    );
    const refused = await refusal(admit(get, { connections }));
    expect(refused).toMatchObject({
      code: 'GET_CONFIG',
      params: { codigo: 'GET_CONNECTION_NOT_DATABASE', tabela: 'integracao', coluna: 'conexao_integracao_id' },
    });
    const found = runRefusalOf(refused);
    expect(found && runRefusalMessage('en', found)).toContain(
      `uses connection "erp_api_${dialect}", which is a webservice connection in the connections file: a GET runs sql_consulta on a database, so every run is refused; expected a database connection [GET_CONNECTION_NOT_DATABASE]`,
    );
    expect(found && runRefusalMessage('pt-BR', found)).toMatch(
      /que é do tipo webservice no arquivo de conexões: .+ \[GET_CONNECTION_NOT_DATABASE\]; nada foi enfileirado/,
    );
    // A worker's admission (createJobAdmission with the file) refuses the job it takes the same way.
    const worker = cachedAdmission(database.db, { connections });
    const job = { tenant: { empresaId: empresa, filialId: null }, integracaoId: get, parametros: {}, checkParameters: false };
    expect(await refusal(worker(job))).toMatchObject({ code: 'GET_CONFIG', params: { codigo: 'GET_CONNECTION_NOT_DATABASE' } });
    // Without the file only tipo_conexao tells the kind (WS), which no run goes by: not certain, admitted.
    expect((await admit(get)).queue).toBe('get');
  });

  // A SET whose consulta reads a column its CRM table lacks: the read that starts every run fails (CONSULTA_FAILED).
  it('refuses a SET whose JSON consulta reads a column its CRM table does not have (SET_CONFIG, CONSULTA_UNKNOWN_COLUMN)', async () => {
    const nome = `SET-COLUNA-${dialect}`;
    const set = await add({
      nome,
      consulta: '{"consulta": "SELECT c.id, c.nome_completo FROM contas c WHERE c.id = #contaId#"}',
      parametros_obrigatorios: 'contaId',
    });
    const refused = await refusal(admit(set, { parametros: { contaId: 1 } }));
    expect(refused).toMatchObject({
      code: 'SET_CONFIG',
      params: { codigo: 'CONSULTA_UNKNOWN_COLUMN', tabela: 'integracao', coluna: 'consulta' },
    });
    const found = runRefusalOf(refused);
    expect(found && runRefusalMessage('pt-BR', found)).toBe(
      `a integração SET #${set} (${nome}) está mal configurada: integracao #${set} coluna consulta: a consulta da integração ${nome} lê a coluna "c.nome_completo", que não existe na tabela contas do CRM; cada envio falharia ao ler o registro [CONSULTA_UNKNOWN_COLUMN]; nada foi enfileirado (\`config lint\` aponta a linha)`,
    );
    expect(found && runRefusalMessage('en', found)).toBe(
      `SET integration #${set} (${nome}) is misconfigured: integracao #${set} column consulta: the consulta of integration ${nome} reads column "c.nome_completo", which does not exist in the CRM table contas; every push would fail reading the record [CONSULTA_UNKNOWN_COLUMN]; nothing was enqueued (\`config lint\` names the row)`,
    );
    const asOther = admitRun(database.db, { tenant: { empresaId: other, filialId: null }, integracaoId: set, parametros: { contaId: 1 } });
    expect(await refusal(asOther)).toMatchObject({ code: 'NOT_FOUND', params: {} });
    // A table name the catalog cannot look up (PostgreSQL's to_regclass refuses "minha tabela") is not checked: no 500.
    const quoted = '{"consulta": "SELECT t.id, t.nome FROM \\"minha tabela\\" t WHERE t.id = #contaId#"}';
    await database.db.updateTable('integracao').set({ consulta: quoted }).where('id', '=', set).execute();
    expect((await admit(set, { parametros: { contaId: 1 } })).queue).toBe('set');
    // Fixed, it runs.
    const fixed = '{"consulta": "SELECT c.id, c.nome FROM contas c WHERE c.id = #contaId#"}';
    await database.db.updateTable('integracao').set({ consulta: fixed }).where('id', '=', set).execute();
    expect((await admit(set, { parametros: { contaId: 1 } })).queue).toBe('set');
  });

  // UNPROVIDED_VARIABLE (a #var# that neither parametros_obrigatorios nor the flow provides) is a lint error, but whether a
  // run fails depends on its parameters: a caller may pass the name anyway. Admission leaves it to the run, which fails
  // before anything is sent, naming it (MISSING_VARIABLE).
  it('admits a SET whose consulta uses a #var# nothing declares: a caller may pass it as a parameter', async () => {
    const set = await add({
      consulta: '{"consulta": "SELECT c.id, c.nome FROM contas c WHERE c.id = #contaId# AND c.nome = #nomeConta#"}',
      parametros_obrigatorios: 'contaId',
    });
    expect((await admit(set, { parametros: { contaId: 1, nomeConta: 'A' } })).queue).toBe('set');
    expect((await admit(set, { parametros: { contaId: 1 } })).queue).toBe('set');
  });

  it('plans the dependency flow and refuses a cycle naming the rows', async () => {
    const first = await add({});
    const second = await add({ dependente: first });
    expect((await admit(second)).plan.map((s) => s.integracaoId)).toEqual([first, second]);
    const a = await add({});
    const b = await add({ dependente: a });
    await database.db.updateTable('integracao').set({ dependente: b }).where('id', '=', a).execute();
    await expect(admit(a)).rejects.toBeInstanceOf(DependencyCycleError);
  });
});

describe('cachedAdmission: the workers reuse an admission for a bounded time (real PostgreSQL)', () => {
  let database: TestDatabase;
  let empresa: number;
  let other: number;
  let filial: number;

  const add = (values: Record<string, unknown>) => addIntegracao(database, empresa, values);

  const setAtivo = (id: number, ativo: number) => database.db.updateTable('integracao').set({ ativo }).where('id', '=', id).execute();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    empresa = await createEmpresa(database.db, 'A');
    other = await createEmpresa(database.db, 'B');
    filial = await createFilial(database.db, empresa, 'Filial 1');
  });
  afterAll(() => database.drop());

  it('is bounded to a few seconds by default', () => {
    expect(ADMISSION_CACHE_TTL_MS).toBeGreaterThan(0);
    expect(ADMISSION_CACHE_TTL_MS).toBeLessThanOrEqual(5000);
  });

  it('lets ativo = 0 take effect within the TTL, and at once for a retried attempt', async () => {
    let clock = 0;
    const admit = cachedAdmission(database.db, { ttlMs: 1000, now: () => clock });
    const id = await add({});
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    expect((await admit(request)).integracao.id).toBe(id);
    await setAtivo(id, 0);
    clock = 999;
    // Within the TTL a first attempt may still see the row it read (that is what the cache saves)…
    expect((await admit(request)).integracao.id).toBe(id);
    // …a retry never does,
    expect(await refusal(admit({ ...request, fresh: true }))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
    // and once the TTL is over no job does; a refusal is not kept, so reactivating works as soon as it is read.
    clock = 2100;
    expect(await refusal(admit(request))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
    await setAtivo(id, 1);
    expect((await admit(request)).integracao.id).toBe(id);
  });

  it('reads the database once per key within the TTL, with the real clock', async () => {
    // A TTL a busy machine's update and second read fit in; the wait after it is counted from later still.
    const ttlMs = 1000;
    const admit = cachedAdmission(database.db, { ttlMs });
    const id = await add({});
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    await admit(request);
    await setAtivo(id, 0);
    expect((await admit(request)).integracao.id).toBe(id);
    await new Promise((r) => setTimeout(r, ttlMs + 50));
    expect(await refusal(admit(request))).toMatchObject({ code: 'INTEGRATION_INACTIVE' });
  });

  it('checks parametros_obrigatorios for every job, even from the cache', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 60000 });
    const id = await add({ parametros_obrigatorios: 'contaId' });
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id };
    expect((await admit({ ...request, parametros: { contaId: 1 } })).integracao.id).toBe(id);
    expect(await refusal(admit({ ...request, parametros: {} }))).toMatchObject({ code: 'MISSING_PARAMETERS' });
    expect((await admit({ ...request, parametros: {}, checkParameters: false })).integracao.id).toBe(id);
  });

  it('binds each job to its own tenant: keys per empresa and filial, another empresa still NOT_FOUND', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 60000 });
    const id = await add({});
    const empresaWide = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    const asFilial = { tenant: { empresaId: empresa, filialId: filial }, integracaoId: id, parametros: {} };
    expect((await admit(empresaWide)).runTenant).toEqual({ empresaId: empresa, filialId: null });
    expect((await admit(asFilial)).runTenant).toEqual({ empresaId: empresa, filialId: filial });
    const foreign = { tenant: { empresaId: other, filialId: null }, integracaoId: id, parametros: {} };
    expect(await refusal(admit(foreign))).toMatchObject({ code: 'NOT_FOUND' });
    // A filial's row is not another filial's, even once the empresa-wide admission is cached.
    const ofFilial = await add({ empresa_filial_id: filial });
    expect((await admit({ ...empresaWide, integracaoId: ofFilial })).runTenant).toEqual({ empresaId: empresa, filialId: filial });
    const otherFilial = { tenant: { empresaId: empresa, filialId: filial + 1000 }, integracaoId: ofFilial, parametros: {} };
    expect(await refusal(admit(otherFilial))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('does not keep a connection refusal: fixing the row works on the next job', async () => {
    const admit = cachedAdmission(database.db, { ttlMs: 60000 });
    const conexao = await database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'WS', nome_conexao: 'alheia', empresa_id: other })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = await add({ conexao_integracao_id: conexao.id });
    const request = { tenant: { empresaId: empresa, filialId: null }, integracaoId: id, parametros: {} };
    expect(await refusal(admit(request))).toMatchObject({ code: 'MISSING_CONNECTION' });
    await database.db.updateTable('conexao_integracao').set({ empresa_id: empresa }).where('id', '=', conexao.id).execute();
    expect((await admit(request)).conexao?.id).toBe(conexao.id);
  });
});
