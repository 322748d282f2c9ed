import fs from 'node:fs';
import path from 'node:path';
import { findTenantByApiKey, migrateTo } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { cliEnv, printedKey, runBin, runCli } from '../test/run-cli';

describe('integrador CLI on sqlite', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite', { migrate: false });
    env = cliEnv(database.url);
  });
  afterEach(async () => {
    await database?.drop();
  });

  it('migrates, then says the database is already up to date', async () => {
    const first = await runCli(['migrate'], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    // Every migration, in order, on a new database (the list grows with the schema).
    expect(first.stdout).toMatch(/^Migrações aplicadas: 001-initial(, \d{3}-[\w-]+)+\n$/);
    const tables = (await database.db.introspection.getTables()).map((table) => table.name);
    expect(tables).toEqual(expect.arrayContaining(['empresas', 'api_keys', 'integracao', 'contas']));
    const again = await runCli(['migrate'], env);
    expect(again).toMatchObject({ code: 0, stdout: 'O banco de dados já está atualizado.\n', stderr: '' });
  });

  it('refuses, in words, a database a newer version migrated (a downgrade), and applies nothing', async () => {
    await runCli(['migrate'], env);
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999-from-the-future', '2099-01-01T00:00:00.000Z')`.execute(
      database.db,
    );
    const run = await runCli(['migrate'], env);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      'erro: o banco de dados foi migrado por uma versão mais nova do hub (a migração 999-from-the-future é desconhecida desta versão): use aquela versão ou uma mais nova, ou restaure o backup feito antes da atualização\n',
    );
  });

  it('shows with --status what migrate would apply, applying nothing, in either language', async () => {
    await migrateTo(database, '019-crm-mudancas-escopo');
    const status = await runCli(['migrate', '--status'], env);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^aplicada {5}001-initial \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT[-+]?\d*\)$/);
    expect(lines).toContain('pendente     020-chaves-binarias');
    expect(lines).toContain('pendente     023-retencao-historico');
    expect(lines).toContain('pendente     024-set-registro-em-voo');
    expect(lines).toContain('pendente     028-execucoes-hot');
    expect(lines).toContain('pendente     029-execucoes-sem-coluna-gerada');
    expect(lines.at(-1)).toMatch(/^\d+ migraç(ão|ões) pendentes?: `integrador migrate` as? aplica\.$/);
    // Nothing applied: the same pending list after the status.
    expect((await runCli(['migrate', '--status'], env)).stdout).toBe(status.stdout);

    expect((await runCli(['migrate'], env)).stdout).toMatch(/^Migrações aplicadas: 020-chaves-binarias/);
    const current = await runCli(['--lang', 'en', 'migrate', '--status'], env);
    expect(current.stdout).not.toMatch(/pending/);
    expect(current.stdout).toMatch(/^applied {2}001-initial \(/);
    expect(current.stdout.trimEnd().split('\n').at(-1)).toBe('The database is already up to date.');

    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999-from-the-future', '2099-01-01T00:00:00.000Z')`.execute(
      database.db,
    );
    const newer = await runCli(['migrate', '--status'], env);
    expect(newer.stdout).toContain('desconhecida 999-from-the-future (aplicada por uma versão mais nova do hub)\n');
    expect(newer.stdout).toMatch(/a migração 999-from-the-future é desconhecida desta versão/);

    const both = await runCli(['migrate', '--status', '--down'], env);
    expect(both).toMatchObject({ code: 1, stderr: 'erro: --status não se combina com --down\n' });
  });

  it('rolls every migration back only with --yes', async () => {
    await runCli(['migrate'], env);
    const refused = await runCli(['migrate', '--down'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('erro: --down apaga todas as tabelas do Integrador e os dados delas; repita com --yes para confirmar\n');
    expect((await database.db.introspection.getTables()).length).toBeGreaterThan(0);
    const down = await runCli(['migrate', '--down', '--yes'], env);
    expect(down).toMatchObject({ code: 0, stdout: 'Todas as migrações foram revertidas.\n' });
    const left = (await database.db.introspection.getTables()).map((table) => table.name);
    expect(left.filter((name) => !name.startsWith('kysely_'))).toEqual([]);
  });

  it('creates a tenant on a new database and prints, once, a key that resolves to it', async () => {
    const run = await runCli(['tenant', 'create', 'Acme Indústria Ltda', '--documento', '11.222.333/0001-81'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Empresa #1 "Acme Indústria Ltda" criada\.\nChave de API "cli" \(prefixo [a-z0-9]{12}\):\nigk_/);
    expect(run.stdout).toContain('Ela não pode ser exibida de novo');
    const tenant = await findTenantByApiKey(database.db, printedKey(run.stdout));
    expect(tenant).toEqual({ empresaId: 1, filialId: null, nome: 'Acme Indústria Ltda' });

    const duplicate = await runCli(['tenant', 'create', 'Outra', '--documento', '11.222.333/0001-81'], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('já existe a empresa #1 com o documento 11.222.333/0001-81');
  });

  it('prints {empresaId, filialId, apiKey} in JSON mode, and issues and revokes more keys', async () => {
    const run = await runCli(['tenant', 'create', 'Beta Comércio', '--filial', 'Filial Curitiba', '--key-name', 'erp', '--json'], env);
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as { empresaId: number; filialId: number; apiKey: string };
    expect(Object.keys(created)).toEqual(['empresaId', 'filialId', 'apiKey']);
    expect(await findTenantByApiKey(database.db, created.apiKey)).toEqual({
      empresaId: created.empresaId,
      filialId: created.filialId,
      nome: 'Beta Comércio',
    });
    const keyRow = await database.db.selectFrom('api_keys').select(['name', 'key_hash']).executeTakeFirstOrThrow();
    expect(keyRow.name).toBe('erp');
    expect(created.apiKey).not.toContain(keyRow.key_hash);

    const another = await runCli(['tenant', 'key', String(created.empresaId)], env);
    expect(another.code).toBe(0);
    const key = printedKey(another.stdout);
    expect(await findTenantByApiKey(database.db, key)).toMatchObject({ empresaId: created.empresaId, filialId: null });

    const prefix = key.split('_')[1] as string;
    const revoked = await runCli(['tenant', 'revoke', String(created.empresaId), prefix], env);
    expect(revoked).toMatchObject({ code: 0, stdout: `1 chave revogada (prefixo ${prefix}, empresa #${created.empresaId}).\n` });
    expect(await findTenantByApiKey(database.db, key)).toBeNull();
    expect(await findTenantByApiKey(database.db, created.apiKey)).not.toBeNull();
    const again = await runCli(['tenant', 'revoke', String(created.empresaId), prefix], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`erro: nenhuma chave ativa com o prefixo ${prefix} na empresa #${created.empresaId}\n`);
  });

  it('refuses a key for an empresa or filial that does not exist', async () => {
    await runCli(['tenant', 'create', 'Gama'], env);
    const noEmpresa = await runCli(['tenant', 'key', '42'], env);
    expect(noEmpresa).toMatchObject({ code: 1, stderr: 'erro: a empresa #42 não existe\n' });
    const noFilial = await runCli(['tenant', 'key', '1', '--filial', '7'], env);
    expect(noFilial).toMatchObject({ code: 1, stderr: 'erro: a filial #7 não existe ou não é da empresa #1\n' });
    const notAnId = await runCli(['tenant', 'key', 'abc'], env);
    expect(notAnId).toMatchObject({ code: 1, stderr: 'erro: empresaId deve ser um número inteiro positivo, recebido "abc"\n' });
  });

  it("says a filial's key is the filial's (and how to get the empresa's), and that create's --filial is a name, not an id", async () => {
    const run = await runCli(['tenant', 'create', 'Delta', '--filial', 'Filial Recife', '--key-name', 'recife'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    const empresaId = Number(/^Empresa #(\d+) "Delta" criada\.$/.exec(lines[0] ?? '')?.[1]);
    const filialId = Number(/^Filial #(\d+) "Filial Recife" criada\.$/.exec(lines[1] ?? '')?.[1]);
    expect(lines[2]).toMatch(new RegExp(`^Chave de API "recife" da filial #${filialId} \\(prefixo [a-z0-9]{12}\\):$`));
    expect(lines[3]).toMatch(/^igk_/);
    expect(lines[4]).toBe(
      `Esta chave só vê e altera os dados da filial. Para uma chave da empresa inteira: integrador tenant key ${empresaId}`,
    );
    expect(await findTenantByApiKey(database.db, lines[3] as string)).toMatchObject({ empresaId, filialId });
    const en = await runCli(['tenant', 'key', String(empresaId), '--filial', String(filialId), '--lang', 'en'], env);
    expect(en.stdout).toMatch(
      new RegExp(
        `^API key "cli" of filial #${filialId} \\(prefix [a-z0-9]{12}\\):\nigk_\\S+\nThis key sees and changes only the filial's data\\.`,
      ),
    );
    const byId = await runCli(['tenant', 'create', 'Épsilon', '--filial', String(filialId)], env);
    expect(byId).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `erro: --filial do tenant create é o NOME da filial a criar, recebido "${filialId}" (um número). Para uma chave de uma filial que já existe: integrador tenant key <empresaId> --filial <id>\n`,
    });
    const help = await runCli(['tenant', 'create', '--help'], env);
    expect(help.stdout).toContain('o NOME de uma filial a criar junto com a empresa');
  });

  it('tells to run migrate when the tables are missing', async () => {
    const run = await runCli(['tenant', 'key', '1'], env);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe('erro: o banco de dados não tem as tabelas do Integrador; rode `integrador migrate` primeiro\n');
  });

  it('reports an invalid environment variable in exactly one line naming it', async () => {
    const run = await runCli(['migrate'], { ...env, PORT: 'abc' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('PORT');
    expect(lines[0]).toContain('"abc"');
  });

  it("words a refused environment variable in the CLI's language, KEY_PREFIX as every other", async () => {
    const prefix = await runCli(['migrate'], { ...env, KEY_PREFIX: 'integrador:' });
    expect(prefix).toMatchObject({ code: 1, stdout: '' });
    expect(prefix.stderr).toBe(
      'erro: variável de ambiente KEY_PREFIX inválida: esperado um prefixo de chaves do Redis com uma hash tag de Cluster e sem dois-pontos, como {integrador} (todas as filas compartilham a tag para que os fluxos fiquem em um só slot), recebido "integrador:"\n',
    );
    const port = await runCli(['migrate'], { ...env, PORT: 'abc' });
    expect(port.stderr).toBe('erro: variável de ambiente PORT inválida: esperado um inteiro de 1 a 65535, recebido "abc"\n');
    const english = await runCli(['--lang', 'en', 'migrate'], { ...env, KEY_PREFIX: 'integrador:' });
    expect(english.stderr).toBe(
      'error: invalid environment variable KEY_PREFIX: expected a Redis key prefix with a Cluster hash tag and no colon, such as {integrador} (every queue shares the tag so flows stay on one slot), got "integrador:"\n',
    );
  });

  it('rejects an unknown command with a clear message and exit code 2 (usage error); --version prints the version', async () => {
    const run = await runCli(['frobnicate'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("erro: comando desconhecido 'frobnicate' (veja `integrador --help`)\n");
    const english = await runCli(['--lang', 'en', 'frobnicate'], env);
    expect(english.code).toBe(2);
    expect(english.stderr).toBe("error: unknown command 'frobnicate'\n");
    // The hub's release: the root package.json's version, the one the apps report (/healthz, integrador_build_info).
    const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'], env)).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it("writes commander's help in one language: pt-BR headings and notes by default, English with --lang en", async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Uso: integrador \[opções\] \[comando\]\n/);
    expect(help.stdout).toContain('\nOpções:\n');
    expect(help.stdout).toContain('\nComandos:\n');
    expect(help.stdout).toMatch(/valores:\s+"pt-BR",\s+"en"\)/);
    expect(help.stdout).not.toMatch(/Usage:|Options:|Commands:|choices:|default:/);
    const sub = await runCli(['limits', 'set', '--help'], env);
    expect(sub.stdout).toMatch(/^Uso: integrador limits set \[opções\] <empresaId>\n/);
    const english = await runCli(['--lang', 'en', 'limits', '--help'], env);
    expect(english.stdout).toMatch(/^Usage: integrador limits \[options\] \[command\]\n/);
    expect(english.stdout).toContain('\nCommands:\n');
  });

  it('lists the commands in pt-BR words: no commander [options], [command] or English placeholders', async () => {
    const help = await runCli(['--help'], env);
    expect(help.stdout).toMatch(/\n {2}run \[opções\] <integracaoId> +enfileira/);
    expect(help.stdout).toMatch(/\n {2}help \[comando\] +mostra a ajuda de um comando\n/);
    expect(help.stdout).not.toMatch(/\[options\]|\[command\]|seed 00/);
    const tenant = await runCli(['tenant', '--help'], env);
    expect(tenant.stdout).toMatch(/\n {2}revoke <empresaId> <prefixo> +revoga/);
    const job = await runCli(['job', 'retry', '--help'], env);
    expect(job.stdout).toMatch(/^Uso: integrador job retry \[opções\] <fila> <jobId>\n/);
    expect(job.stdout).toContain('empresa (tenant) dona do job (id)');
  });

  it('says which empresa --empresa is, per command (a webhook, not an integration)', async () => {
    const webhooks = await runCli(['webhooks', 'create', '--help', '--lang', 'en'], env);
    expect(webhooks.stdout).toMatch(/--empresa <id> +the empresa \(tenant\) the webhook belongs to \(id\)/);
    expect(webhooks.stdout).not.toContain('integration');
    const calls = await runCli(['cti', 'calls', '--help'], env);
    expect(calls.stdout).toMatch(/--empresa <id> +empresa \(tenant\) das ligações \(id\)/);
  });

  it('names a missing argument before a missing required option', async () => {
    const bare = await runCli(['run'], env);
    expect(bare).toMatchObject({ code: 2, stdout: '', stderr: "erro: falta o argumento obrigatório 'integracaoId'\n" });
    const noEmpresa = await runCli(['run', '3'], env);
    expect(noEmpresa).toMatchObject({ code: 2, stderr: "erro: falta a opção obrigatória '--empresa <id>'\n" });
    const english = await runCli(['job', 'retry', 'set', '--lang', 'en'], env);
    expect(english).toMatchObject({ code: 2, stderr: "error: missing required argument 'jobId'\n" });
  });

  it('speaks the language of INTEGRADOR_LANG, else LC_ALL / LC_MESSAGES / LANG; --lang wins over both', async () => {
    const english = "error: unknown command 'nada'\n";
    const portuguese = "erro: comando desconhecido 'nada' (veja `integrador --help`)\n";
    const cases: Array<[Record<string, string>, string[], string]> = [
      [{ LC_MESSAGES: 'en_GB', LANG: 'pt_BR.UTF-8' }, [], english],
      [{ LC_ALL: 'C', LANG: 'en_US.UTF-8' }, [], portuguese],
      [{ INTEGRADOR_LANG: 'en', LANG: 'pt_BR.UTF-8' }, [], english],
      [{ INTEGRADOR_LANG: 'en' }, ['--lang', 'pt-BR'], portuguese],
    ];
    // Together: each run starts a process, slow on a loaded machine.
    const [help, refused, ...runs] = await Promise.all([
      runCli(['--help'], { ...env, LANG: 'en_US.UTF-8' }),
      runCli(['migrate'], { ...env, INTEGRADOR_LANG: 'fr' }),
      ...cases.map(([vars, args]) => runCli([...args, 'nada'], { ...env, ...vars })),
    ]);
    expect(runs.map((run) => run.stderr)).toEqual(cases.map(([, , expected]) => expected));
    expect(help?.stdout).toMatch(/^Usage: integrador \[options\] \[command\]\n/);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    // No language chosen yet: the default's.
    expect(refused?.stderr).toBe('erro: variável de ambiente INTEGRADOR_LANG inválida: esperado pt-BR ou en, recebido "fr"\n');
  }, 240000);

  it('speaks English with --lang en, before or after the command', async () => {
    const first = await runCli(['--lang', 'en', 'migrate'], env);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Applied migrations: 001-initial(, \d{3}-[\w-]+)+\n$/) });
    const again = await runCli(['migrate', '--lang', 'en'], env);
    expect(again.stdout).toBe('The database is already up to date.\n');
    const help = await runCli(['--lang', 'en', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('applies the pending database migrations');
    const refused = await runCli(['--lang', 'en', 'migrate', '--down'], env);
    expect(refused.stderr).toBe('error: --down drops every Integrador table and its data; repeat with --yes to confirm\n');
  });

  it('runs through the executable bin/integrador', async () => {
    const run = await runBin(['--lang', 'en', 'migrate'], env);
    expect(run).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Applied migrations: 001-initial(, \d{3}-[\w-]+)+\n$/),
      stderr: '',
    });
  });
});
