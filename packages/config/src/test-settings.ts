/**
 * The test suite's settings (@integrador/test-support's testEnv), read here because this package is the only reader of
 * the environment: where the suite's servers are (TEST_* overrides of the machine's defaults), which optional parts
 * exist (MSSQL_URL, ORACLE_URL) and which CI requires (REQUIRE_OPTIONAL). They steer the tests, not the product, whose
 * configuration loadConfig validates once at start. Read at each call: a suite may set a variable before it asks
 * (optional-parts.test.ts does).
 */
export function testSettings() {
  const env = process.env;
  return {
    postgresUrl: env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    mysqlUrl: env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
    redisUrl: env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    chromiumPath: env.TEST_CHROMIUM_PATH ?? '/usr/bin/chromium',
    odbcDriver: env.TEST_ODBC_DRIVER ?? 'PostgreSQL Unicode',
    firebird: {
      host: env.TEST_FIREBIRD_HOST ?? '127.0.0.1',
      port: Number(env.TEST_FIREBIRD_PORT ?? 3050),
      user: env.TEST_FIREBIRD_USER ?? 'SYSDBA',
      password: env.TEST_FIREBIRD_PASSWORD || undefined,
    },
    mssqlUrl: env.MSSQL_URL || undefined,
    oracleUrl: env.ORACLE_URL || undefined,
    requireOptional: env.REQUIRE_OPTIONAL ?? '',
    /**
     * What a spawned app inherits from this shell (nothing else: each test passes the app's variables itself), and the
     * operator's OUTBOUND_ALLOW_LOOPBACK: the suite's doubles listen on loopback (a test may pass 'false').
     */
    inherited: { PATH: env.PATH ?? '', HOME: env.HOME ?? '', OUTBOUND_ALLOW_LOOPBACK: 'true' },
  };
}
