import { emptyConnections, parseConnections } from '@integrador/connections';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { SET_WS_CONTAS, seedSetWsContas } from '../../../test/fixtures/set-ws-contas';
import { lintStoredConfiguration } from './stored-config-lint';

/** Seed 001's row 19 with one column of its consulta misspelt (email_gerall) and one that is not in contas at all. */
const MISSPELT = SET_WS_CONTAS.consulta.replace('c.email_geral,', 'c.email_gerall, c.segmento_erp,');

/** A GET pulling E085CLI into contas that does not select contas.nome (NOT NULL, no default). */
const GET_WITHOUT_NOME = {
  id: 40,
  nome: 'GET-BD-CLIENTES',
  tipo_servico: 'GET',
  conexao_integracao_id: 3,
  tabela: 'contas',
  sql_consulta: 'SELECT CODCLI AS id_erp, APECLI AS fantasia FROM E085CLI',
};

describe.each(ALL_DIALECTS)('config lint against the CRM database catalog (%s)', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;
  const lint = async (code: string, connections = emptyConnections()) =>
    (await lintStoredConfiguration(database, connections, empresaId)).filter((finding) => finding.code === code);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    ({ empresaId } = await seedSetWsContas(database.db));
  }, 60_000);
  afterAll(async () => database?.drop());

  it('names a SET consulta column the CRM table does not have (integration, column, table), in both languages', async () => {
    expect(await lint('CONSULTA_UNKNOWN_COLUMN')).toEqual([]);
    await database.db.updateTable('integracao').set({ consulta: MISSPELT }).where('id', '=', 19).execute();
    const findings = await lint('CONSULTA_UNKNOWN_COLUMN');
    expect(findings.map((f) => [f.severity, f.table, f.rowId, f.column, f.integracaoNome])).toEqual([
      ['error', 'integracao', 19, 'consulta', 'SET-WS-CONTAS'],
      ['error', 'integracao', 19, 'consulta', 'SET-WS-CONTAS'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      {
        'pt-BR':
          'a consulta da integração SET-WS-CONTAS lê a coluna "c.email_gerall", que não existe na tabela contas do CRM (quis dizer "email_geral"?); cada envio falharia ao ler o registro',
        en: 'the consulta of integration SET-WS-CONTAS reads column "c.email_gerall", which does not exist in the CRM table contas (did you mean "email_geral"?); every push would fail reading the record',
      },
      {
        'pt-BR':
          'a consulta da integração SET-WS-CONTAS lê a coluna "c.segmento_erp", que não existe na tabela contas do CRM; cada envio falharia ao ler o registro',
        en: 'the consulta of integration SET-WS-CONTAS reads column "c.segmento_erp", which does not exist in the CRM table contas; every push would fail reading the record',
      },
    ]);
    // The catalog is read as it is now: the column added, the finding is gone.
    await sql`ALTER TABLE contas ADD COLUMN segmento_erp varchar(20)`.execute(database.db);
    expect((await lint('CONSULTA_UNKNOWN_COLUMN')).map((f) => f.message.en)).toEqual([expect.stringContaining('"c.email_gerall"')]);
    await database.db.updateTable('integracao').set({ consulta: SET_WS_CONTAS.consulta }).where('id', '=', 19).execute();
  });

  it('checks the columns of a dependencia consulta the same way, JSON-SQL or plain SQL, on tables the integration does not read', async () => {
    const dependencia = {
      integracao_id: 19,
      campos_integracao_id: null,
      variavel: 'ramal_vendedor',
      tipo: 'consulta',
      integracao_origem_id: null,
      indice_valor: null,
      obrigatoria: 0,
      descricao: null,
    };
    // MySQL has no RETURNING: each row's id is read back by its variavel.
    const insert = async (variavel: string, consulta: string) => {
      await database.db
        .insertInto('dependencias')
        .values({ ...dependencia, variavel, consulta })
        .execute();
      const row = await database.db.selectFrom('dependencias').select('id').where('variavel', '=', variavel).executeTakeFirstOrThrow();
      return row.id;
    };
    const jsonId = await insert('ramal_vendedor', '{"consulta": "SELECT u.ramall FROM usuarios u WHERE u.email = #email_geral#"}');
    const plainId = await insert('nome_vendedor', 'SELECT nome, apelido FROM usuarios WHERE email = #email_geral#');
    try {
      const findings = await lint('CONSULTA_UNKNOWN_COLUMN');
      expect(findings.map((f) => [f.severity, f.table, f.rowId, f.column, f.integracaoNome])).toEqual([
        ['error', 'dependencias', jsonId, 'consulta', 'SET-WS-CONTAS'],
        ['error', 'dependencias', plainId, 'consulta', 'SET-WS-CONTAS'],
      ]);
      expect(findings.map((f) => f.message)).toEqual([
        {
          'pt-BR': `a consulta da dependência #${jsonId} (ramal_vendedor) da integração SET-WS-CONTAS lê a coluna "u.ramall", que não existe na tabela usuarios do CRM (quis dizer "ramal"?); cada envio falharia ao resolver a dependência`,
          en: `the consulta of dependencia #${jsonId} (ramal_vendedor) of integration SET-WS-CONTAS reads column "u.ramall", which does not exist in the CRM table usuarios (did you mean "ramal"?); every push would fail resolving the dependency`,
        },
        {
          'pt-BR': `a consulta da dependência #${plainId} (nome_vendedor) da integração SET-WS-CONTAS lê a coluna "apelido", que não existe na tabela usuarios do CRM; cada envio falharia ao resolver a dependência`,
          en: `the consulta of dependencia #${plainId} (nome_vendedor) of integration SET-WS-CONTAS reads column "apelido", which does not exist in the CRM table usuarios; every push would fail resolving the dependency`,
        },
      ]);
      // Fixed, the findings are gone; a dependencia of another kind (integracao) has no consulta to check.
      await database.db
        .updateTable('dependencias')
        .set({ consulta: 'SELECT u.ramal FROM usuarios u WHERE u.email = #email_geral#' })
        .where('id', '=', jsonId)
        .execute();
      await database.db
        .updateTable('dependencias')
        .set({ tipo: 'integracao', integracao_origem_id: 19 })
        .where('id', '=', plainId)
        .execute();
      expect(await lint('CONSULTA_UNKNOWN_COLUMN')).toEqual([]);
    } finally {
      await database.db.deleteFrom('dependencias').where('id', 'in', [jsonId, plainId]).execute();
    }
  });

  it('warns when a GET does not select a NOT NULL column without default of its CRM table, naming it', async () => {
    await database.db
      .insertInto('integracao')
      .values({ ...GET_WITHOUT_NOME, empresa_id: empresaId, empresa_filial_id: null, ordem: 0, ativo: 1 })
      .execute();
    // NOT NULL with a default is filled by the database: not required.
    await sql`ALTER TABLE contas ADD COLUMN origem_tipo varchar(10) DEFAULT 'erp' NOT NULL`.execute(database.db);
    const findings = await lint('GET_REQUIRED_COLUMN_MISSING');
    expect(findings.map((f) => [f.severity, f.rowId, f.column])).toEqual([['warning', 40, 'sql_consulta']]);
    expect(findings[0]?.message).toEqual({
      'pt-BR':
        'a coluna "nome" de contas é NOT NULL sem valor padrão e o sql_consulta não a seleciona (id_erp, fantasia); cada inserção falharia — selecione a coluna da origem com o alias nome',
      en: 'column "nome" of contas is NOT NULL without a default and sql_consulta does not select it (id_erp, fantasia); every insert would fail — select the source\'s column aliased nome',
    });
    await database.db
      .updateTable('integracao')
      .set({ sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS fantasia FROM E085CLI' })
      .where('id', '=', 40)
      .execute();
    expect(await lint('GET_REQUIRED_COLUMN_MISSING')).toEqual([]);
  });

  it('warns on MySQL/MariaDB when a GET key column ignores case or accents (P1 and p1 one record)', async () => {
    // The hub's key columns are binary (migration 020): no finding on any dialect.
    expect(await lint('GET_KEY_CASE_INSENSITIVE')).toEqual([]);
    if (dialect !== 'mysql') return;
    await sql`ALTER TABLE contas MODIFY id_erp varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL`.execute(database.db);
    try {
      const findings = await lint('GET_KEY_CASE_INSENSITIVE');
      expect(findings.map((f) => [f.severity, f.rowId, f.column])).toEqual([['warning', 40, 'chave']]);
      expect(findings[0]?.message.en).toContain('key column "id_erp" of contas ignores case/accents');
      // A `SELECT *` (its select list unread) still upserts by the key: the warning stays.
      await database.db.updateTable('integracao').set({ sql_consulta: 'SELECT * FROM E085CLI' }).where('id', '=', 40).execute();
      expect((await lint('GET_KEY_CASE_INSENSITIVE')).map((f) => [f.rowId, f.column])).toEqual([[40, 'chave']]);
    } finally {
      await database.db.updateTable('integracao').set({ sql_consulta: GET_WITHOUT_NOME.sql_consulta }).where('id', '=', 40).execute();
      await sql`ALTER TABLE contas MODIFY id_erp varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`.execute(database.db);
    }
  });
  // A GET's upsert matches rows through a unique index on (empresa_id, chave): without one PostgreSQL and SQLite refuse
  // the ON CONFLICT and MariaDB would insert every row again, so each run is refused (KEY_NOT_UNIQUE) — lint says so.
  it('reports a GET chave without a unique index on (empresa_id, chave), or that is no column of the table, as errors', async () => {
    const sqlConsulta = 'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS fantasia FROM E085CLI';
    const get = { ...GET_WITHOUT_NOME, id: 41, nome: 'GET-BD-FANTASIA', chave: 'fantasia', sql_consulta: sqlConsulta };
    await database.db
      .insertInto('integracao')
      .values({ ...get, empresa_id: empresaId, empresa_filial_id: null, ordem: 0, ativo: 1 })
      .execute();
    try {
      // Row 40 keys by id_erp, which the hub's unique index backs: no finding.
      const findings = await lint('GET_KEY_NOT_UNIQUE');
      expect(findings.map((f) => [f.severity, f.table, f.rowId, f.column, f.integracaoNome])).toEqual([
        ['error', 'integracao', 41, 'chave', 'GET-BD-FANTASIA'],
      ]);
      expect(findings[0]?.message['pt-BR']).toBe(
        'contas não tem índice único em (empresa_id, fantasia): o upsert do GET não casa os registros pela chave (PostgreSQL e SQLite recusam o ON CONFLICT, o MariaDB duplicaria as linhas), por isso cada execução é recusada; crie o índice (CREATE UNIQUE INDEX … ON contas (empresa_id, fantasia)) ou use a chave id_erp',
      );
      expect(findings[0]?.message.en).toBe(
        "contas has no unique index on (empresa_id, fantasia): the GET's upsert cannot match records by the key (PostgreSQL and SQLite refuse the ON CONFLICT, MariaDB would duplicate rows), so every run is refused; create the index (CREATE UNIQUE INDEX … ON contas (empresa_id, fantasia)) or use chave id_erp",
      );
      // The index created, the finding is gone (the catalog as it is now).
      await sql`CREATE UNIQUE INDEX contas_lint_fantasia ON contas (empresa_id, fantasia)`.execute(database.db);
      try {
        expect(await lint('GET_KEY_NOT_UNIQUE')).toEqual([]);
      } finally {
        await (dialect === 'mysql' ? sql`DROP INDEX contas_lint_fantasia ON contas` : sql`DROP INDEX contas_lint_fantasia`).execute(
          database.db,
        );
      }
      await database.db.updateTable('integracao').set({ chave: 'codigo_erp' }).where('id', '=', 41).execute();
      expect((await lint('GET_KEY_NOT_A_COLUMN')).map((f) => [f.severity, f.rowId, f.column, f.message.en])).toEqual([
        [
          'error',
          41,
          'chave',
          'chave "codigo_erp" is not a column of contas: every run is refused; expected a column of contas (e.g. id_erp)',
        ],
      ]);
    } finally {
      await database.db.deleteFrom('integracao').where('id', '=', 41).execute();
    }
  });

  it('reports two selected columns naming one CRM column (one value would be lost) as an error', async () => {
    expect(await lint('GET_COLUMN_TWICE')).toEqual([]);
    const twice = 'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS NOME FROM E085CLI';
    await database.db.updateTable('integracao').set({ sql_consulta: twice }).where('id', '=', 40).execute();
    try {
      const findings = await lint('GET_COLUMN_TWICE');
      expect(findings.map((f) => [f.severity, f.rowId, f.column])).toEqual([['error', 40, 'sql_consulta']]);
      expect(findings[0]?.message['pt-BR']).toMatch(/^o sql_consulta seleciona "nome" e "NOME", que dão nome à mesma coluna do CRM/);
      expect(findings[0]?.message.en).toMatch(/^sql_consulta selects "nome" and "NOME", which name the same CRM column/);
    } finally {
      await database.db.updateTable('integracao').set({ sql_consulta: GET_WITHOUT_NOME.sql_consulta }).where('id', '=', 40).execute();
    }
  });

  it('reports a GET on a connection that is no database, and a SET on a database one whose link is no table, naming the connection', async () => {
    // Connection 3 (senior_g5) is a web service by its tipo_conexao (WS): the GET of row 40 cannot read through it.
    const byRow = await lint('GET_CONNECTION_NOT_DATABASE');
    expect(byRow.map((f) => [f.severity, f.table, f.rowId, f.column])).toEqual([['error', 'integracao', 40, 'conexao_integracao_id']]);
    expect(byRow[0]?.message['pt-BR']).toBe(
      'a integração GET GET-BD-CLIENTES usa a conexão "senior_g5", que é do tipo webservice pelo tipo_conexao: um GET executa o sql_consulta num banco de dados, por isso cada execução é recusada; esperado uma conexão do tipo database',
    );
    expect(await lint('DATABASE_RECEPTOR_LINK')).toEqual([]);
    // The connections file says senior_g5 is a database (runs go by the file): the GET is fine, the SOAP SET (row 19,
    // its link a WSDL's path) is not.
    const file = parseConnections(
      ['connections:', '  senior_g5:', '    tipo: database', '    driver: sqlite', '    database: ":memory:"'].join('\n'),
      'yaml',
      {},
      'test',
    );
    expect(await lint('GET_CONNECTION_NOT_DATABASE', file)).toEqual([]);
    const receptor = await lint('DATABASE_RECEPTOR_LINK', file);
    expect(receptor.map((f) => [f.severity, f.rowId, f.column, f.integracaoNome])).toEqual([['error', 19, 'link', 'SET-WS-CONTAS']]);
    expect(receptor[0]?.message.en).toBe(
      `SET integration SET-WS-CONTAS uses connection "senior_g5", which is a database connection in the connections file: it inserts into the table its link names, and link "${SET_WS_CONTAS.link}" is no table name (a web service's or an API's address does not fit here), so every push is refused; expected the table's name in link, or a webservice/api connection`,
    );
  });
});
