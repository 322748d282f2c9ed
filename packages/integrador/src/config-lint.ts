import { shownUrl } from '@integrador/connections';
import type { CampoIntegracao, ConexaoIntegracao, Integracao, IntegradorConfiguration, Regra } from '@integrador/store';
import { isReceptorTable } from '@integrador/transports';
import {
  CONNECTION_KIND_ALIASES,
  type ConnectionKind,
  connectionOpenTo,
  type KnownConnections,
  normalizeConnectionKind,
} from './connection-kind';
import { consultaOf, selectedColumns } from './consulta';
import { lintConsultaColumns, lintDependencyConsultaColumns, lintSetRecordIdentity, nearestVariable } from './consulta-lint';
import { collectDependencyEdges, type DependencyRow, describeCycle, findCycles } from './dependency-graph';
import { isGetSource } from './get/get-settings';
import { type CrmTableColumns, GET_ENGINE_VARIABLES, lintCron, lintGet } from './get-lint';
import { jsonKeys, jsonStringLeaves, parseJsonText } from './json-text';
import { type LintFinding, type LintMessage, type LintSeverity, nameList, sortFindings } from './lint-finding';
import { knownRuleTypes, ruleProblem } from './rules';
import { type NotRunnableReason, notRunnable } from './run-plan';
import { runnability, SERVICE_TYPES } from './runs/runnability';
import { ENGINE_VARIABLES } from './runs/tenant-scope';
import { linkTemplatesHost, linkVariables } from './set/link-template';
import { extractVariables } from './template';
import { upstreamNames } from './upstream-names';

interface Place {
  table: string;
  rowId: number;
  column: string;
  integracao: Pick<Integracao, 'id' | 'nome'> | null;
}

type Report = (place: Place, code: string, message: LintMessage, severity?: LintSeverity) => void;

interface Context {
  configuration: IntegradorConfiguration;
  connections: KnownConnections;
  integracoes: ReadonlyMap<number, Integracao>;
  report: Report;
  crmTables: CrmTableColumns | undefined;
  /** The empresa the lint is bound to (its rows only were loaded); null for every empresa (the operator's view). */
  empresaId: number | null;
}

/** A named set of variable names, as the messages list it. */
interface Source {
  label: LintMessage;
  names: string[];
}

const list = (text: string | null) =>
  (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/** What else the lint may check against: the CRM tables' columns (GET upserts, SET/INFO consultas), read from the database. */
export interface LintOptions {
  crmTables?: CrmTableColumns;
  /** The empresa whose configuration this is (its rows only): hints then name only what it may use. */
  empresaId?: number | null;
}

/** Checks the Integrador configuration tables against each other and the connections file; every finding names its row and column. */
export function lintConfiguration(
  configuration: IntegradorConfiguration,
  connections: KnownConnections,
  options: LintOptions = {},
): LintFinding[] {
  const findings: LintFinding[] = [];
  const report: Report = (place, code, message, severity = 'error') =>
    findings.push({
      code,
      severity,
      integracaoId: place.integracao?.id ?? null,
      integracaoNome: place.integracao?.nome ?? null,
      table: place.table,
      rowId: place.rowId,
      column: place.column,
      message,
    });
  const context: Context = {
    configuration,
    connections,
    integracoes: new Map(configuration.integracoes.map((row) => [row.id, row])),
    report,
    crmTables: options.crmTables,
    empresaId: options.empresaId ?? null,
  };
  for (const conexao of configuration.conexoes) lintConexao(context, conexao);
  for (const integracao of configuration.integracoes) lintIntegracao(context, integracao);
  lintDependencyColumns(context);
  lintPrerequisites(context);
  lintChildRows(context);
  return sortFindings(findings);
}

/**
 * The lint errors of a SET row that fail each of its runs, because the engine refuses the same thing when it runs:
 * compileRules (INVALID_RULE), parseCampo and the regras' parametros (a JSON that does not parse), parseConsulta (a
 * JSON consulta that does not parse or holds no SQL), fillLink (LINK_TEMPLATES_HOST), resolveSetTarget (a SOAP row
 * without porta_ws, or with #vars# in its link), the database receptor (DATABASE_RECEPTOR_LINK) and the consulta's
 * own statement (CONSULTA_UNKNOWN_COLUMN: a column its CRM table lacks fails the read that starts every run, before
 * any record; a dependencia's consulta is left out: it runs per record, so a run with no record passes). The other
 * errors may still let a run pass: an undeclared #var# (UNPROVIDED_VARIABLE) a caller passes anyway as a parameter, a
 * name only the worker's connections file has.
 */
const SET_RUN_FAILURES: ReadonlySet<string> = new Set([
  'INVALID_RULE',
  'MALFORMED_JSON',
  'TYPOGRAPHIC_QUOTES',
  'INVALID_CONSULTA',
  'LINK_TEMPLATES_HOST',
  'MISSING_PORTA_WS',
  'SOAP_LINK_VARIABLES',
  'DATABASE_RECEPTOR_LINK',
  'CONSULTA_UNKNOWN_COLUMN',
]);
/**
 * The lint errors of a GET row that fail each of its runs beyond its settings (parseGetSettings, admission's GET_CONFIG
 * of the catalogue): the built-in upsert's key against the CRM table (crmTableOf's upsertKeyProblem, before anything is
 * read) and a connection that is no database (the source readers' isGetSource).
 */
const GET_RUN_FAILURES: ReadonlySet<string> = new Set(['GET_KEY_NOT_UNIQUE', 'GET_KEY_NOT_A_COLUMN', 'GET_CONNECTION_NOT_DATABASE']);
/** Decided by the connection's kind: certain only when the connections file (what runs go by) has the connection. */
const BY_CONNECTION_KIND: ReadonlySet<string> = new Set([
  'MISSING_PORTA_WS',
  'SOAP_LINK_VARIABLES',
  'DATABASE_RECEPTOR_LINK',
  'GET_CONNECTION_NOT_DATABASE',
]);

/**
 * The lint errors every run of these SET and GET integracoes would fail on (SET_RUN_FAILURES, GET_RUN_FAILURES), found
 * by the lint itself, so that admission refuses exactly what `config lint` calls an error and a run cannot get past.
 * Warnings never count. The checks against the CRM's tables (a consulta's columns, a GET key's index) need `crmTables`.
 */
export function runFailures(
  configuration: IntegradorConfiguration,
  connections: KnownConnections | undefined,
  integracaoIds: readonly number[],
  crmTables?: CrmTableColumns,
): LintFinding[] {
  const ids = new Set(integracaoIds);
  const rows = new Map(configuration.integracoes.map((row) => [row.id, row]));
  const inFile = (row: Integracao) => {
    const conexao = configuration.conexoes.find((c) => c.id === row.conexao_integracao_id);
    const known = conexao === undefined ? undefined : connections?.get(conexao.nome_conexao);
    return known !== undefined && (row.empresa_id === null || connectionOpenTo(known, row.empresa_id));
  };
  const options = crmTables ? { crmTables } : {};
  return lintConfiguration(configuration, connections ?? new Map(), options).filter((finding) => {
    const row = finding.integracaoId === null ? undefined : rows.get(finding.integracaoId);
    if (!row || !ids.has(row.id) || finding.severity !== 'error') return false;
    const tipo = runnability(row).tipo;
    const certain = tipo === 'SET' ? SET_RUN_FAILURES : tipo === 'GET' ? GET_RUN_FAILURES : undefined;
    if (!certain?.has(finding.code)) return false;
    if (BY_CONNECTION_KIND.has(finding.code)) return inFile(row);
    if (finding.code === 'CONSULTA_UNKNOWN_COLUMN') return finding.table === 'integracao';
    // A consulta that is no JSON document runs as plain SQL (consultaSql): only a JSON one that breaks fails its runs.
    if (finding.table === 'integracao' && finding.column === 'consulta') return (row.consulta ?? '').trim().startsWith('{');
    return true;
  });
}

/** The file's connections an empresa may use (null: every one, the operator's view of a shared row). */
function usableNames(connections: KnownConnections, empresaId: number | null): string[] {
  return [...connections].flatMap(([name, c]) => (empresaId === null || connectionOpenTo(c, empresaId) ? [name] : []));
}

/** A connection of the file restricted to another empresa than the one whose row names it (another tenant's id only in the operator's view). */
function reportForeignConnection(context: Context, place: Place, name: string, empresaId: number): void {
  const restrictedTo = context.connections.get(name)?.empresaId;
  const names = nameList(usableNames(context.connections, empresaId), '—');
  const other = context.empresaId === null && restrictedTo !== undefined ? ` (${restrictedTo})` : '';
  context.report(place, 'FOREIGN_CONNECTION', {
    'pt-BR': `a conexão "${name}" do arquivo de conexões é restrita a outra empresa${other}; a empresa ${empresaId} não pode usá-la (esperado um de: ${names})`,
    en: `connection "${name}" of the connections file is restricted to another empresa${other}; empresa ${empresaId} may not use it (expected one of: ${names})`,
  });
}

function lintConexao(context: Context, conexao: ConexaoIntegracao): void {
  const { connections, report } = context;
  const place = (column: string): Place => ({ table: 'conexao_integracao', rowId: conexao.id, column, integracao: null });
  // Whose row it is: its empresa, or for a shared row the empresa the lint is bound to (null: any, checked per integracao).
  const owner = conexao.empresa_id ?? context.empresaId;
  const found = connections.get(conexao.nome_conexao);
  if (found && owner !== null && !connectionOpenTo(found, owner))
    reportForeignConnection(context, place('nome_conexao'), conexao.nome_conexao, owner);
  // Another empresa's connection is not this row's: no kind is compared (nor told).
  const known = found && (owner === null || connectionOpenTo(found, owner)) ? found : undefined;
  const names = nameList(usableNames(connections, owner), '—');
  if (!found)
    report(place('nome_conexao'), 'UNKNOWN_CONNECTION', {
      'pt-BR': `a conexão "${conexao.nome_conexao}" não está no arquivo de conexões (esperado um de: ${names})`,
      en: `connection "${conexao.nome_conexao}" is not in the connections file (expected one of: ${names})`,
    });
  const kind = normalizeConnectionKind(conexao.tipo_conexao);
  const aliases = CONNECTION_KIND_ALIASES.join(', ');
  // The connections file's `tipo` decides how a run connects (it holds the address and the secrets); tipo_conexao only
  // describes the row: an unknown or contradicting one is a warning, the run goes by the file — lint and run agree.
  if (kind === null)
    report(
      place('tipo_conexao'),
      'UNKNOWN_CONNECTION_TYPE',
      {
        'pt-BR': `tipo_conexao "${conexao.tipo_conexao}" desconhecido (esperado um de: ${aliases}); a execução usa o tipo do arquivo de conexões`,
        en: `unknown tipo_conexao "${conexao.tipo_conexao}" (expected one of: ${aliases}); runs use the connections file's tipo`,
      },
      'warning',
    );
  else if (known && known.kind !== kind)
    report(
      place('tipo_conexao'),
      'CONNECTION_TYPE_MISMATCH',
      {
        'pt-BR': `tipo_conexao "${conexao.tipo_conexao}" (${kind}) não confere com o arquivo de conexões, onde "${conexao.nome_conexao}" é ${known.kind}; a execução usa o tipo do arquivo (${known.kind})`,
        en: `tipo_conexao "${conexao.tipo_conexao}" (${kind}) does not match the connections file, where "${conexao.nome_conexao}" is ${known.kind}; runs use the file's tipo (${known.kind})`,
      },
      'warning',
    );
}

function lintIntegracao(context: Context, integracao: Integracao): void {
  const { report } = context;
  const place = (column: string): Place => ({ table: 'integracao', rowId: integracao.id, column, integracao });
  // Read as runs read it (runnability: trimmed, any case): ' get ' is a GET.
  if (!SERVICE_TYPES.includes(runnability(integracao).tipo))
    report(place('tipo_servico'), 'UNKNOWN_SERVICE_TYPE', {
      'pt-BR': `tipo_servico "${integracao.tipo_servico}" desconhecido (esperado SET, GET ou INFO)`,
      en: `unknown tipo_servico "${integracao.tipo_servico}" (expected SET, GET or INFO)`,
    });
  lintConnectionReference(context, integracao);
  for (const column of ['indice_erro_retorno', 'indice_valor_retorno'] as const) {
    const value = integracao[column];
    if (value !== null && /\s/.test(value))
      report(place(column), 'SPACE_IN_INDEX_LIST', {
        'pt-BR': `"${value}" tem espaços; os índices devem ser separados só por vírgula, sem espaçamento (ex.: ${value.replace(/\s+/g, '')})`,
        en: `"${value}" has spaces; indexes must be separated by commas only, without spacing (e.g. ${value.replace(/\s+/g, '')})`,
      });
  }
  const sql = consultaSql(context, integracao);
  lintVariables(context, integracao, sql);
  lintConsultaColumns(integracao, (code, message) => report(place('consulta'), code, message), context.crmTables);
  if (!isComponent(integracao))
    lintSetRecordIdentity(integracao, sql, (code, message) => report(place('consulta'), code, message, 'warning'));
  const onRow = (column: string, code: string, message: LintMessage, severity?: LintSeverity) =>
    report(place(column), code, message, severity);
  lintCron(integracao, onRow);
  lintGet(integracao, onRow, context.crmTables);
}

function isComponent(integracao: Integracao): boolean {
  return integracao.link?.trim().toLowerCase() === 'componente';
}

function lintConnectionReference(context: Context, integracao: Integracao): void {
  const { configuration, report } = context;
  const place: Place = { table: 'integracao', rowId: integracao.id, column: 'conexao_integracao_id', integracao };
  const id = integracao.conexao_integracao_id;
  if (id === null) {
    if (!isComponent(integracao) && SERVICE_TYPES.includes(runnability(integracao).tipo))
      report(place, 'MISSING_CONNECTION', {
        'pt-BR': `integração ${integracao.tipo_servico} sem conexão: esperado um id de conexao_integracao (só link 'componente' dispensa), encontrado NULL`,
        en: `${integracao.tipo_servico} integration without a connection: expected a conexao_integracao id (only link 'componente' may omit it), found NULL`,
      });
    return;
  }
  const conexao = configuration.conexoes.find((row) => row.id === id);
  // A conexao_integracao row with an empresa_id belongs to that empresa only; NULL means shared.
  const foreign = conexao !== undefined && conexao.empresa_id !== null && conexao.empresa_id !== integracao.empresa_id;
  const kind = conexao && !foreign ? runKind(context, conexao, integracao) : null;
  const webService = kind?.kind === 'webservice';
  if (conexao && kind && !isComponent(integracao)) lintConnectionKind(context, integracao, conexao, place, kind);
  if (
    webService &&
    !isComponent(integracao) &&
    ['SET', 'INFO'].includes(integracao.tipo_servico.trim().toUpperCase()) &&
    !integracao.porta_ws?.trim()
  )
    report({ ...place, column: 'porta_ws' }, 'MISSING_PORTA_WS', {
      'pt-BR': 'integração via web service sem porta_ws: esperado o método SOAP a chamar (ex.: GravarClientes), encontrado vazio',
      en: 'web service integration without porta_ws: expected the SOAP operation to call (e.g. GravarClientes), found none',
    });
  // A SOAP link is the WSDL's address: a #var# there would load a WSDL (and churn the shared client cache) per record.
  if (webService && linkVariables(integracao.link).length > 0)
    report({ ...place, column: 'link' }, 'SOAP_LINK_VARIABLES', {
      'pt-BR': `integração via web service com #variável# no link: o link de SOAP é o endereço do WSDL e não varia por registro; esperado um link fixo (os valores vão no envelope, pelos campos)`,
      en: `web service integration with a #variable# in its link: a SOAP link is the WSDL's address and does not vary per record; expected a fixed link (values go in the envelope, through the campos)`,
    });
  // A shared row in the operator's view: whether this integracao's empresa may use the connection it names.
  const shared = conexao?.empresa_id === null && context.empresaId === null ? conexao : undefined;
  const named = shared ? context.connections.get(shared.nome_conexao) : undefined;
  if (shared && named && integracao.empresa_id !== null && !connectionOpenTo(named, integracao.empresa_id))
    reportForeignConnection(context, place, shared.nome_conexao, integracao.empresa_id);
  if (!conexao && context.empresaId !== null)
    report(place, 'DANGLING_CONNECTION', {
      'pt-BR': `conexao_integracao #${id} não é uma linha desta empresa nem compartilhada; esperado uma conexão da empresa ${integracao.empresa_id} ou compartilhada`,
      en: `conexao_integracao #${id} is not a row of this empresa nor a shared one; expected a connection of empresa ${integracao.empresa_id} or a shared one`,
    });
  else if (!conexao || foreign)
    report(place, 'DANGLING_CONNECTION', {
      'pt-BR': foreign
        ? `conexao_integracao #${id} pertence a outra empresa (${conexao?.empresa_id}); esperado uma conexão da empresa ${integracao.empresa_id} ou compartilhada`
        : `conexao_integracao #${id} não existe (esperado o id de uma linha de conexao_integracao)`,
      en: foreign
        ? `conexao_integracao #${id} belongs to another empresa (${conexao?.empresa_id}); expected a connection of empresa ${integracao.empresa_id} or a shared one`
        : `conexao_integracao #${id} does not exist (expected the id of a conexao_integracao row)`,
    });
}

/** The kind a run of the integracao connects with: the connections file's `tipo` (runs go by it), else tipo_conexao's. */
interface RunKind {
  kind: ConnectionKind;
  /** True when the connections file says it (a run certainly connects so); false when only tipo_conexao does. */
  fromFile: boolean;
}

function runKind(context: Context, conexao: ConexaoIntegracao, integracao: Integracao): RunKind | null {
  const found = context.connections.get(conexao.nome_conexao);
  if (found && (integracao.empresa_id === null || connectionOpenTo(found, integracao.empresa_id)))
    return { kind: found.kind, fromFile: true };
  const described = normalizeConnectionKind(conexao.tipo_conexao);
  return described === null ? null : { kind: described, fromFile: false };
}

/**
 * A connection of the wrong kind for the integracao: a GET reads sql_consulta from a database (isGetSource, the
 * source readers' rule), and a SET/INFO on a database connection inserts into the table its link names (isReceptorTable,
 * the database receptor's rule) — a web service's or an API's address there fails every push.
 */
function lintConnectionKind(
  context: Context,
  integracao: Integracao,
  conexao: ConexaoIntegracao,
  place: Place,
  { kind, fromFile }: RunKind,
): void {
  const nome = conexao.nome_conexao;
  const where = fromFile
    ? { 'pt-BR': 'no arquivo de conexões', en: 'in the connections file' }
    : { 'pt-BR': 'pelo tipo_conexao', en: 'by its tipo_conexao' };
  const tipo = runnability(integracao).tipo;
  if (tipo === 'GET' && !isGetSource({ kind }))
    context.report(place, 'GET_CONNECTION_NOT_DATABASE', {
      'pt-BR': `a integração GET ${integracao.nome} usa a conexão "${nome}", que é do tipo ${kind} ${where['pt-BR']}: um GET executa o sql_consulta num banco de dados, por isso cada execução é recusada; esperado uma conexão do tipo database`,
      en: `GET integration ${integracao.nome} uses connection "${nome}", which is a ${kind} connection ${where.en}: a GET runs sql_consulta on a database, so every run is refused; expected a database connection`,
    });
  const raw = integracao.link ?? '';
  // Quoted as every address is shown (a query's values ***): an API link may carry a token, and this text reaches
  // 422 SET_CONFIG answers and job failure records.
  const link = shownUrl(raw);
  if ((tipo === 'SET' || tipo === 'INFO') && kind === 'database' && !isReceptorTable(raw))
    context.report({ ...place, column: 'link' }, 'DATABASE_RECEPTOR_LINK', {
      'pt-BR': `a integração ${tipo} ${integracao.nome} usa a conexão "${nome}", que é do tipo database ${where['pt-BR']}: ela grava na tabela que o link nomeia, e o link "${link}" não é um nome de tabela (um endereço de web service ou de API não serve aqui), por isso cada envio é recusado; esperado o nome da tabela no link, ou uma conexão webservice/api`,
      en: `${tipo} integration ${integracao.nome} uses connection "${nome}", which is a database connection ${where.en}: it inserts into the table its link names, and link "${link}" is no table name (a web service's or an API's address does not fit here), so every push is refused; expected the table's name in link, or a webservice/api connection`,
    });
}

/** Parses a JSON column and reports why it is not JSON; returns undefined when it is not. */
function parseJsonColumn(report: Report, place: Place, text: string, expected: string): { value: unknown } | undefined {
  const parsed = parseJsonText(text);
  if (parsed.ok && parsed.straightened) {
    const { quote, position } = parsed.straightened;
    // Seed 001's example row as printed: it runs (the engine reads these quotes as straight ones), but a fix is cheap.
    report(
      place,
      'TYPOGRAPHIC_QUOTES',
      {
        'pt-BR': `o JSON tem aspas tipográficas ${quote} na posição ${position}; o Integrador as lê como aspas retas ", mas prefira aspas retas (esperado ${expected})`,
        en: `the JSON has typographic quotes ${quote} at position ${position}; the Integrador reads them as straight quotes ", but prefer straight quotes (expected ${expected})`,
      },
      'warning',
    );
  }
  if (parsed.ok) return { value: parsed.value };
  if (parsed.problem === 'typographic-quotes')
    report(place, 'TYPOGRAPHIC_QUOTES', {
      'pt-BR': `JSON inválido: tem aspas tipográficas ${parsed.quote} na posição ${parsed.position}; use aspas retas " (esperado ${expected})`,
      en: `invalid JSON: it has typographic quotes ${parsed.quote} at position ${parsed.position}; use straight quotes " (expected ${expected})`,
    });
  else
    report(place, 'MALFORMED_JSON', {
      'pt-BR': `JSON inválido (${parsed.detail}); esperado ${expected}`,
      en: `malformed JSON (${parsed.detail}); expected ${expected}`,
    });
  return undefined;
}

/** The SQL of integracao.consulta, reporting a document that is not {"consulta": "..."}; null when absent or broken. */
function consultaSql({ report }: Context, integracao: Integracao): string | null {
  if (integracao.consulta === null || integracao.consulta.trim() === '') return null;
  const place: Place = { table: 'integracao', rowId: integracao.id, column: 'consulta', integracao };
  const parsed = parseJsonColumn(report, place, integracao.consulta, '{"consulta": "SELECT ..."}');
  if (!parsed) return null;
  const sql = consultaOf(parsed.value);
  if (sql !== null) return sql;
  const found = JSON.stringify(parsed.value).slice(0, 60);
  report(place, 'INVALID_CONSULTA', {
    'pt-BR': `esperado um objeto JSON com a chave "consulta" contendo o SQL, encontrado ${found}`,
    en: `expected a JSON object whose "consulta" key holds the SQL, found ${found}`,
  });
  return null;
}

function source(pt: string, en: string, names: string[]): Source {
  return { label: { 'pt-BR': pt, en }, names };
}

/** Reports each #var# of a text that none of the sources provides ('undeclared': the row declares no parametros_obrigatorios). */
function checkProvided(
  report: Report,
  place: Place,
  text: string,
  sources: readonly Source[],
  severity: LintSeverity | 'undeclared' = 'error',
): void {
  const provided = new Set(sources.flatMap((s) => s.names));
  const expected = (locale: 'pt-BR' | 'en') =>
    sources.map((s) => `${s.label[locale]} (${nameList(s.names, locale === 'pt-BR' ? 'nenhum' : 'none')})`).join('; ');
  // A row that declares no parametros_obrigatorios (seed 001's own example) may take any #var# as a run parameter: an
  // unknown name is then only a warning — a run without it still fails before anything is sent, naming it.
  const undeclared = severity === 'undeclared';
  for (const variable of extractVariables(text)) {
    if (provided.has(variable)) continue;
    // The nearest name given (only the case differs, or a letter or two), as a misspelt column gets (trial L3).
    const guess = nearestVariable(variable, provided);
    report(
      place,
      'UNPROVIDED_VARIABLE',
      {
        'pt-BR': `a variável #${variable}# não é fornecida por nada${guess ? ` (quis dizer #${guess}#?)` : ''}; esperado um de: ${expected('pt-BR')}${undeclared ? '; sem parametros_obrigatorios, ela precisa vir nos parâmetros de cada execução' : ''}`,
        en: `variable #${variable}# is not provided by anything${guess ? ` (did you mean #${guess}#?)` : ''}; expected one of: ${expected('en')}${undeclared ? '; with no parametros_obrigatorios it must come in every run’s parameters' : ''}`,
      },
      severity === 'undeclared' ? 'warning' : severity,
    );
  }
}

/** Columns of integracoes linked to this one by dependente/depende_de: a component may use its parent's columns. */
function neighbourColumns(context: Context, integracao: Integracao): string[] {
  const { edges } = collectDependencyEdges(context.configuration.integracoes);
  const neighbours = edges.flatMap((e) => (e.before === integracao.id ? [e.after] : e.after === integracao.id ? [e.before] : []));
  // A component is built from each record of the integrations whose campo_crm names it ("#componente:NOME#").
  if (isComponent(integracao)) {
    const reference = `#componente:${integracao.nome.toLowerCase()}#`;
    for (const campo of context.configuration.campos)
      if (campo.campo_crm.toLowerCase().includes(reference)) neighbours.push(campo.integracao_id);
  }
  return neighbours.flatMap((id) => {
    const parsed = parseJsonText(context.integracoes.get(id)?.consulta ?? '');
    const sql = parsed.ok ? consultaOf(parsed.value) : null;
    return sql === null ? [] : selectedColumns(sql);
  });
}

interface VariableSources {
  params: Source;
  /** What the steps before it in its dependency flow hand down (upstream-names.ts). */
  upstream: Source;
  deps: Source;
  columns: Source;
  retorno: Source;
  originKeys: Source;
  sqlConsulta: Source;
  /** What a GET's fetched record offers; empty for other kinds. */
  record: Source[];
}

/** Where an integracao's #vars# may come from (seed 001: parameters, dependencias, consulta columns, return indexes). */
function variableSources(context: Context, integracao: Integracao, sql: string | null): VariableSources {
  const dependencias = context.configuration.dependencias.filter((row) => row.integracao_id === integracao.id);
  const campos = context.configuration.campos.filter((row) => row.integracao_id === integracao.id);
  const origins = dependencias.flatMap((row) =>
    row.integracao_origem_id === null ? [] : [context.integracoes.get(row.integracao_origem_id)],
  );
  const columns = source('colunas da consulta', 'columns of consulta', sql === null ? [] : selectedColumns(sql));
  const campoNames = source('campos do campo_crm', 'fields of campo_crm', campos.flatMap(campoFields));
  const upstream = [...new Set(upstreamNames(context.configuration.integracoes, integracao.id).map((u) => u.name))];
  return {
    params: source('parametros_obrigatorios', 'parametros_obrigatorios', list(integracao.parametros_obrigatorios)),
    upstream: source('valores das integrações anteriores no fluxo', 'values of the integrations before it in the flow', upstream),
    deps: source(
      'dependencias.variavel',
      'dependencias.variavel',
      dependencias.map((row) => row.variavel.trim().replace(/^#|#$/g, '')),
    ),
    columns,
    retorno: source('indice_valor_retorno', 'indice_valor_retorno', list(integracao.indice_valor_retorno)),
    originKeys: source(
      'indice_valor_retorno das integracao_origem',
      'indice_valor_retorno of the integracao_origem',
      origins.flatMap((row) => list(row?.indice_valor_retorno ?? null)),
    ),
    sqlConsulta: source('colunas do sql_consulta', 'columns of sql_consulta', selectedColumns(integracao.sql_consulta ?? '')),
    // A GET brings records from the other system: consulta's columns and the fields campo_crm maps are that record;
    // the engine adds #cursor#, #empresa_id#, #empresa_filial_id# and #integracao_id#.
    record:
      runnability(integracao).tipo === 'GET'
        ? [columns, campoNames, source('valores do Integrador', "the Integrador's values", GET_ENGINE_VARIABLES)]
        : [],
  };
}

function lintVariables(context: Context, integracao: Integracao, sql: string | null): void {
  const { configuration, report } = context;
  const place = (column: string): Place => ({ table: 'integracao', rowId: integracao.id, column, integracao });
  const { params, upstream, deps, columns, retorno, originKeys, sqlConsulta, record } = variableSources(context, integracao, sql);
  // #empresa_id# / #empresa_filial_id# are bound by the engine in every statement of a run, never a parameter.
  const engine = source('valores do Integrador', "the Integrador's values", [...ENGINE_VARIABLES]);
  // A row that declares no parametros_obrigatorios (seed 001's own example) may take any #var# as a run parameter: an
  // unknown name is then only a warning — a run without it still fails before anything is sent, naming it.
  const unknown = list(integracao.parametros_obrigatorios).length === 0 ? 'undeclared' : 'error';
  const check = (column: 'sql_consulta' | 'sql_insert' | 'sql_update', sources: Source[]) => {
    const text = integracao[column];
    if (text) checkProvided(report, place(column), text, [...new Set(sources)], unknown);
  };
  if (sql !== null && isComponent(integracao)) {
    // A component's values may come from a parent the configuration does not name, so it only warns.
    const linked = source('colunas das integrações ligadas', 'columns of linked integrations', neighbourColumns(context, integracao));
    checkProvided(report, place('consulta'), sql, [params, deps, linked], 'warning');
  } else if (sql !== null) checkProvided(report, place('consulta'), sql, [params, upstream, deps, engine], unknown);
  // In a flow the steps before it hand their values down to every statement of the run (runInputs, upstream-values.ts).
  check('sql_consulta', [params, upstream, deps, ...record]);
  check('sql_insert', [params, upstream, deps, sqlConsulta, ...record]);
  check('sql_update', [columns, retorno, params, upstream, deps, originKeys, sqlConsulta, engine, ...record]);
  // A #var# in link fills the request's path or query from the record, as campo_crm's do (set/link-template.ts).
  if (runnability(integracao).tipo !== 'GET' && integracao.link) {
    if (linkTemplatesHost(integracao.link))
      report(place('link'), 'LINK_TEMPLATES_HOST', {
        'pt-BR': `uma #variável# só pode preencher o caminho ou a query; esperado o link começar com "/" ou "?" depois do método (o host é o da conexão)`,
        en: `a #variable# may only fill the path or the query; expected the link to start with "/" or "?" after the method (the host is the connection's)`,
      });
    checkProvided(report, place('link'), integracao.link, [columns, params, upstream, deps, originKeys], unknown);
  }
  for (const campo of configuration.campos.filter((row) => row.integracao_id === integracao.id)) {
    const campoPlace: Place = { table: 'campos_integracao', rowId: campo.id, column: 'campo_crm', integracao };
    const parsed = parseJsonColumn(report, campoPlace, campo.campo_crm, '{"campo": "#variavel#"}');
    // The leaves are checked as one text so a variable used twice is reported once.
    if (parsed)
      checkProvided(report, campoPlace, jsonStringLeaves(parsed.value).join('\n'), [columns, params, upstream, deps, originKeys], unknown);
  }
}

/** Names a campo_crm maps: its keys and its plain (non-#var#) values. */
function campoFields(campo: CampoIntegracao): string[] {
  const parsed = parseJsonText(campo.campo_crm);
  if (!parsed.ok) return [];
  const plain = jsonStringLeaves(parsed.value).filter((leaf) => /^[A-Za-z_][A-Za-z0-9_.]*$/.test(leaf));
  return [...jsonKeys(parsed.value), ...plain];
}

function lintDependencyColumns({ configuration, integracoes, report }: Context): void {
  const rows: readonly DependencyRow[] = configuration.integracoes;
  const { edges, dangling } = collectDependencyEdges(rows);
  for (const d of dangling) {
    const place: Place = { table: 'integracao', rowId: d.rowId, column: d.column, integracao: integracoes.get(d.rowId) ?? null };
    const other = d.reason === 'other-empresa';
    report(place, 'DANGLING_DEPENDENCY', {
      'pt-BR': other
        ? `${d.column} aponta para a integracao #${d.missingId}, que é de outra empresa (${d.otherEmpresaId}); esperado uma integracao da mesma empresa`
        : `${d.column} aponta para a integracao #${d.missingId}, que não existe; esperado o id de uma integracao da mesma empresa`,
      en: other
        ? `${d.column} names integracao #${d.missingId}, which belongs to another empresa (${d.otherEmpresaId}); expected an integracao of the same empresa`
        : `${d.column} names integracao #${d.missingId}, which does not exist; expected the id of an integracao of the same empresa`,
    });
  }
  for (const cycle of findCycles(rows)) {
    const text = describeCycle(cycle, rows);
    const members = new Set(cycle.ids);
    const declared = edges.filter((e) => members.has(e.before) && members.has(e.after));
    const seen = new Set<string>();
    for (const edge of declared) {
      const key = `${edge.rowId}:${edge.column}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const place: Place = { table: 'integracao', rowId: edge.rowId, column: edge.column, integracao: integracoes.get(edge.rowId) ?? null };
      report(place, 'DEPENDENCY_CYCLE', {
        'pt-BR': `dependência circular entre as integrações ${text}; esperado que dependente/depende_de formem uma ordem sem ciclos`,
        en: `circular dependency between integracoes ${text}; expected dependente/depende_de to form an order without cycles`,
      });
    }
  }
}

/** campos_integracao, dependencias and regras: their integracao, origin and field references, dependencias.consulta columns, regras.parametros. */
function lintChildRows({ configuration, integracoes, report, crmTables }: Context): void {
  const campos = new Map(configuration.campos.map((row) => [row.id, row]));
  const children = [
    ...configuration.campos.map((row) => ({ table: 'campos_integracao', row, campoId: null })),
    ...configuration.dependencias.map((row) => ({ table: 'dependencias', row, campoId: row.campos_integracao_id })),
    ...configuration.regras.map((row) => ({ table: 'regras', row, campoId: row.campos_integracao_id })),
  ];
  for (const { table, row, campoId } of children) {
    const integracao = integracoes.get(row.integracao_id) ?? null;
    const place = (column: string): Place => ({ table, rowId: row.id, column, integracao });
    if (!integracao) {
      report(place('integracao_id'), 'ORPHAN_ROW', {
        'pt-BR': `integracao_id ${row.integracao_id} não aponta para nenhuma integracao; esperado o id de uma linha de integracao`,
        en: `integracao_id ${row.integracao_id} points to no integracao; expected the id of an integracao row`,
      });
      continue;
    }
    const campo = campoId === null ? undefined : campos.get(campoId);
    if (campoId !== null && campo?.integracao_id !== integracao.id)
      report(place('campos_integracao_id'), 'DANGLING_FIELD', {
        'pt-BR': `campos_integracao_id ${campoId} ${campo ? `é da integracao #${campo.integracao_id}` : 'não existe'}; esperado um campo da integracao #${integracao.id}`,
        en: `campos_integracao_id ${campoId} ${campo ? `belongs to integracao #${campo.integracao_id}` : 'does not exist'}; expected a field of integracao #${integracao.id}`,
      });
  }
  for (const dependencia of configuration.dependencias) {
    const integracao = integracoes.get(dependencia.integracao_id);
    const onConsulta = (code: string, message: LintMessage) =>
      report({ table: 'dependencias', rowId: dependencia.id, column: 'consulta', integracao: integracao ?? null }, code, message);
    lintDependencyConsultaColumns(dependencia, integracao, onConsulta, crmTables);
    const originId = dependencia.integracao_origem_id;
    if (!integracao || originId === null) continue;
    const origin = integracoes.get(originId);
    if (origin && origin.empresa_id === integracao.empresa_id) continue;
    report({ table: 'dependencias', rowId: dependencia.id, column: 'integracao_origem_id', integracao }, 'DANGLING_ORIGIN', {
      'pt-BR': `integracao_origem_id ${originId} ${origin ? 'é de outra empresa' : 'não existe'}; esperado uma integracao da empresa ${integracao.empresa_id}`,
      en: `integracao_origem_id ${originId} ${origin ? 'belongs to another empresa' : 'does not exist'}; expected an integracao of empresa ${integracao.empresa_id}`,
    });
  }
  for (const regra of configuration.regras) {
    const integracao = integracoes.get(regra.integracao_id);
    if (!integracao) continue;
    const place = (column: string): Place => ({ table: 'regras', rowId: regra.id, column, integracao });
    const hasParametros = regra.parametros !== null && regra.parametros.trim() !== '';
    if (hasParametros && !parseJsonColumn(report, place('parametros'), regra.parametros ?? '', '{"...": ...}')) continue;
    lintRule(report, place, regra);
  }
}

const RULE_PROBLEM_COLUMNS = { UNKNOWN_RULE: 'tipo', INVALID_CAMPO: 'campo', INVALID_PARAMETERS: 'parametros' } as const;

/** What the rule engine would refuse when the run applies this regra (the engine's own check, so lint and runs agree). */
function lintRule(report: Report, place: (column: string) => Place, regra: Regra): void {
  const problem = ruleProblem(regra);
  if (!problem) return;
  const column = RULE_PROBLEM_COLUMNS[problem.code];
  // An unknown tipo is worded whole in each language; the other problems quote the engine's text in the same language.
  if (problem.code === 'UNKNOWN_RULE') {
    report(place(column), 'INVALID_RULE', {
      'pt-BR': `tipo "${regra.tipo}" de regra desconhecido; esperado um de: ${knownRuleTypes()}`,
      en: `unknown regra tipo "${regra.tipo}"; expected one of: ${knownRuleTypes()}`,
    });
    return;
  }
  report(place(column), 'INVALID_RULE', {
    'pt-BR': `a regra não roda como está (${column}): ${problem.text['pt-BR']}`,
    en: `the regra cannot run as it is (${column}): ${problem.text.en}`,
  });
}

/** A prerequisite that cannot run (inactive, componente, INFO) makes every run through it fail: say so ahead of time. */
function lintPrerequisites({ configuration, integracoes, report }: Context): void {
  const { edges } = collectDependencyEdges(configuration.integracoes);
  for (const edge of edges) {
    const before = integracoes.get(edge.before);
    const after = integracoes.get(edge.after);
    const reason = before ? notRunnable(before) : null;
    if (!before || !after || !reason) continue;
    const place: Place = { table: 'integracao', rowId: edge.rowId, column: edge.column, integracao: integracoes.get(edge.rowId) ?? null };
    const why = NOT_RUNNABLE_TEXT[reason];
    report(place, 'PREREQUISITE_NOT_RUNNABLE', {
      'pt-BR': `a integracao #${before.id} (${before.nome}) roda antes da #${after.id} (${after.nome}), mas não pode rodar: ${why['pt-BR']}; um componente entra no campo_crm como "#componente:${before.nome}#", não em ${edge.column}`,
      en: `integracao #${before.id} (${before.nome}) runs before #${after.id} (${after.nome}) but cannot run: ${why.en}; a component belongs in campo_crm as "#componente:${before.nome}#", not in ${edge.column}`,
    });
  }
}

const NOT_RUNNABLE_TEXT: Record<NotRunnableReason, LintMessage> = {
  inactive: { 'pt-BR': 'está inativa', en: 'it is inactive' },
  componente: { 'pt-BR': 'é um componente', en: 'it is a componente' },
  tipo: { 'pt-BR': 'nenhuma fila roda o tipo_servico dela', en: 'no queue runs its tipo_servico' },
};
