import { execFile } from 'node:child_process';
import path from 'node:path';

/** The repository root: the CLI runs from there, as `npm run integrador` does. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const DEMO_CONNECTIONS_FILE = path.join(REPO_ROOT, 'examples/connections.demo.yaml');
/** The CLI's build (scripts/build.mjs; the jest global setup rebuilds it when a source changed). */
const BUILD = 'apps/cli/dist/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The variables that choose the CLI's language: cleared, so a test speaks pt-BR whatever the machine's locale. */
const LANGUAGE_VARIABLES = { INTEGRADOR_LANG: '', LC_ALL: '', LC_MESSAGES: '', LANG: '' };

/** The environment of a CLI run against one database, with the demo connections file and its secrets. */
export function cliEnv(databaseUrl: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...LANGUAGE_VARIABLES,
    CRM_DATABASE_URL: databaseUrl,
    CONNECTIONS_FILE: DEMO_CONNECTIONS_FILE,
    SENIOR_PASSWORD: 'x',
    ERP_DB_PASSWORD: 'y',
    LOG_LEVEL: 'silent',
    // The demo's connections and the suites' doubles are on loopback: opened as the demo's operator does.
    OUTBOUND_ALLOW_LOOPBACK: 'true',
    ...overrides,
  };
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: REPO_ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      // A non-zero exit is a result to assert on; only a failure to start is an error.
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/**
 * The node arguments that run the CLI with `args`: its build with source maps, as the `integrador` command runs it, so
 * a run costs a plain start rather than tsx compiling the CLI (runs relative to the repository root).
 */
export function cliNodeArgs(args: readonly string[]): string[] {
  return ['--enable-source-maps', BUILD, ...args];
}

/** Runs the CLI (cliNodeArgs) in a real process and collects its output. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return run(process.execPath, cliNodeArgs(args), env);
}

/** Runs the executable apps/cli/bin/integrador itself (its shebang; the build when there is one, else tsx). */
export function runBin(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return run(path.join(REPO_ROOT, 'apps/cli/bin/integrador'), args, env);
}

/** The API key a CLI run printed (on its own line). */
export function printedKey(stdout: string): string {
  const key = /^igk_\S+$/m.exec(stdout)?.[0];
  if (!key) throw new Error(`no API key in output:\n${stdout}`);
  return key;
}
