import { optionalParts, requiredParts } from './optional-parts';

// The skip path of suites that need an optional part, and the CI switch that makes such a skip a failure.
describe('optionalParts', () => {
  const saved = { MSSQL_URL: process.env.MSSQL_URL, REQUIRE_OPTIONAL: process.env.REQUIRE_OPTIONAL };
  let written: string[];
  let write: jest.SpyInstance;
  beforeEach(() => {
    delete process.env.MSSQL_URL;
    delete process.env.REQUIRE_OPTIONAL;
    written = [];
    write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    write.mockRestore();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('skips a missing part with one line naming the suite, what is missing and how to enable it', () => {
    const parts = optionalParts(['mssql']);
    expect(parts.has('mssql')).toBe(false);
    expect(written).toEqual([
      'skipped in packages/test-support/src/optional-parts.test.ts: mssql: MSSQL_URL is not set → set MSSQL_URL to a SQL Server (infra/compose.yaml starts one)\n',
    ]);
  });

  it('fails instead of skipping when REQUIRE_OPTIONAL names the missing part', () => {
    process.env.REQUIRE_OPTIONAL = 'firebird, mssql';
    expect(() => optionalParts(['mssql'])).toThrow(
      'packages/test-support/src/optional-parts.test.ts needs mssql (MSSQL_URL is not set; set MSSQL_URL to a SQL Server (infra/compose.yaml starts one)): REQUIRE_OPTIONAL=firebird,mssql forbids skipping it',
    );
    expect(written).toEqual([]);
  });

  it('says nothing about a part that is there', () => {
    process.env.MSSQL_URL = 'mssql://sa:x@db.example.com/erp';
    process.env.REQUIRE_OPTIONAL = 'mssql';
    expect(optionalParts(['mssql']).has('mssql')).toBe(true);
    expect(written).toEqual([]);
  });

  it('refuses an unknown name in REQUIRE_OPTIONAL', () => {
    expect(() => requiredParts('firebird,db2')).toThrow(
      'REQUIRE_OPTIONAL: expected a comma-separated list of firebird, odbc, mssql, oracle, promtool, mariadbd, got "db2"',
    );
  });
});
