import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEST_SERVERS } from '@integrador/test-support/databases';
import { freePort } from '@integrador/test-support/ports';
import { cliEnv, runCli } from '../test/run-cli';

describe('integrador connections test', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-cli-conn-'));
    const pg = new URL(TEST_SERVERS.postgres);
    const file = path.join(dir, 'connections.yaml');
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  erp_pg:',
        '    tipo: banco de dados',
        '    driver: postgres',
        `    host: ${pg.hostname}`,
        `    port: ${pg.port || 5432}`,
        '    database: postgres',
        '    user: postgres',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} secret reference of the connections file
        "    password: '${ERP_PG_PASSWORD}'",
        '    allowPrivateNetwork: true',
        '  erp_fechado:',
        '    tipo: bd',
        '    driver: mysql',
        '    host: 127.0.0.1',
        `    port: ${await freePort()}`,
        '    database: erp',
        '    allowPrivateNetwork: true',
      ].join('\n'),
    );
    env = cliEnv(`sqlite:${path.join(dir, 'crm.sqlite')}`, { CONNECTIONS_FILE: file, ERP_PG_PASSWORD: 'Senha-Nunca-Mostrada' });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints each step and exits 0 when the connection works', async () => {
    const run = await runCli(['connections', 'test', 'erp_pg'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    // The steps worded in the output's language (pt-BR by default), as their messages are.
    expect(lines.map((line) => line.split(' (')[0])).toEqual(['✓ alcance', '✓ login', '✓ consulta', '✓ versão', 'Conexão "erp_pg" ok']);
    expect(lines[3]).toMatch(/^✓ versão \(\d+ ms\): versão do servidor: \d+/);
    expect(run.stdout + run.stderr).not.toContain('Senha-Nunca-Mostrada');
  });

  it('exits 1 and says what to fix when it fails, in English with --lang en, as JSON with --json', async () => {
    const run = await runCli(['connections', 'test', 'erp_fechado', '--lang', 'en'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ reachability \(\d+ ms\): server 127\.0\.0\.1 refused the connection on port \d+: check the port/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('Connection "erp_fechado" failed (PORT_CLOSED).');

    const json = await runCli(['connections', 'test', 'erp_fechado', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      connection: 'erp_fechado',
      driver: 'mysql',
      error: { code: 'PORT_CLOSED' },
    });
  });

  it('tests a valid entry of a file with an invalid one, saying which was skipped and why (pt-BR; en with --lang en)', async () => {
    const pg = new URL(TEST_SERVERS.postgres);
    const file = path.join(dir, 'connections-typo.yaml');
    fs.writeFileSync(
      file,
      [
        'connections:',
        '  erp_pg:',
        '    tipo: bd',
        '    driver: postgres',
        `    host: ${pg.hostname}`,
        `    port: ${pg.port || 5432}`,
        '    database: postgres',
        '    user: postgres',
        '    allowPrivateNetwork: true',
        '  typo:',
        '    tipo: bd',
        '    driver: postgress',
        '    host: 127.0.0.1',
        '    database: erp',
        '    usr: y',
      ].join('\n'),
    );
    const typoEnv = { ...env, CONNECTIONS_FILE: file };
    const ok = await runCli(['connections', 'test', 'erp_pg'], typoEnv);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n').at(-1)).toMatch(/^Conexão "erp_pg" ok/);
    const skipped = ok.stderr.trim().split('\n');
    expect(skipped).toContain(
      'aviso: entrada ignorada (inválida), as demais serão usadas neste teste: conexão "typo": campo "driver": esperado um de postgres, mysql, mssql, oracle, firebird, sqlite, odbc, recebido "postgress"',
    );
    expect(skipped).toContainEqual(
      expect.stringMatching(/: conexão "typo": campo "usr": campo desconhecido; esperado um de tipo, driver, /),
    );

    // The invalid entry itself: refused, worded in the CLI's language.
    const bad = await runCli(['connections', 'test', 'typo'], typoEnv);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^erro: arquivo de conexões /);
    expect(bad.stderr).toContain(`arquivo de conexões ${file}: conexão "typo": campo "driver": esperado um de postgres,`);
    const badEn = await runCli(['connections', 'test', 'typo', '--lang', 'en'], typoEnv);
    expect(badEn.stderr).toContain(
      `connections file ${file}: connection "typo": field "usr": unknown field; expected one of tipo, driver,`,
    );

    // A file broken as a whole is still refused, in pt-BR after "erro:".
    const broken = path.join(dir, 'connections-broken.yaml');
    fs.writeFileSync(broken, 'conexoes: {}\n');
    const refused = await runCli(['connections', 'test', 'erp_pg'], { ...env, CONNECTIONS_FILE: broken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `arquivo de conexões ${broken}: campo "conexoes": campo de primeiro nível desconhecido; esperado apenas "connections"`,
    );
  });

  // Review rev2 #3: every other spawned process of the suites runs with OUTBOUND_ALLOW_LOOPBACK=true. A real process
  // with the switch off must refuse an allowPrivateNetwork connection to loopback, the URL's percent-encoded spelling
  // of it too, before anything reaches the double.
  it('with OUTBOUND_ALLOW_LOOPBACK=false refuses a loopback database despite allowPrivateNetwork: the double is never reached', async () => {
    let hits = 0;
    const double = net.createServer((socket) => {
      hits++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => double.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = double.address() as net.AddressInfo;
      const file = path.join(dir, 'connections-loopback.yaml');
      const entry = (name: string, where: string[]) => [
        `  ${name}:`,
        '    tipo: bd',
        '    driver: postgres',
        ...where,
        '    allowPrivateNetwork: true',
      ];
      fs.writeFileSync(
        file,
        [
          'connections:',
          ...entry('erp_local', ['    host: 127.0.0.1', `    port: ${port}`, '    database: erp', '    user: erp']),
          ...entry('erp_codificado', [`    url: postgres://erp@127%2E0%2E0%2E1:${port}/erp`]),
        ].join('\n'),
      );
      const closed = { ...env, CONNECTIONS_FILE: file, OUTBOUND_ALLOW_LOOPBACK: 'false' };
      for (const name of ['erp_local', 'erp_codificado']) {
        const run = await runCli(['connections', 'test', name, '--json'], closed);
        expect(run.code).toBe(1);
        const result = JSON.parse(run.stdout);
        expect(result).toMatchObject({ ok: false, connection: name, error: { code: 'ADDRESS_FORBIDDEN' } });
        expect(result.error.message).toContain('OUTBOUND_ALLOW_LOOPBACK=true');
      }
      expect(hits).toBe(0);
      // The same file with the switch on: the double is reached (the test above is not refused for another reason).
      await runCli(['connections', 'test', 'erp_local', '--json'], { ...closed, OUTBOUND_ALLOW_LOOPBACK: 'true' });
      expect(hits).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => double.close(resolve));
    }
  });

  it('exits 1 naming the known connections for an unknown one', async () => {
    const run = await runCli(['connections', 'test', 'nao_existe'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('conexão "nao_existe" não encontrada no arquivo de conexões (conhecidas: erp_pg, erp_fechado)');
  });
});
