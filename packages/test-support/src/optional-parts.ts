import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mariadbBinaries } from './private-mariadb';
import { testEnv } from './test-env';

// Suites that need a part a fresh machine lacks (Firebird, an ODBC driver, SQL Server, Oracle, promtool, the mariadbd
// binaries for a private server) skip it with one visible line saying what is missing and how to enable it. REQUIRE_OPTIONAL=firebird,odbc (set by .ci/run, which installs
// them) turns such a skip into a failure, so CI can never go green by skipping what it was meant to test.

export type OptionalPart = 'firebird' | 'odbc' | 'mssql' | 'oracle' | 'promtool' | 'mariadbd';

const PARTS: readonly OptionalPart[] = ['firebird', 'odbc', 'mssql', 'oracle', 'promtool', 'mariadbd'];

/** Debian's psqlODBC (odbc-postgresql) as odbcinst.ini names it; TEST_ODBC_DRIVER overrides. */
export const TEST_ODBC_DRIVER = testEnv().odbcDriver;

export const FIREBIRD_SERVER = {
  host: testEnv().firebird.host,
  port: testEnv().firebird.port,
  user: testEnv().firebird.user,
} as const;

const SYSDBA_PASSWORD_FILE = '/etc/firebird/3.0/SYSDBA.password';

/** The SYSDBA password: TEST_FIREBIRD_PASSWORD, else Debian's /etc/firebird/3.0/SYSDBA.password. */
export function firebirdPassword(): string {
  const configured = testEnv().firebird.password;
  if (configured) return configured;
  const text = fs.readFileSync(SYSDBA_PASSWORD_FILE, 'utf8');
  const match = /^ISC_PASSWORD="?([^"\n]*)"?$/m.exec(text);
  if (!match?.[1]) throw new Error(`no ISC_PASSWORD in ${SYSDBA_PASSWORD_FILE}: set TEST_FIREBIRD_PASSWORD`);
  return match[1];
}

/** Whether something accepts TCP connections at host:port, asked synchronously (suites are declared synchronously). */
function listening(host: string, port: number): boolean {
  const probe = `const s=require('node:net').connect(${port},${JSON.stringify(host)});s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1500);`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3_000 }).status === 0;
}

function firebirdMissing(): string | undefined {
  const { host, port } = FIREBIRD_SERVER;
  if (!testEnv().firebird.password && !fs.existsSync(SYSDBA_PASSWORD_FILE)) {
    return `no Firebird server (no ${SYSDBA_PASSWORD_FILE}, no TEST_FIREBIRD_PASSWORD)`;
  }
  if (!listening(host, port)) return `no Firebird server on ${host}:${port}`;
  return undefined;
}

function odbcMissing(): string | undefined {
  try {
    require('odbc');
  } catch {
    return 'the optional "odbc" addon is not built (unixODBC was missing at npm ci)';
  }
  let drivers = '';
  try {
    drivers = execFileSync('odbcinst', ['-q', '-d'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return 'no odbcinst (unixODBC is not installed)';
  }
  return drivers.includes(`[${TEST_ODBC_DRIVER}]`) ? undefined : `no [${TEST_ODBC_DRIVER}] driver in odbcinst -q -d`;
}

const PROBES: Record<OptionalPart, { missing(): string | undefined; enable: string }> = {
  firebird: {
    missing: firebirdMissing,
    enable: 'apt-get install -y firebird3.0-server && /usr/sbin/fbguard -daemon -forever, or TEST_FIREBIRD_HOST/_PORT/_PASSWORD',
  },
  odbc: { missing: odbcMissing, enable: 'apt-get install -y unixodbc-dev odbc-postgresql && npm rebuild odbc' },
  // A private server with its own globals (e.g. local_infile off), started by the suite: the binaries, not the service.
  mariadbd: {
    missing: () => (mariadbBinaries() ? undefined : 'no mariadbd / mariadb-install-db (PATH, /usr/sbin, /usr/bin)'),
    enable: 'apt-get install -y mariadb-server',
  },
  promtool: {
    missing: () => (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'no promtool on the PATH'),
    enable: 'apt-get install -y --no-install-recommends prometheus',
  },
  mssql: {
    missing: () => (testEnv().mssqlUrl ? undefined : 'MSSQL_URL is not set'),
    enable: 'set MSSQL_URL to a SQL Server (infra/compose.yaml starts one)',
  },
  oracle: {
    missing: () => (testEnv().oracleUrl ? undefined : 'ORACLE_URL is not set'),
    enable: 'set ORACLE_URL to an Oracle database (infra/compose.yaml starts one)',
  },
};

/** The parts REQUIRE_OPTIONAL lists (comma separated); an unknown name is an error, not a silent no-op. */
export function requiredParts(value = testEnv().requireOptional): OptionalPart[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!PARTS.includes(name as OptionalPart)) {
      throw new Error(`REQUIRE_OPTIONAL: expected a comma-separated list of ${PARTS.join(', ')}, got "${name}"`);
    }
  }
  return names as OptionalPart[];
}

export interface OptionalParts {
  has(part: OptionalPart): boolean;
}

/**
 * Which of `parts` this machine has. For those it lacks, writes ONE line to stderr naming the suite, what is missing
 * and how to enable it; throws (the suite fails) when REQUIRE_OPTIONAL names a missing one.
 */
export function optionalParts(parts: readonly OptionalPart[]): OptionalParts {
  const missing = parts.flatMap((part) => {
    const reason = PROBES[part].missing();
    return reason ? [{ part, reason }] : [];
  });
  const suite = suiteName();
  const required = requiredParts();
  const mustHave = missing.filter(({ part }) => required.includes(part));
  if (mustHave.length > 0) {
    throw new Error(
      `${suite} needs ${mustHave.map(({ part, reason }) => `${part} (${reason}; ${PROBES[part].enable})`).join(', ')}: REQUIRE_OPTIONAL=${required.join(',')} forbids skipping it`,
    );
  }
  if (missing.length > 0) {
    const what = missing.map(({ part, reason }) => `${part}: ${reason} → ${PROBES[part].enable}`).join('; ');
    process.stderr.write(`skipped in ${suite}: ${what}\n`);
  }
  const absent = new Set(missing.map(({ part }) => part));
  return { has: (part) => parts.includes(part) && !absent.has(part) };
}

function suiteName(): string {
  const testPath = typeof expect === 'undefined' ? undefined : expect.getState().testPath;
  return testPath ? path.relative(process.cwd(), testPath) : 'this suite';
}
