import { parseConnections } from '@integrador/connections';
import { createScratchSource, type ScratchSource } from '@integrador/sources/testing';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { failureReason, failureText } from '../failure-reason';
import { RunRefusedError } from '../runs/run-errors';
import { GetConfigError } from './get-errors';
import { createSourceReaderFactory } from './get-services';
import { readerOf, runGetOnce, seedGetIntegracao } from './test-support/get-fixtures';

const EMPRESA = 1;
const PT = 'a integração GET está mal configurada: ';
const EN = 'the GET integration is misconfigured: ';
const TABLES = 'contas, contatos, oportunidades, cidades';

/**
 * The failure as the recorder keeps it (code, params, message) read back in one language, as every reader words it: a
 * settings problem is admission's refusal (RunRefusedError, as a worker's admission of a queued job fails it), the
 * others the GET engine's GetConfigError.
 */
function readBack(failure: unknown, locale: 'pt-BR' | 'en'): string {
  expect(failure instanceof GetConfigError || failure instanceof RunRefusedError).toBe(true);
  const { code, params, message } = failure as GetConfigError;
  expect(code).toBe('GET_CONFIG');
  const text = failureText(locale, code, params, message);
  // The dashboard's reason (failureReason) is the same whole line: nothing is left for the English details to say.
  expect(failureReason(locale, code, params)).toBe(text);
  return text;
}

// Trial M3 (GET_CONFIG): a GET whose configuration is broken failed with the catalogue's pt-BR reason followed by the
// engine's English message. Each way the engine detects reads whole in the reader's language: pt-BR without English,
// English without Portuguese (the values — names from the row, the source's own words — as they are).
describe('a GET whose configuration the engine refuses, worded in one language', () => {
  let source: ScratchSource;
  let crm: TestDatabase;

  beforeAll(async () => {
    source = await createScratchSource('sqlite', 3);
    crm = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await crm?.drop();
    await source?.drop();
  });

  const failureOf = async (fields: Parameters<typeof seedGetIntegracao>[3], afterAdmission?: () => Promise<unknown>) => {
    const id = await seedGetIntegracao(crm.db, EMPRESA, source, fields);
    const reader = await readerOf(source);
    try {
      return await runGetOnce(crm, reader, EMPRESA, id, afterAdmission ? { afterAdmission } : {}).then(
        () => {
          throw new Error(`expected the run of ${JSON.stringify(fields)} to fail`);
        },
        (err: unknown) => err,
      );
    } finally {
      await reader.close();
    }
  };

  const cases: Array<[string, Parameters<typeof seedGetIntegracao>[3], string, string]> = [
    [
      'a tipo_servico other than GET',
      { tipo_servico: 'SET' },
      'tipo_servico: esperado GET, encontrado SET',
      'tipo_servico: expected GET, found SET',
    ],
    [
      'no sql_consulta',
      { sql_consulta: null },
      'sql_consulta: esperado o SELECT que lê a origem, e está vazio',
      'sql_consulta: expected the SELECT that reads the source, found nothing',
    ],
    [
      'a campo_cursor that is no column name',
      { campo_cursor: 'DATALT; --' },
      'campo_cursor: esperado um nome de coluna (letras, dígitos e _), encontrado "DATALT; --"',
      'campo_cursor: expected a column name (letters, digits, _), found "DATALT; --"',
    ],
    [
      'an unknown modo',
      { modo: 'diario' },
      'modo: esperado completo ou incremental, encontrado "diario"',
      'modo: expected completo or incremental, found "diario"',
    ],
    [
      'modo incremental without campo_cursor',
      { modo: 'incremental', campo_cursor: null },
      'campo_cursor: o modo incremental precisa da coluna de cursor (ex.: DATALT)',
      'campo_cursor: modo incremental needs the cursor column (e.g. DATALT)',
    ],
    [
      'a chave that is no list of names',
      { chave: 'id erp' },
      'chave: esperado nomes de colunas do CRM separados por vírgula, encontrado "id erp"',
      'chave: expected CRM column names separated by commas, found "id erp"',
    ],
    [
      'no tabela nor templates',
      { tabela: null },
      `tabela: esperado a tabela do CRM que recebe o upsert (uma de ${TABLES}) ou sql_insert/sql_update`,
      `tabela: expected the CRM table to upsert into (one of ${TABLES}) or sql_insert/sql_update`,
    ],
    [
      'a tabela a GET may not write',
      { tabela: 'usuarios' },
      `tabela: "usuarios" não é uma tabela do CRM que um GET grava (esperado uma de ${TABLES})`,
      `tabela: "usuarios" is not a CRM table a GET may write (expected one of ${TABLES})`,
    ],
    [
      'negative reconciliacao_horas',
      { reconciliacao_horas: -1 },
      'reconciliacao_horas: esperado horas ≥ 0 ou NULL, encontrado -1',
      'reconciliacao_horas: expected hours ≥ 0 or NULL, found -1',
    ],
    [
      'a reconcile with templates',
      {
        reconciliacao_horas: 0,
        tabela: null,
        sql_insert: 'INSERT INTO contas (empresa_id, id_erp, nome) VALUES (#empresa_id#, #id_erp#, #nome#)',
      },
      'reconciliacao_horas: a reconciliação precisa do upsert embutido em tabela (sem sql_insert/sql_update)',
      'reconciliacao_horas: a reconcile needs the built-in upsert into tabela (without sql_insert/sql_update)',
    ],
    [
      'a tamanho_lote out of range',
      { tamanho_lote: 0 },
      'tamanho_lote: esperado de 1 a 50000 linhas por lote, encontrado 0',
      'tamanho_lote: expected rows per chunk from 1 to 50000, found 0',
    ],
    [
      'two selected columns naming one CRM column',
      // A full refresh reads sql_consulta as written (an incremental one wraps it in a subquery, which may rename a repeat).
      { modo: 'completo', campo_cursor: null, sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS NOME FROM E085CLI' },
      'sql_consulta: seleciona "nome" e "NOME", que dão nome à mesma coluna do CRM',
      'sql_consulta: selects "nome" and "NOME", which name the same CRM column',
    ],
    [
      'a column the engine writes itself',
      { sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS empresa_id, DATALT FROM E085CLI' },
      'sql_consulta: a coluna "empresa_id" é gravada pelo próprio Integrador (id, empresa_id, empresa_filial_id, origem_integracao_id, origem_geracao, removido_origem_em, atualizado_em); remova-a',
      'sql_consulta: column "empresa_id" is written by the engine itself (id, empresa_id, empresa_filial_id, origem_integracao_id, origem_geracao, removido_origem_em, atualizado_em); remove it',
    ],
    [
      'the key column not selected',
      { sql_consulta: 'SELECT NOMCLI AS nome, DATALT FROM E085CLI' },
      'chave: a coluna de chave "id_erp" não está entre as colunas do sql_consulta (nome, DATALT)',
      'chave: key column "id_erp" is not among the columns of sql_consulta (nome, DATALT)',
    ],
  ];

  it.each(cases)('%s', async (_name, fields, pt, en) => {
    const failure = await failureOf(fields);
    expect(readBack(failure, 'pt-BR')).toBe(`${PT}${pt}`);
    expect(readBack(failure, 'en')).toBe(`${EN}${en}`);
  });

  // A key the CRM table cannot upsert by is a lint error admission refuses (a worker's admission fails a queued job so):
  // the failure reads as the lint's finding, its row, column and code named.
  it.each([
    [
      'a chave that is no column of the table',
      'codigo_erp',
      'GET_KEY_NOT_A_COLUMN',
      'a chave "codigo_erp" não é uma coluna de contas: cada execução é recusada; esperado uma coluna de contas (ex.: id_erp)',
      'chave "codigo_erp" is not a column of contas: every run is refused; expected a column of contas (e.g. id_erp)',
    ],
    [
      'a chave without a unique index',
      'cnpj',
      'GET_KEY_NOT_UNIQUE',
      'contas não tem índice único em (empresa_id, cnpj): o upsert do GET não casa os registros pela chave (PostgreSQL e SQLite recusam o ON CONFLICT, o MariaDB duplicaria as linhas), por isso cada execução é recusada; crie o índice (CREATE UNIQUE INDEX … ON contas (empresa_id, cnpj)) ou use a chave id_erp',
      "contas has no unique index on (empresa_id, cnpj): the GET's upsert cannot match records by the key (PostgreSQL and SQLite refuse the ON CONFLICT, MariaDB would duplicate rows), so every run is refused; create the index (CREATE UNIQUE INDEX … ON contas (empresa_id, cnpj)) or use chave id_erp",
    ],
  ])('%s: refused by admission, worded as the lint finds it', async (_name, chave, codigo, pt, en) => {
    const failure = await failureOf({ chave });
    expect(failure).toBeInstanceOf(RunRefusedError);
    const id = (failure as RunRefusedError).params.id;
    expect(readBack(failure, 'pt-BR')).toBe(`${PT}integracao #${id} coluna chave: ${pt} [${codigo}]`);
    expect(readBack(failure, 'en')).toBe(`${EN}integracao #${id} column chave: ${en} [${codigo}]`);
  });

  it("a key's unique index dropped after admission: the run's own check, in the catalogue's words", async () => {
    await sql`CREATE UNIQUE INDEX contas_cnpj_test ON contas (empresa_id, cnpj)`.execute(crm.db);
    const failure = await failureOf({ chave: 'cnpj' }, () => sql`DROP INDEX contas_cnpj_test`.execute(crm.db));
    expect(failure).toBeInstanceOf(GetConfigError);
    expect(readBack(failure, 'pt-BR')).toBe(`${PT}chave: contas não tem índice único em (empresa_id, cnpj); crie um ou use a chave id_erp`);
    expect(readBack(failure, 'en')).toBe(`${EN}chave: contas has no unique index on (empresa_id, cnpj); create one or use chave id_erp`);
  });

  it('a selected column the CRM table lacks: the table and its columns named, in each language', async () => {
    const failure = await failureOf({ sql_consulta: 'SELECT CODCLI AS id_erp, NOMCLI AS nome_cliente, DATALT FROM E085CLI' });
    const pt = readBack(failure, 'pt-BR');
    const en = readBack(failure, 'en');
    expect(pt).toMatch(
      /^a integração GET está mal configurada: sql_consulta: a coluna "nome_cliente" não existe em contas \(use como alias uma de: .*\bnome\b.*\)$/,
    );
    expect(en).toMatch(
      /^the GET integration is misconfigured: sql_consulta: column "nome_cliente" does not exist in contas \(alias it to one of: .*\bnome\b.*\)$/,
    );
  });

  it("a campo_cursor the source does not have: the source's own words as the detail", async () => {
    const failure = await failureOf({ campo_cursor: 'DATA_ALTERACAO' });
    const pt = readBack(failure, 'pt-BR');
    const en = readBack(failure, 'en');
    expect(pt).toMatch(
      /^a integração GET está mal configurada: campo_cursor: "DATA_ALTERACAO" não está entre as colunas do sql_consulta \(a origem diz: .*DATA_ALTERACAO.*\)$/,
    );
    expect(en).toMatch(
      /^the GET integration is misconfigured: campo_cursor: "DATA_ALTERACAO" is not among the columns of sql_consulta \(the source says: .*DATA_ALTERACAO.*\)$/,
    );
  });

  it('a tabela the CRM database does not have', async () => {
    await sql`DROP TABLE cidades`.execute(crm.db);
    const failure = await failureOf({ tabela: 'cidades' });
    expect(readBack(failure, 'pt-BR')).toBe(`${PT}tabela: a tabela "cidades" não existe no banco do CRM`);
    expect(readBack(failure, 'en')).toBe(`${EN}tabela: the CRM table "cidades" does not exist`);
  });

  it('a connection that is no database', async () => {
    const connections = parseConnections(
      'connections:\n  erp_ws:\n    tipo: webservice\n    baseUrl: https://erp.example.com\n    user: u\n    password: p\n',
      'yaml',
      {},
      'test',
    );
    const ws = connections.get('erp_ws');
    if (!ws) throw new Error('expected the erp_ws connection');
    const factory = createSourceReaderFactory();
    try {
      const failure = await factory.withReader(ws, async () => 'read').catch((err: unknown) => err);
      expect(readBack(failure, 'pt-BR')).toBe(
        `${PT}a conexão "erp_ws" é do tipo webservice; um GET lê um banco de dados (tipo database no arquivo de conexões)`,
      );
      expect(readBack(failure, 'en')).toBe(
        `${EN}conexao "erp_ws" is a webservice connection; a GET pull reads a database (tipo database in the connections file)`,
      );
    } finally {
      await factory.close();
    }
  });

  it('no conexao_integracao_id: its own code (MISSING_CONNECTION), worded whole the same way', async () => {
    const failure = await failureOf({ conexao_integracao_id: null });
    expect(failure).toBeInstanceOf(GetConfigError);
    const { code, params, message } = failure as GetConfigError;
    expect(code).toBe('MISSING_CONNECTION');
    expect(failureText('pt-BR', code, params, message)).toBe(
      'a integração não tem conexão configurada (conexao_integracao): conexao_integracao_id: esperado a linha de conexao_integracao da origem do ERP a ler, e está vazio',
    );
    expect(failureText('en', code, params, message)).toBe(
      'the integration has no connection configured (conexao_integracao): conexao_integracao_id: expected the conexao_integracao row of the ERP source to read, found NULL',
    );
  });

  it('a record written before the problem was kept reads as before: the reason, then the message', () => {
    const message = 'integracao #5 (GET-X) modo: expected completo or incremental, found "diario"';
    expect(failureText('pt-BR', 'GET_CONFIG', null, message)).toBe(`${PT}${message}`);
    expect(failureText('pt-BR', 'GET_CONFIG', { problema: 'MODE_UNKNOWN' }, message)).toBe(`${PT}${message}`);
  });
});
