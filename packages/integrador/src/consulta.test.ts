import { ConsultaError, consultaColumnReferences, parseConsulta, selectedColumns } from './consulta';

function consultaError(text: string): ConsultaError | undefined {
  try {
    parseConsulta(text);
  } catch (error) {
    if (error instanceof ConsultaError) return error;
    throw error;
  }
  return undefined;
}

describe('parseConsulta', () => {
  it('returns the SQL of a JSON-SQL document', () => {
    expect(parseConsulta('{"consulta":"SELECT c.id FROM contas AS c WHERE c.id = #contaId#"}')).toEqual({
      sql: 'SELECT c.id FROM contas AS c WHERE c.id = #contaId#',
    });
  });

  it('reads the manual’s typographic quotes as straight ones, and names them when the document is broken anyway', () => {
    expect(parseConsulta('{\u201Cconsulta\u201D:\u201CSELECT c.id FROM contas AS c\u201D}')).toEqual({
      sql: 'SELECT c.id FROM contas AS c',
    });
    // Valid JSON keeps typographic quotes inside its strings.
    expect(parseConsulta('{"consulta":"SELECT \u201Cx\u201D"}')).toEqual({ sql: 'SELECT \u201Cx\u201D' });
    const error = consultaError('{\u201Cconsulta\u201D:\u201CSELECT c.id FROM contas AS c\u201D');
    expect(error?.code).toBe('TYPOGRAPHIC_QUOTES');
    expect(error?.message).toMatch(/typographic quotes \(aspas tipográficas\) \u201C at position 1/);
  });

  it('reports malformed JSON and a document without a consulta string', () => {
    expect(consultaError('{"consulta": "SELECT 1"')?.code).toBe('MALFORMED_JSON');
    expect(consultaError('SELECT 1')?.message).toMatch(/expected \{"consulta": "SELECT \.\.\."\}/);
    expect(consultaError('{"query": "SELECT 1"}')?.code).toBe('MISSING_CONSULTA');
    expect(consultaError('{"consulta": "  "}')?.code).toBe('MISSING_CONSULTA');
    expect(consultaError('["SELECT 1"]')?.message).toMatch(/found \["SELECT 1"\]/);
  });
});

describe('selectedColumns', () => {
  it('names qualified columns by their last part and aliases by the alias', () => {
    expect(selectedColumns('SELECT c.id_erp, c.nome AS razao, fantasia, c.* , * FROM contas AS c WHERE c.id = #contaId#')).toEqual([
      'id_erp',
      'razao',
      'fantasia',
    ]);
  });

  it('reads implicit aliases, quoted names and skips unnamed expressions', () => {
    const sql = `SELECT DISTINCT COALESCE(c.fax, c.telefone) contato, "c"."Quoted", \`tipo\` AS \`kind\`, CASE WHEN a THEN 1 ELSE 0 END flag,
      COUNT(*), a + b, 'x' AS 'lit', (SELECT 1 FROM y) sub FROM contas c`;
    expect(selectedColumns(sql)).toEqual(['contato', 'Quoted', 'kind', 'flag', 'lit', 'sub']);
  });

  it('uses the outer SELECT of a query with a CTE, and stops at the first clause after the list', () => {
    expect(selectedColumns('WITH x AS (SELECT a FROM t) SELECT x.a AS b FROM x UNION SELECT z FROM w')).toEqual(['b']);
    expect(selectedColumns('SELECT 1 AS one, #contaId# AS conta_id')).toEqual(['one', 'conta_id']);
    expect(selectedColumns('UPDATE contas SET a = 1')).toEqual([]);
  });

  it('lists every column of the seed SET-WS-CONTAS consulta', () => {
    const { sql } = parseConsulta(SEED_CONSULTA);
    expect(selectedColumns(sql)).toHaveLength(28);
    expect(selectedColumns(sql).slice(0, 3)).toEqual(['id_erp', 'fax', 'email_geral']);
  });
});

const SEED_CONSULTA =
  '{"consulta":"SELECT c.id_erp, c.fax, c.email_geral, c.email_financeiro, c.cadastro_timestamp, c.cliente_desde, c.status, c.representante_id, c.id, c.tipo_conta, c.tipo_pessoa, c.cidade_id, c.celular, c.telefone, c.telefone2, c.telefone3, c.nome, c.fantasia, c.cnpj, c.cpf, c.ramo_atividade_id, c.inscricao, c.inscricao_municipal, c.endereco, c.complemento, c.numero, c.cep, c.bairro FROM contas AS c WHERE c.id = #contaId#"}';

describe('consultaColumnReferences', () => {
  const refs = (sql: string) => consultaColumnReferences(sql).map((r) => `${r.table}.${r.column}`);

  it('ties alias.column to the table the alias names, anywhere in the statement', () => {
    expect(refs('SELECT c.id_erp, c.nome FROM contas AS c WHERE c.id = #contaId#')).toEqual(['contas.id_erp', 'contas.nome', 'contas.id']);
    expect(refs('SELECT c.nome, ci.nome AS cidade FROM contas c LEFT JOIN cidades ci ON ci.id = c.cidade_id WHERE contas.id = 1')).toEqual([
      'contas.nome',
      'cidades.nome',
      'cidades.id',
      'contas.cidade_id',
      'contas.id',
    ]);
    expect(refs('SELECT "c"."Nome" FROM public.contas "c"')).toEqual(['contas.Nome']);
    expect(refs('SELECT a.x, b.y FROM contas a, cidades b')).toEqual(['contas.x', 'cidades.y']);
  });

  it('reads bare select-list columns only in a plain one-table SELECT', () => {
    expect(refs('SELECT id, nome AS n, fantasia f, NULL AS z, 1, #x# AS w FROM contas WHERE id = #contaId#')).toEqual([
      'contas.id',
      'contas.nome',
      'contas.fantasia',
    ]);
    expect(refs('SELECT nome FROM contas c JOIN cidades ci ON ci.id = c.cidade_id')).toEqual(['cidades.id', 'contas.cidade_id']);
    expect(refs('SELECT nome FROM (SELECT c.nome FROM contas c) s')).toEqual(['contas.nome']);
    expect(refs('WITH x AS (SELECT c.nome FROM contas c) SELECT nome FROM x')).toEqual(['contas.nome']);
  });

  it('leaves out what it cannot tie to a table: FROM inside a function, CTE names, an alias of two tables, schema.function()', () => {
    expect(refs('SELECT EXTRACT(YEAR FROM c.cliente_desde) AS ano, TRIM(BOTH FROM c.nome) FROM contas c')).toEqual([
      'contas.cliente_desde',
      'contas.nome',
    ]);
    expect(refs('WITH x AS (SELECT 1 AS a) SELECT x.a FROM x')).toEqual([]);
    expect(refs('SELECT t.a FROM contas t WHERE EXISTS (SELECT 1 FROM cidades t WHERE t.b = 1)')).toEqual([]);
    expect(refs('SELECT pg_catalog.upper(c.nome) FROM contas c')).toEqual(['contas.nome']);
  });
});
