/**
 * Where the suite's servers are (TEST_* overrides of the machine's defaults), which optional parts exist (MSSQL_URL,
 * ORACLE_URL) and which CI requires (REQUIRE_OPTIONAL): read by the config package, the only reader of the environment.
 */
export { testSettings as testEnv } from '@integrador/config/test-settings';
