import { type CrmDatabase, createDatabase, migrateToLatest } from '@integrador/store';
import { sql } from 'kysely';
import { parseConsulta } from './consulta';
import {
  bindStatement,
  compileStatement,
  compileTemplate,
  extractVariables,
  MissingVariableError,
  type TemplateDialect,
  toRawSql,
} from './template';

const INJECTIONS = [
  '1 OR 1=1',
  "'; DROP TABLE contas; --",
  "\\'",
  "\\'; DROP TABLE contas; --",
  '\u2019 OR \u20181\u2019=\u20181',
  '#contaId#',
  '$1',
  '?',
];

describe('extractVariables', () => {
  it('lists #vars# in order of first use, once each, quoted or not', () => {
    expect(extractVariables(`SELECT * FROM t WHERE a = #b# AND c = '#a#' AND d = "#b#" AND e = #conta.id#`)).toEqual([
      'b',
      'a',
      'conta.id',
    ]);
  });

  it('ignores hashes that are not variables', () => {
    expect(extractVariables(`SELECT 'abc#', '#1x#', '# x #', '##' FROM t WHERE a = #ok_1#`)).toEqual(['ok_1']);
  });
});

describe('compileTemplate', () => {
  it('binds bare and quoted variables as positional parameters per dialect, eating the quotes', () => {
    const template = `SELECT * FROM contas WHERE id = #id# AND nome = '#nome#' AND cnpj = "#cnpj#" AND id <> #id#`;
    const values = { id: 7, nome: 'ACME', cnpj: '123' };
    expect(compileTemplate(template, values, 'postgres')).toEqual({
      sql: 'SELECT * FROM contas WHERE id = $1 AND nome = $2 AND cnpj = $3 AND id <> $4',
      parameters: [7, 'ACME', '123', 7],
      variables: ['id', 'nome', 'cnpj'],
    });
    for (const dialect of ['mysql', 'sqlite'] as const)
      expect(compileTemplate(template, values, dialect).sql).toBe(
        'SELECT * FROM contas WHERE id = ? AND nome = ? AND cnpj = ? AND id <> ?',
      );
  });

  it('binds a literal that contains variables as one string parameter, as PHP would interpolate it', () => {
    const compiled = compileTemplate(
      `SELECT * FROM contas WHERE nome LIKE '%#nome#%' AND obs = 'it''s #n#'`,
      { nome: 'AC', n: 3 },
      'postgres',
    );
    expect(compiled.sql).toBe('SELECT * FROM contas WHERE nome LIKE $1 AND obs = $2');
    expect(compiled.parameters).toEqual(['%AC%', "it's 3"]);
  });

  it('leaves literals with a # that is not a variable, comments and identifiers alone', () => {
    const template = "SELECT 'abc#' AS a, '#' AS b, `x#y#` AS c FROM t -- uses #nothing#\nWHERE id = #id# /* #neither# */";
    const compiled = compileTemplate(template, { id: 1 }, 'mysql');
    expect(compiled.sql).toBe("SELECT 'abc#' AS a, '#' AS b, `x#y#` AS c FROM t -- uses #nothing#\nWHERE id = ? /* #neither# */");
    expect(compiled.parameters).toEqual([1]);
  });

  it('reads MySQL backslash escapes inside literals only for mysql', () => {
    expect(compileTemplate(`SELECT 'a\\'b #x#'`, { x: 1 }, 'mysql')).toMatchObject({ sql: 'SELECT ?', parameters: ["a'b 1"] });
  });

  it('binds the typographic ‘#id#’ the Integrador manual writes', () => {
    expect(compileTemplate('SELECT * FROM contas WHERE id = \u2018#id#\u2019', { id: 5 }, 'sqlite')).toMatchObject({
      sql: 'SELECT * FROM contas WHERE id = ?',
      parameters: [5],
    });
  });

  it('throws MissingVariableError naming the variable before compiling anything', () => {
    const attempt = () => compileTemplate('UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#', { contaId: 1 }, 'postgres');
    expect(attempt).toThrow(MissingVariableError);
    expect(attempt).toThrow(/#codCli#/);
    let caught: unknown;
    try {
      attempt();
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'MissingVariableError', code: 'MISSING_VARIABLE', variable: 'codCli', missing: ['codCli'] });
    expect(() => compileTemplate('SELECT #constructor#', {}, 'sqlite')).toThrow(MissingVariableError);
  });

  it('binds null as a value and reads dotted names through nested objects', () => {
    expect(compileTemplate('SELECT #a#, #conta.id#', { a: null, conta: { id: 9 } }, 'sqlite').parameters).toEqual([null, 9]);
  });

  it.each(INJECTIONS)('keeps the injection payload %p a parameter, never SQL text', (payload) => {
    const template = `SELECT * FROM contas WHERE id = #id# AND nome = '#id#' AND obs LIKE '%#id#%'`;
    const compiled = compileTemplate(template, { id: payload }, 'postgres');
    expect(compiled.sql).toBe('SELECT * FROM contas WHERE id = $1 AND nome = $2 AND obs LIKE $3');
    expect(compiled.parameters).toEqual([payload, payload, `%${payload}%`]);
  });

  it('keeps a value that is itself a Kysely expression a parameter', () => {
    const payload = sql.raw('1; DROP TABLE contas');
    const compiled = compileTemplate('SELECT #id#', { id: payload }, 'sqlite');
    expect(compiled.sql).toBe('SELECT ?');
    expect(compiled.parameters).toEqual([payload]);
  });
});

describe('compileTemplate for the ERP source dialects', () => {
  const template = `SELECT * FROM E085CLI WHERE CODCLI = #id# AND NOMCLI = '#nome#' AND CIDCLI LIKE '%#cidade#%'`;
  const values = { id: 7, nome: 'ACME', cidade: 'Blumenau' };

  it.each([
    ['mssql', 'SELECT * FROM E085CLI WHERE CODCLI = @1 AND NOMCLI = @2 AND CIDCLI LIKE @3'],
    ['oracle', 'SELECT * FROM E085CLI WHERE CODCLI = :1 AND NOMCLI = :2 AND CIDCLI LIKE :3'],
    ['firebird', 'SELECT * FROM E085CLI WHERE CODCLI = ? AND NOMCLI = ? AND CIDCLI LIKE ?'],
    ['odbc', 'SELECT * FROM E085CLI WHERE CODCLI = ? AND NOMCLI = ? AND CIDCLI LIKE ?'],
  ] as const)('numbers the placeholders as %s binds them', (dialect, expected) => {
    expect(compileTemplate(template, values, dialect)).toEqual({
      sql: expected,
      parameters: [7, 'ACME', '%Blumenau%'],
      variables: ['id', 'nome', 'cidade'],
    });
  });

  it('gives every occurrence of a repeated variable its own Oracle position', () => {
    expect(compileTemplate('SELECT :x FROM DUAL WHERE a = #v# OR b = #v#', { v: 1 }, 'oracle')).toMatchObject({
      sql: 'SELECT :x FROM DUAL WHERE a = :1 OR b = :2',
      parameters: [1, 1],
    });
  });

  it("drops the N of N'#x#' when the national literal becomes a parameter (SQL Server, Oracle, MySQL)", () => {
    for (const dialect of ['mssql', 'oracle', 'mysql'] as const)
      expect(compileTemplate("SELECT N'abc', IN'#x#', N'#x#' FROM t WHERE NOMCLI = n'x #x#'", { x: 'é' }, dialect)).toMatchObject({
        sql: `SELECT N'abc', IN${dialect === 'mssql' ? '@1' : dialect === 'oracle' ? ':1' : '?'}, ${
          dialect === 'mssql' ? '@2' : dialect === 'oracle' ? ':2' : '?'
        } FROM t WHERE NOMCLI = ${dialect === 'mssql' ? '@3' : dialect === 'oracle' ? ':3' : '?'}`,
        parameters: ['é', 'é', 'x é'],
      });
  });

  it('keeps SQL Server [bracketed] identifiers verbatim, a #var# in them included', () => {
    expect(compileTemplate("SELECT [CODCLI#x#], [it's] FROM [dbo].[E085CLI] WHERE CODCLI = #x#", { x: 1 }, 'mssql')).toEqual({
      sql: "SELECT [CODCLI#x#], [it's] FROM [dbo].[E085CLI] WHERE CODCLI = @1",
      parameters: [1],
      variables: ['x'],
    });
  });

  it("reads Oracle q'[…]' literals, whose quotes need no doubling", () => {
    expect(compileTemplate("SELECT q'[it's #x#]', Q'{it's}', q'!#x#!' FROM DUAL", { x: 'a' }, 'oracle')).toMatchObject({
      sql: "SELECT :1, Q'{it's}', :2 FROM DUAL",
      parameters: ["it's a", 'a'],
    });
  });

  it('leaves Firebird comments, double-quoted identifiers without #vars# and RDB$ names alone', () => {
    expect(
      compileTemplate('SELECT "CODCLI", RDB$RELATION_NAME FROM RDB$RELATIONS -- #no#\nWHERE RDB$RELATION_ID = #id#', { id: 3 }, 'firebird'),
    ).toEqual({
      sql: 'SELECT "CODCLI", RDB$RELATION_NAME FROM RDB$RELATIONS -- #no#\nWHERE RDB$RELATION_ID = ?',
      parameters: [3],
      variables: ['id'],
    });
  });

  it.each(INJECTIONS)('keeps the injection payload %p a parameter in every source dialect', (payload) => {
    const expected = {
      mssql: 'SELECT * FROM t WHERE a = @1 AND b = @2 AND c LIKE @3',
      oracle: 'SELECT * FROM t WHERE a = :1 AND b = :2 AND c LIKE :3',
      firebird: 'SELECT * FROM t WHERE a = ? AND b = ? AND c LIKE ?',
    };
    for (const dialect of ['mssql', 'oracle', 'firebird'] as const) {
      const national = dialect === 'firebird' ? '' : 'N';
      const template = `SELECT * FROM t WHERE a = #v# AND b = ${national}'#v#' AND c LIKE '%#v#%'`;
      const compiled = compileTemplate(template, { v: payload }, dialect);
      expect(compiled.sql).toBe(expected[dialect]);
      expect(compiled.parameters).toEqual([payload, payload, `%${payload}%`]);
    }
  });
});

describe('toRawSql on SQLite', () => {
  let database: CrmDatabase;
  const consulta = parseConsulta(
    '{"consulta":"SELECT c.id_erp, c.nome, c.cnpj, c.id FROM contas AS c WHERE c.id = #contaId# OR c.nome = \'#contaId#\'"}',
  ).sql;

  beforeAll(async () => {
    database = createDatabase('sqlite::memory:');
    await migrateToLatest(database);
    await database.db.insertInto('contas').values({ id: 1, empresa_id: 1, nome: 'ACME Ltda', cnpj: '12345678000199' }).execute();
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('runs the seed-style consulta with the value bound', async () => {
    const result = await toRawSql(consulta, { contaId: 1 }, { dialect: 'sqlite' }).execute(database.db);
    expect(result.rows).toEqual([{ id_erp: null, nome: 'ACME Ltda', cnpj: '12345678000199', id: 1 }]);
  });

  it.each(INJECTIONS)('finds no row for the payload %p and leaves the table in place', async (payload) => {
    const result = await toRawSql(consulta, { contaId: payload }, { dialect: 'sqlite' }).execute(database.db);
    expect(result.rows).toHaveLength(0);
    const count = await database.db
      .selectFrom('contas')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('keeps injection payloads out of an UPDATE', async () => {
    await toRawSql('UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#', {
      codCli: "x'; DROP TABLE contas; --",
      contaId: '1 OR 1=1',
    }).execute(database.db);
    const rows = await database.db.selectFrom('contas').select(['id', 'id_erp']).execute();
    expect(rows).toEqual([{ id: 1, id_erp: null }]);
  });
});

describe('compileStatement and bindStatement (a statement compiled once, bound per push)', () => {
  const template = `SELECT * FROM contas WHERE id = #id# AND nome = 'a #nome# b' AND cnpj = #nome# -- #no#\nAND x = #conta.id#`;

  it.each<TemplateDialect>(['postgres', 'mysql', 'sqlite', 'mssql', 'oracle'])(
    'writes the SQL Kysely writes for the same template on %s, and binds each push its own values',
    (dialect) => {
      const ph = (n: number) => ({ postgres: `$${n}`, mssql: `@${n}`, oracle: `:${n}` })[dialect as string] ?? '?';
      const statement = compileStatement(template, dialect);
      expect(compileStatement(template, dialect)).toBe(statement);
      for (const id of [1, 2]) {
        const values = { id, nome: `N${id}`, conta: { id: id * 10 } };
        const query = bindStatement(statement, values);
        expect(query.sql).toBe(
          `SELECT * FROM contas WHERE id = ${ph(1)} AND nome = ${ph(2)} AND cnpj = ${ph(3)} -- #no#\nAND x = ${ph(4)}`,
        );
        expect(query.parameters).toEqual(
          dialect === 'sqlite' ? [BigInt(id), `a N${id} b`, `N${id}`, BigInt(id * 10)] : [id, `a N${id} b`, `N${id}`, id * 10],
        );
      }
    },
  );

  it('fails a push whose values lack a variable exactly as toRawSql does, and the next push binds', () => {
    const statement = compileStatement('UPDATE contas SET id_erp = #codCli# WHERE id = #contaId# AND x = #other#', 'postgres');
    const caught = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      throw new Error('expected an error');
    };
    const compiled = caught(() => bindStatement(statement, { contaId: 1 }));
    const raw = caught(() => toRawSql('UPDATE contas SET id_erp = #codCli# WHERE id = #contaId# AND x = #other#', { contaId: 1 }));
    expect(compiled).toBeInstanceOf(MissingVariableError);
    expect(compiled).toMatchObject({ variable: 'codCli', missing: ['codCli', 'other'], provided: ['contaId'] });
    expect((compiled as Error).message).toBe((raw as Error).message);
    expect(bindStatement(statement, { codCli: 7, contaId: 1, other: null }).parameters).toEqual([7, 1, null]);
  });

  it('runs on SQLite through Kysely with the values bound', async () => {
    const database = createDatabase('sqlite::memory:');
    try {
      await migrateToLatest(database);
      await database.db.insertInto('contas').values({ id: 1, empresa_id: 1, nome: 'ACME Ltda', cnpj: '1' }).execute();
      const update = compileStatement('UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#', 'sqlite');
      await database.db.executeQuery(bindStatement(update, { codCli: 501, contaId: '1 OR 1=1' }));
      await database.db.executeQuery(bindStatement(update, { codCli: 502, contaId: 1 }));
      const read = compileStatement("SELECT id, id_erp FROM contas WHERE nome LIKE '%#nome#%'", 'sqlite');
      const result = await database.db.executeQuery(bindStatement(read, { nome: 'ACME' }));
      // An integer bound as INTEGER, not REAL: a TEXT column reads it back as "502", not "502.0".
      expect(result.rows).toEqual([{ id: 1, id_erp: '502' }]);
    } finally {
      await database.destroy();
    }
  });
});
