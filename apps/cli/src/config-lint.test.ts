import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import { resolveSetTarget, runSet } from '@integrador/integrador';
import { createEmpresa, type IntegracaoTable } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { connectionsRestricting, insertForeignConnectionRows } from '@integrador/test-support/restricted-connections';
import { createTransportFactory } from '@integrador/transports';
import { type Insertable, sql } from 'kysely';
import { DEFAULT_CREDENTIALS, startSeniorG5Server } from '../../../test/fixtures/senior-g5';
import { cliEnv, DEMO_CONNECTIONS_FILE, runCli } from '../test/run-cli';

// Seed 001's SET-WS-CONTAS, shortened to the columns the checks below need.
const CONSULTA = '{"consulta":"SELECT c.id_erp, c.id, c.nome FROM contas AS c WHERE c.id = #contaId#"}';

describe('integrador config lint', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let empresaId: number;

  async function insertConexao(nome: string): Promise<number> {
    const row = await database.db
      .insertInto('conexao_integracao')
      .values({ tipo_conexao: 'WS', nome_conexao: nome, empresa_id: empresaId })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** A SET-WS-CONTAS-like row that lints clean, changed by `fields`. */
  async function insertIntegracao(fields: Partial<Insertable<IntegracaoTable>>): Promise<number> {
    const row = await database.db
      .insertInto('integracao')
      .values({
        nome: 'SET-WS-CONTAS',
        tipo_servico: 'SET',
        empresa_id: empresaId,
        link: '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes?wsdl',
        tabela: 'contas',
        consulta: CONSULTA,
        conexao_integracao_id: fields.conexao_integracao_id ?? (await insertConexao('senior_g5')),
        porta_ws: 'GravarClientes',
        indice_array_retorno: 'retornosClientes',
        indice_valor_retorno: 'codCli',
        indice_erro_retorno: 'erro,mensagemErro,erroExecucao',
        sql_update: 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#',
        parametros_obrigatorios: 'contaId',
        ...fields,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnv(database.url);
    empresaId = await createEmpresa(database.db, 'Lint Ltda');
  });
  afterEach(async () => {
    await database?.drop();
  });

  it('exits 0 on a clean configuration', async () => {
    await insertIntegracao({});
    const run = await runCli(['config', 'lint'], env);
    expect(run).toMatchObject({ code: 0, stdout: 'Configuração sem problemas.\n', stderr: '' });
  });

  /** The README's "Configure your first integration" block, run statement by statement as sqlite3 runs it; the SELECTs' rows. */
  async function runReadmeFirstIntegration(): Promise<Record<string, unknown>[][]> {
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    const block = /sqlite3 data\/integrador\.sqlite <<'SQL'\n([\s\S]*?)\nSQL\n/.exec(readme)?.[1];
    expect(block).toContain('GET-BD-CLIENTES');
    const statements = (block ?? '')
      .split(/;\s*\n/)
      .map((statement) => statement.replace(/^--.*$/gm, '').trim())
      .filter(Boolean);
    const selected: Record<string, unknown>[][] = [];
    for (const statement of statements) {
      const result = await sql.raw<Record<string, unknown>>(statement).execute(database.db);
      if (/^SELECT\b/i.test(statement)) selected.push(result.rows);
    }
    return selected;
  }

  it("lints the README's first integration clean (its SQL run as written, tenant 1)", async () => {
    // The README's "Configure your first integration" block: a newcomer pastes it as is, so it must lint clean.
    expect(empresaId).toBe(1);
    await runReadmeFirstIntegration();
    const run = await runCli(['config', 'lint', '--empresa', '1'], env);
    expect(run).toMatchObject({ code: 0, stdout: 'Configuração sem problemas.\n', stderr: '' });
  });

  it("previews and pushes the README's first SET to the ERP double with the ids its block prints (the demo seeded before)", async () => {
    // The Quick start seeds the demo first: its contas take the CRM's first ids, and none of them is tenant 1's.
    const demo = await createEmpresa(database.db, 'Empresa Demo');
    await database.db.insertInto('contas').values({ empresa_id: demo, nome: 'Conta da demo' }).execute();
    const [integracoes, contas] = await runReadmeFirstIntegration();
    const setId = String(integracoes?.find((row) => row.nome === 'SET-WS-CONTAS')?.id);
    const contaId = String(contas?.[0]?.contaId);
    expect(contaId).not.toBe('1');
    const erp = await startSeniorG5Server();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-first-'));
    const file = path.join(dir, 'connections.yaml');
    fs.writeFileSync(file, fs.readFileSync(DEMO_CONNECTIONS_FILE, 'utf8').replace('http://127.0.0.1:8080', erp.url));
    try {
      const erpEnv = { ...env, CONNECTIONS_FILE: file, SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password };
      const preview = await runCli(['preview', setId, '--empresa', '1', '-p', `contaId=${contaId}`], erpEnv);
      expect(preview).toMatchObject({ code: 0, stderr: '' });
      expect(preview.stdout).toContain('<nomCli>Primeira Conta Ltda</nomCli>');
      expect(erp.requests.count).toBe(0);
      // The receptor accepts what the block configures: pushed as a worker pushes it, the answer's codCli is written back.
      const connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password, ERP_DB_PASSWORD: 'y' });
      const transports = createTransportFactory();
      try {
        const tenant = { empresaId: 1, filialId: null, nome: '' };
        const target = await resolveSetTarget(database, connections, transports, tenant, Number(setId));
        const result = await runSet({
          db: database.db,
          dialect: database.dialect,
          empresaId: 1,
          filialId: null,
          definition: target.definition,
          parametros: { contaId },
          jobId: 'first-set',
          transport: target.transport,
          timeoutMs: target.timeoutMs,
        });
        expect(result.records).toMatchObject([{ status: 'concluido' }]);
      } finally {
        await transports.close();
      }
      const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', Number(contaId)).executeTakeFirstOrThrow();
      expect(conta.id_erp).toBe('1001');
    } finally {
      await erp.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 0 with the count when every finding is a warning', async () => {
    // A cron on a SET row: it is never scheduled (a warning), and nothing in the row keeps it from running.
    const id = await insertIntegracao({ cron: '0 3 * * *' });
    const run = await runCli(['config', 'lint'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`[aviso] integracao #${id} (SET-WS-CONTAS) coluna cron:`);
    expect(run.stdout).toMatch(/\n0 erros, 1 aviso\.\n$/);
  });

  it('exits 1 naming the integracao and the column of a malformed consulta', async () => {
    const id = await insertIntegracao({ consulta: '{"consulta": "SELECT c.id FROM contas AS c"' });
    const run = await runCli(['config', 'lint'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[erro] integracao #${id} (SET-WS-CONTAS) coluna consulta: JSON inválido`);
    expect(run.stdout).toContain('[MALFORMED_JSON]');
    expect(run.stdout).toMatch(/\n1 erro, 0 avisos\.\n$/);
  });

  it('exits 1 naming the conexao_integracao row whose nome_conexao is not in the connections file', async () => {
    const conexaoId = await insertConexao('senior_g6');
    await insertIntegracao({ conexao_integracao_id: conexaoId });
    const run = await runCli(['config', 'lint'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `[erro] conexao_integracao #${conexaoId} coluna nome_conexao: a conexão "senior_g6" não está no arquivo de conexões (esperado um de: senior_g5, erp_db) [UNKNOWN_CONNECTION]`,
    );
  });

  it('exits 1 naming the integracao and the column of a #var# nothing provides', async () => {
    const id = await insertIntegracao({ parametros_obrigatorios: 'empresaId' });
    const run = await runCli(['config', 'lint'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`integracao #${id} (SET-WS-CONTAS) coluna consulta: a variável #contaId# não é fornecida por nada`);
    expect(run.stdout).toContain(`integracao #${id} (SET-WS-CONTAS) coluna sql_update: a variável #contaId# não é fornecida por nada`);
  });

  it('exits 1 naming every integracao and column of a dependente cycle', async () => {
    const first = await insertIntegracao({ nome: 'SET-WS-CONTAS' });
    const second = await insertIntegracao({ nome: 'SET-WS-CONTATOS', dependente: first });
    await database.db.updateTable('integracao').set({ dependente: second }).where('id', '=', first).execute();
    const run = await runCli(['config', 'lint'], env);
    expect(run.code).toBe(1);
    const cycle = run.stdout.split('\n').filter((line) => line.includes('[DEPENDENCY_CYCLE]'));
    expect(cycle).toEqual([
      expect.stringContaining(`integracao #${first} (SET-WS-CONTAS) coluna dependente: dependência circular`),
      expect.stringContaining(`integracao #${second} (SET-WS-CONTATOS) coluna dependente: dependência circular`),
    ]);
  });

  it('lints one empresa with --empresa, in English with --lang en, as JSON with --json', async () => {
    const id = await insertIntegracao({ tipo_servico: 'PUT' });
    const other = await createEmpresa(database.db, 'Outra');
    expect((await runCli(['config', 'lint', '--empresa', String(other)], env)).code).toBe(0);

    const english = await runCli(['--lang', 'en', 'config', 'lint', '--empresa', String(empresaId)], env);
    expect(english.code).toBe(1);
    expect(english.stdout).toBe(
      `[error] integracao #${id} (SET-WS-CONTAS) column tipo_servico: unknown tipo_servico "PUT" (expected SET, GET or INFO) [UNKNOWN_SERVICE_TYPE]\n` +
        '1 error, 0 warnings.\n',
    );
    const json = await runCli(['config', 'lint', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_SERVICE_TYPE', severity: 'error', table: 'integracao', rowId: id, column: 'tipo_servico' }),
    ]);
  });

  it("with --empresa shows only that empresa's conexao_integracao rows; hints and runs respect the file's empresaId", async () => {
    const other = await createEmpresa(database.db, 'Outra');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-lint-'));
    const file = path.join(dir, 'connections.json');
    fs.writeFileSync(file, JSON.stringify(connectionsRestricting('only_other', other)));
    const { typo, foreign, getOnForeign: get } = await insertForeignConnectionRows(database.db, empresaId, 'only_other', 'GET-ONLY-OTHER');
    try {
      const fileEnv = { ...env, CONNECTIONS_FILE: file };
      const theirs = await runCli(['config', 'lint', '--empresa', String(other)], fileEnv);
      expect(theirs).toMatchObject({ code: 0, stdout: 'Configuração sem problemas.\n' });
      const ours = await runCli(['config', 'lint', '--empresa', String(empresaId)], fileEnv);
      expect(ours.code).toBe(1);
      expect(ours.stdout).toContain(
        `[erro] conexao_integracao #${typo} coluna nome_conexao: a conexão "erp_pgg" não está no arquivo de conexões (esperado um de: erp_pg) [UNKNOWN_CONNECTION]`,
      );
      expect(ours.stdout).toContain(
        `[erro] conexao_integracao #${foreign} coluna nome_conexao: a conexão "only_other" do arquivo de conexões é restrita a outra empresa; a empresa ${empresaId} não pode usá-la (esperado um de: erp_pg) [FOREIGN_CONNECTION]`,
      );
      const run = await runCli(['run', String(get), '--empresa', String(empresaId)], { ...fileEnv, REDIS_URL: 'redis://127.0.0.1:1' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `a integração #${get} (GET-ONLY-OTHER) usa a conexão "only_other", que o arquivo de conexões restringe a outra empresa`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('exits 1 with the loader message for a broken connections file or a missing secret', async () => {
    await insertIntegracao({});
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-lint-'));
    const file = path.join(dir, 'connections.yaml');
    fs.writeFileSync(file, 'connections:\n  senior_g5:\n    tipo: webservice\n    baseUrl: ftp://erp\n    user: u\n    password: p\n');
    try {
      const broken = await runCli(['config', 'lint'], { ...env, CONNECTIONS_FILE: file });
      expect(broken).toMatchObject({ code: 1, stdout: '' });
      // Worded in the CLI's language (pt-BR by default), the file and the field named.
      expect(broken.stderr).toContain(`arquivo de conexões ${file}: conexão "senior_g5": campo "baseUrl"`);
      const noSecret = await runCli(['config', 'lint'], { ...env, SENIOR_PASSWORD: '' });
      expect(noSecret).toMatchObject({ code: 1, stdout: '' });
      expect(noSecret.stderr).toContain('SENIOR_PASSWORD');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
