import { emptyConnections } from '@integrador/connections';
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
  const lint = async (code: string) =>
    (await lintStoredConfiguration(database, emptyConnections(), empresaId)).filter((finding) => finding.code === code);

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
});
