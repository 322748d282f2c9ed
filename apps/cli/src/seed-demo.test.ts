import { findTenantByApiKey } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { GATILHOS } from '@integrador/webhooks';
import { cliEnv, printedKey, runCli } from '../test/run-cli';

const TABLES = [
  'empresas',
  'empresa_filiais',
  'cidades',
  'contas',
  'contatos',
  'usuarios',
  'oportunidades',
  'atividades',
  'eventos',
  'conexao_integracao',
  'integracao',
  'campos_integracao',
  'dependencias',
  'regras',
] as const;

describe.each(ALL_DIALECTS)('integrador seed-demo on %s', (dialect) => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    database = await createTestDatabase(dialect, { migrate: false });
    env = cliEnv(database.url);
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const row = await database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      counts[table] = Number(row.n);
    }
    return counts;
  }

  let empresaId: number;
  let firstKey: string;

  it('migrates and creates the demo tenant, printing a key that resolves to it', async () => {
    const run = await runCli(['seed-demo', '--json'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const demo = JSON.parse(run.stdout) as {
      empresaId: number;
      filialId: number;
      apiKey: string;
      created: boolean;
      integracoes: { id: number; nome: string }[];
    };
    expect(demo.created).toBe(true);
    const ids = await database.db.selectFrom('integracao').select(['id', 'nome']).orderBy('id').execute();
    expect(demo.integracoes).toEqual([
      { id: Number(ids[0]?.id), nome: 'SET-WS-CONTAS', tipoServico: 'SET', componente: false, ativa: true },
      { id: Number(ids[1]?.id), nome: 'SET-WS-CONTAS-ENTREGA', tipoServico: 'SET', componente: true, ativa: true },
      { id: Number(ids[2]?.id), nome: 'GET-BD-CLIENTES', tipoServico: 'GET', componente: false, ativa: true },
    ]);
    empresaId = demo.empresaId;
    firstKey = demo.apiKey;
    expect(await findTenantByApiKey(database.db, demo.apiKey)).toEqual({ empresaId, filialId: null, nome: 'Empresa Demo' });
    expect(await rowCounts()).toEqual({
      empresas: 1,
      empresa_filiais: 1,
      cidades: 5,
      contas: 10,
      contatos: 2,
      usuarios: 3,
      oportunidades: 3,
      atividades: 3,
      eventos: 2,
      conexao_integracao: 2,
      integracao: 3,
      campos_integracao: 2,
      dependencias: 3,
      regras: 3,
    });
    const ramais = await database.db.selectFrom('usuarios').select('ramal').orderBy('ramal').execute();
    expect(ramais.map((row) => row.ramal)).toEqual(['201', '202', '203']);
  });

  it("creates oportunidades, atividades and eventos of the demo's own contas, contatos and usuarios, one row per gatilho", async () => {
    const db = database.db;
    const idsOf = async (table: 'contas' | 'contatos' | 'usuarios') =>
      new Set((await db.selectFrom(table).select('id').where('empresa_id', '=', empresaId).execute()).map((r) => Number(r.id)));
    const [contas, contatos, usuarios] = [await idsOf('contas'), await idsOf('contatos'), await idsOf('usuarios')];
    const oportunidades = await db.selectFrom('oportunidades').selectAll().execute();
    const atividades = await db.selectFrom('atividades').selectAll().execute();
    const eventos = await db.selectFrom('eventos').selectAll().execute();
    for (const row of [...oportunidades, ...atividades, ...eventos]) {
      expect(row.empresa_id).toBe(empresaId);
      expect(contas.has(Number(row.conta_id))).toBe(true);
    }
    for (const row of oportunidades) expect(usuarios.has(Number(row.usuario_id))).toBe(true);
    for (const row of atividades) {
      expect(contatos.has(Number(row.contato_id))).toBe(true);
      expect(usuarios.has(Number(row.usuario_id))).toBe(true);
    }
    for (const row of eventos) expect(contatos.has(Number(row.contato_id))).toBe(true);
    expect(eventos.map((e) => e.cod_contato).sort()).toEqual(['CT-0001', 'CT-0002']);
    expect(atividades.map((a) => a.status).sort()).toEqual(['concluida', 'pendente', 'pendente']);

    // Every seed 004 gatilho gets the crm-change call that fires it, in pt-BR and English, and in --json.
    const json = JSON.parse((await runCli(['seed-demo', '--json'], env)).stdout) as {
      gatilhos: { gatilho: string; tabela: string; id: number; operacao: string }[];
    };
    expect(json.gatilhos.map((g) => g.gatilho)).toEqual([...GATILHOS]);
    const concluida = atividades.find((a) => a.status === 'concluida');
    expect(json.gatilhos.find((g) => g.gatilho === 'atividade.concluida')).toEqual({
      gatilho: 'atividade.concluida',
      tabela: 'atividades',
      id: Number(concluida?.id),
      operacao: 'status_alterado',
    });
    const evento = Math.min(...eventos.map((e) => Number(e.id)));
    const pt = await runCli(['seed-demo'], env);
    expect(pt.stdout).toContain('Para disparar cada gatilho de webhook (POST /v1/events/crm-change com a chave da demo e este corpo):\n');
    expect(pt.stdout).toContain(`  evento.criado: {"tabela":"eventos","id":"${evento}","operacao":"criado"}\n`);
    const en = await runCli(['--lang', 'en', 'seed-demo'], env);
    expect(en.stdout).toContain('To fire each webhook gatilho (POST /v1/events/crm-change with the demo key and this body):\n');
  });

  it("stores seed 001's SET-WS-CONTAS exactly as the manual writes it", async () => {
    const row = await database.db
      .selectFrom('integracao')
      .innerJoin('conexao_integracao', 'conexao_integracao.id', 'integracao.conexao_integracao_id')
      .selectAll('integracao')
      .select(['conexao_integracao.tipo_conexao', 'conexao_integracao.nome_conexao'])
      .where('integracao.nome', '=', 'SET-WS-CONTAS')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      tipo_servico: 'SET',
      empresa_id: empresaId,
      link: '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes?wsdl',
      tabela: 'contas',
      consulta:
        '{"consulta":"SELECT c.id_erp, c.fax, c.email_geral, c.email_financeiro, c.cadastro_timestamp, c.cliente_desde, c.status, c.representante_id, c.id, c.tipo_conta, c.tipo_pessoa, c.cidade_id, c.celular, c.telefone, c.telefone2, c.telefone3, c.nome, c.fantasia, c.cnpj, c.cpf, c.ramo_atividade_id, c.inscricao, c.inscricao_municipal, c.endereco, c.complemento, c.numero, c.cep, c.bairro FROM contas AS c WHERE c.id = #contaId#"}',
      porta_ws: 'GravarClientes',
      indice_array_retorno: 'retornosClientes',
      indice_valor_retorno: 'codCli',
      indice_erro_retorno: 'erro,mensagemErro,erroExecucao',
      sql_consulta: null,
      sql_insert: null,
      sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#',
      parametros_obrigatorios: 'contaId',
      tipo_conexao: 'WS',
      nome_conexao: 'senior_g5',
    });
    const campo = await database.db
      .selectFrom('campos_integracao')
      .select('campo_crm')
      .where('integracao_id', '=', row.id)
      .executeTakeFirstOrThrow();
    // The manual's fields, inside the dadosGeraisCliente element GravarClientes reads (senior-g5.md).
    expect(JSON.parse(campo.campo_crm)).toMatchObject({
      dadosGeraisCliente: { codCli: '#id_erp#', nomCli: '#nome#', apeCli: '#fantasia#', tipCli: '#tipo_pessoa#' },
    });
  });

  it('lints clean against examples/connections.demo.yaml', async () => {
    const run = await runCli(['config', 'lint', '--empresa', String(empresaId)], env);
    expect(run).toMatchObject({ code: 0, stdout: 'Configuração sem problemas.\n', stderr: '' });
    const json = await runCli(['config', 'lint', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('reuses the demo tenant when run again, adding only a new key', async () => {
    const before = await rowCounts();
    const run = await runCli(['seed-demo'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`A Empresa Demo #${empresaId} já existe`);
    const key = printedKey(run.stdout);
    expect(key).not.toBe(firstKey);
    expect(await findTenantByApiKey(database.db, key)).toMatchObject({ empresaId });
    expect(await findTenantByApiKey(database.db, firstKey)).toMatchObject({ empresaId });
    expect(await rowCounts()).toEqual(before);
  });

  it('lists the integrations by id and says how to try one, in pt-BR and English', async () => {
    const ids = new Map((await database.db.selectFrom('integracao').select(['id', 'nome']).execute()).map((r) => [r.nome, Number(r.id)]));
    const set = ids.get('SET-WS-CONTAS');
    const conta = await database.db.selectFrom('contas').select('id').orderBy('id').executeTakeFirstOrThrow();
    const pt = await runCli(['seed-demo'], env);
    expect(pt.stdout).toContain(
      [
        `Integrações da Empresa Demo #${empresaId}:`,
        `  #${set} SET-WS-CONTAS (SET)`,
        `  #${ids.get('SET-WS-CONTAS-ENTREGA')} SET-WS-CONTAS-ENTREGA (SET, componente de outra integração)`,
        `  #${ids.get('GET-BD-CLIENTES')} GET-BD-CLIENTES (GET)`,
      ].join('\n'),
    );
    // The suite's env sets CONNECTIONS_FILE: the hint lints with that file instead of pointing at the example one.
    expect(pt.stdout).toContain(
      `Para validar (com o arquivo de conexões ${env.CONNECTIONS_FILE}): npm run integrador -- config lint --empresa ${empresaId}\n`,
    );
    expect(pt.stdout).not.toContain('SENIOR_PASSWORD=x');
    expect(pt.stdout).toContain(`Para experimentar: npm run integrador -- preview ${set} --empresa ${empresaId} -p contaId=${conta.id} `);
    const en = await runCli(['--lang', 'en', 'seed-demo'], env);
    expect(en.stdout).toContain(`Integrations of Empresa Demo #${empresaId}:\n  #${set} SET-WS-CONTAS (SET)\n`);
    expect(en.stdout).toContain(`To try it: npm run integrador -- preview ${set} --empresa ${empresaId} -p contaId=${conta.id} `);
    expect(en.stdout).toContain(
      `To check it (with the connections file ${env.CONNECTIONS_FILE}): npm run integrador -- config lint --empresa ${empresaId}\n`,
    );
    // Without one, the example file and the variables it needs.
    const { CONNECTIONS_FILE: _file, ...noFile } = env;
    const withoutFile = await runCli(['seed-demo'], noFile);
    expect(withoutFile.stdout).toContain(
      `Para validar: SENIOR_PASSWORD=x ERP_DB_PASSWORD=y CONNECTIONS_FILE=examples/connections.demo.yaml npm run integrador -- config lint --empresa ${empresaId}\n`,
    );
  });

  it("prints the usuários' ramais a CTI trial rings, in pt-BR, English and --json", async () => {
    const pt = await runCli(['seed-demo'], env);
    expect(pt.stdout).toContain(
      [
        `Ramais dos usuários (para o CTI; configure-o antes com npm run integrador -- cti configure ${empresaId} …):`,
        '  201: Ana Beatriz Souza',
        '  202: Bruno Henrique Lima',
        '  203: Carla Mendes Rocha',
      ].join('\n'),
    );
    const en = await runCli(['--lang', 'en', 'seed-demo'], env);
    expect(en.stdout).toContain(
      `The usuários' ramais (for CTI; set it up first with npm run integrador -- cti configure ${empresaId} …):\n  201: `,
    );
    const json = JSON.parse((await runCli(['seed-demo', '--json'], env)).stdout) as { ramais: unknown };
    expect(json.ramais).toEqual([
      { ramal: '201', nome: 'Ana Beatriz Souza' },
      { ramal: '202', nome: 'Bruno Henrique Lima' },
      { ramal: '203', nome: 'Carla Mendes Rocha' },
    ]);
  });

  it('does not offer an inactive integration to try, and marks it in the listing', async () => {
    const set = (ativo: number) => database.db.updateTable('integracao').set({ ativo }).where('nome', '=', 'SET-WS-CONTAS').execute();
    await set(0);
    try {
      const pt = await runCli(['seed-demo'], env);
      expect(pt).toMatchObject({ code: 0, stderr: '' });
      expect(pt.stdout).toMatch(/ SET-WS-CONTAS \(SET, inativa\)\n/);
      expect(pt.stdout).not.toContain('Para experimentar');
      const en = await runCli(['--lang', 'en', 'seed-demo', '--json'], env);
      const listed = (JSON.parse(en.stdout) as { integracoes: { nome: string; ativa: boolean }[] }).integracoes;
      expect(listed.find((i) => i.nome === 'SET-WS-CONTAS')).toMatchObject({ ativa: false });
      expect((await runCli(['--lang', 'en', 'seed-demo'], env)).stdout).toMatch(/ SET-WS-CONTAS \(SET, inactive\)\n/);
    } finally {
      await set(1);
    }
  });
  it('gives a demo seeded before its oportunidades, atividades and eventos existed those records on the next run, once', async () => {
    for (const table of ['eventos', 'atividades', 'oportunidades'] as const) await database.db.deleteFrom(table).execute();
    const before = await rowCounts();
    const run = await runCli(['seed-demo'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(
      `A Empresa Demo #${empresaId} já existe: os dados foram mantidos, acrescidos de 3 oportunidades, 3 atividades e 2 eventos`,
    );
    expect(await rowCounts()).toEqual({ ...before, oportunidades: 3, atividades: 3, eventos: 2 });
    const usuarios = new Set((await database.db.selectFrom('usuarios').select('id').execute()).map((r) => Number(r.id)));
    for (const row of await database.db.selectFrom('oportunidades').select('usuario_id').execute())
      expect(usuarios.has(Number(row.usuario_id))).toBe(true);
    const again = await runCli(['--lang', 'en', 'seed-demo'], env);
    expect(again.stdout).toContain(`Empresa Demo #${empresaId} already exists: its data was kept and only a new key was issued.`);
    expect(await rowCounts()).toEqual({ ...before, oportunidades: 3, atividades: 3, eventos: 2 });
  });
});
