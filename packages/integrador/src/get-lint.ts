import { cronParserProblem, cronShapeProblem, cronShapeText } from '@integrador/queue';
import { GET_SYNC_TABLES, type Integracao } from '@integrador/store';
import { CronExpressionParser } from 'cron-parser';
import { repeatedSelectedColumn, selectedColumns } from './consulta';
import { upsertKeyProblem } from './get/crm-table';
import { getKeyColumns, invalidGetMode, invalidGetNumbers, MAX_CHUNK_SIZE } from './get/get-settings';
import { ENGINE_COLUMNS } from './get/row-mapping';
import type { LintMessage, LintSeverity } from './lint-finding';
import { queueForTipo } from './runs/runnability';

/** Reports one finding on a column of the integracao row. */
export type GetLintReport = (column: string, code: string, message: LintMessage, severity?: LintSeverity) => void;

/** A CRM table as the database's catalog describes it: its columns, and those an insert must fill (NOT NULL, no default). */
export interface CrmTableShape {
  columns: ReadonlySet<string>;
  required: ReadonlySet<string>;
  /** MySQL/MariaDB: text columns whose collation ignores case or accents (not `_bin`); empty elsewhere. */
  caseInsensitive?: ReadonlySet<string>;
  /** The columns of each unique index (lower case); without them the GET key's index is not checked. */
  uniqueKeys?: readonly (readonly string[])[];
}

/** CRM tables by lower-case name (from the database catalog); without them columns are not checked. */
export type CrmTableColumns = ReadonlyMap<string, CrmTableShape>;

/** #vars# the GET engine provides itself. */
export const GET_ENGINE_VARIABLES = ['cursor', 'empresa_id', 'empresa_filial_id', 'integracao_id'];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const text = (value: string | null) => (value?.trim() ? value.trim() : null);

/** A cron pattern BullMQ's job schedulers accept (5 or 6 fields); reported on any integracao that has one. */
export function lintCron(integracao: Integracao, report: GetLintReport): void {
  const cron = text(integracao.cron);
  if (cron === null) return;
  let detail: Record<'pt-BR' | 'en', string> | undefined;
  try {
    CronExpressionParser.parse(cron);
    // What cron-parser pads or lets through (4 fields, a step wider than its field), refused as schedules sync refuses it.
    const shape = cronShapeProblem(cron);
    if (shape !== null) detail = { 'pt-BR': cronShapeText('pt-BR', shape), en: cronShapeText('en', shape) };
  } catch (err) {
    // cron-parser's common refusals worded (a value out of its field); another in the library's own (English) words.
    const problem = cronParserProblem(err);
    detail = problem
      ? { 'pt-BR': cronShapeText('pt-BR', problem), en: cronShapeText('en', problem) }
      : { 'pt-BR': (err as Error).message, en: (err as Error).message };
  }
  if (detail)
    report('cron', 'INVALID_CRON', {
      'pt-BR': `cron "${cron}" inválido (${detail['pt-BR']}); esperado um padrão como "*/15 * * * *" (minuto hora dia mês dia-da-semana)`,
      en: `invalid cron "${cron}" (${detail.en}); expected a pattern such as "*/15 * * * *" (minute hour day month weekday)`,
    });
  if (queueForTipo(integracao.tipo_servico) !== 'get')
    report(
      'cron',
      'CRON_NOT_GET',
      {
        'pt-BR': `cron só agenda integrações GET; esta é ${integracao.tipo_servico} e não será agendada`,
        en: `cron only schedules GET integrations; this one is ${integracao.tipo_servico} and will not be scheduled`,
      },
      'warning',
    );
}

/** The GET rules: sql_consulta, tabela, modo/campo_cursor, key and cursor selected, columns known to the CRM table. */
export function lintGet(integracao: Integracao, report: GetLintReport, crmTables?: CrmTableColumns): void {
  if (queueForTipo(integracao.tipo_servico) !== 'get') return;
  const sql = text(integracao.sql_consulta);
  if (sql === null)
    report('sql_consulta', 'GET_MISSING_SQL_CONSULTA', {
      'pt-BR':
        'integração GET sem sql_consulta: esperado o SELECT que lê a origem (ex.: SELECT CODCLI AS id_erp, NOMCLI AS nome, DATALT FROM E085CLI)',
      en: 'GET integration without sql_consulta: expected the SELECT that reads the source (e.g. SELECT CODCLI AS id_erp, NOMCLI AS nome, DATALT FROM E085CLI)',
    });
  const templates = text(integracao.sql_insert) !== null || text(integracao.sql_update) !== null;
  const table = text(integracao.tabela)?.toLowerCase() ?? null;
  const allowed = GET_SYNC_TABLES.join(', ');
  if (!templates && (table === null || !(GET_SYNC_TABLES as readonly string[]).includes(table)))
    report('tabela', 'GET_UNKNOWN_TABLE', {
      'pt-BR': `tabela "${integracao.tabela ?? ''}" não é uma tabela do CRM que um GET grava; esperado uma de: ${allowed} (ou sql_insert/sql_update)`,
      en: `tabela "${integracao.tabela ?? ''}" is not a CRM table a GET writes; expected one of: ${allowed} (or sql_insert/sql_update)`,
    });
  const cursor = text(integracao.campo_cursor);
  if (cursor !== null && !IDENTIFIER.test(cursor))
    report('campo_cursor', 'GET_INVALID_CURSOR', {
      'pt-BR': `campo_cursor "${cursor}" não é um nome de coluna (letras, dígitos e _)`,
      en: `campo_cursor "${cursor}" is not a column name (letters, digits and _)`,
    });
  lintMode(integracao, report, cursor);
  if (getKeyColumns(integracao) === null)
    report('chave', 'GET_INVALID_KEY', {
      'pt-BR': `chave "${integracao.chave}" inválida; esperado nomes de colunas do CRM separados por vírgula (ex.: id_erp ou cnpj, tipo_pessoa)`,
      en: `invalid chave "${integracao.chave}"; expected CRM column names separated by commas (e.g. id_erp or cnpj, tipo_pessoa)`,
    });
  const repeated = sql === null ? null : repeatedSelectedColumn(sql);
  if (repeated)
    report('sql_consulta', 'GET_COLUMN_TWICE', {
      'pt-BR': `o sql_consulta seleciona "${repeated[0]}" e "${repeated[1]}", que dão nome à mesma coluna do CRM: só um dos valores seria gravado (o driver guarda o último), por isso cada execução é recusada; dê a cada um um alias diferente ou remova um deles`,
      en: `sql_consulta selects "${repeated[0]}" and "${repeated[1]}", which name the same CRM column: only one of the values would be written (the driver keeps the later), so every run is refused; give each a different alias or drop one`,
    });
  if (sql !== null && comparesNullCursor(sql))
    report(
      'sql_consulta',
      'GET_CURSOR_NULL_ON_FIRST_RUN',
      {
        'pt-BR':
          'sql_consulta compara com #cursor#, que é NULL na primeira execução: a comparação não retorna linhas e o cursor nunca avança. Remova o filtro: o motor já acrescenta campo_cursor >= cursor salvo (e nada na primeira execução)',
        en: 'sql_consulta compares with #cursor#, which is NULL on the first run: the comparison returns no rows and the cursor never moves. Drop the filter: the engine already adds campo_cursor >= the saved cursor (and nothing on a first run)',
      },
      'warning',
    );
  if (integracao.reconciliacao_horas !== null && templates)
    report('reconciliacao_horas', 'GET_RECONCILE_NEEDS_UPSERT', {
      'pt-BR': 'a reconciliação precisa do upsert embutido em tabela; remova sql_insert/sql_update ou deixe reconciliacao_horas NULL',
      en: 'a reconcile needs the built-in upsert into tabela; remove sql_insert/sql_update or leave reconciliacao_horas NULL',
    });
  lintNumbers(integracao, report);
  if (sql !== null) lintSelected(integracao, report, sql, { cursor, templates, table, crmTables });
  for (const column of ['sql_insert', 'sql_update'] as const) {
    const template = text(integracao[column]);
    if (template !== null && !/#empresa_id#/i.test(template))
      report(
        column,
        'GET_TEMPLATE_NOT_TENANT_SCOPED',
        {
          'pt-BR': `${column} não usa #empresa_id#: as linhas gravadas e a chave devem ser da empresa (ex.: WHERE empresa_id = #empresa_id# AND id_erp = #id_erp#)`,
          en: `${column} does not use #empresa_id#: written rows and the key must belong to the empresa (e.g. WHERE empresa_id = #empresa_id# AND id_erp = #id_erp#)`,
        },
        'warning',
      );
  }
}

/**
 * A sql_consulta that uses #cursor# without handling its NULL (a first run has no saved cursor): `DATALT >= NULL` is
 * never true, so such a GET reads nothing, forever, and reports success. COALESCE(#cursor#, …) and `#cursor# IS NULL`
 * count as handled (whether the source types them is the source's to say); `IS NOT NULL` does not: it reads nothing
 * on a first run too.
 */
function comparesNullCursor(sql: string): boolean {
  if (!/#cursor#/i.test(sql)) return false;
  return !/(coalesce|ifnull|nvl|isnull)\s*\(\s*#cursor#|#cursor#\s+is\s+null/i.test(sql);
}

/** reconciliacao_horas and tamanho_lote as the run reads them (parseGetSettings refuses the same values). */
function lintNumbers(integracao: Integracao, report: GetLintReport): void {
  const invalid = invalidGetNumbers(integracao);
  const hours = integracao.reconciliacao_horas;
  if (invalid.includes('reconciliacao_horas'))
    report('reconciliacao_horas', 'GET_INVALID_RECONCILE_HOURS', {
      'pt-BR': `reconciliacao_horas ${hours} inválido; esperado horas ≥ 0 (0 = a cada execução) ou NULL (nunca)`,
      en: `invalid reconciliacao_horas ${hours}; expected hours ≥ 0 (0 = every run) or NULL (never)`,
    });
  const chunk = integracao.tamanho_lote;
  if (invalid.includes('tamanho_lote'))
    report('tamanho_lote', 'GET_INVALID_CHUNK_SIZE', {
      'pt-BR': `tamanho_lote ${chunk} inválido; esperado de 1 a ${MAX_CHUNK_SIZE} linhas por lote, ou NULL (padrão)`,
      en: `invalid tamanho_lote ${chunk}; expected 1 to ${MAX_CHUNK_SIZE} rows per chunk, or NULL (the default)`,
    });
}

function lintMode(integracao: Integracao, report: GetLintReport, cursor: string | null): void {
  const invalid = invalidGetMode(integracao, cursor);
  if (invalid === 'modo')
    report('modo', 'GET_INVALID_MODE', {
      'pt-BR': `modo "${integracao.modo}" desconhecido; esperado completo ou incremental`,
      en: `unknown modo "${integracao.modo}"; expected completo or incremental`,
    });
  if (invalid === 'campo_cursor')
    report('campo_cursor', 'GET_MISSING_CURSOR', {
      'pt-BR': 'modo incremental sem campo_cursor: esperado a coluna que só cresce (ex.: DATALT)',
      en: 'modo incremental without campo_cursor: expected the column that only grows (e.g. DATALT)',
    });
}

interface SelectedContext {
  cursor: string | null;
  templates: boolean;
  table: string | null;
  crmTables: CrmTableColumns | undefined;
}

/** Warns when a GET's key column of the CRM table compares ignoring case/accents (whatever sql_consulta selects, `*` too). */
function lintKeyCollation(integracao: Integracao, report: GetLintReport, context: SelectedContext): void {
  const { templates, table } = context;
  const shape = table === null ? undefined : context.crmTables?.get(table);
  if (templates || !shape) return;
  const keys = (text(integracao.chave) ?? 'id_erp').split(',').map((k) => k.trim().toLowerCase());
  // The upsert matches keys through the table's unique index, compared with the column's collation.
  for (const key of keys.filter((k) => shape.caseInsensitive?.has(k)))
    report(
      'chave',
      'GET_KEY_CASE_INSENSITIVE',
      {
        'pt-BR': `a coluna de chave "${key}" de ${table} ignora maiúsculas/acentos (collation do MySQL/MariaDB): as chaves do ERP "P1" e "p1" seriam um só registro — dê à coluna a collation utf8mb4_bin (ALTER TABLE ${table} MODIFY ${key} … COLLATE utf8mb4_bin)`,
        en: `key column "${key}" of ${table} ignores case/accents (MySQL/MariaDB collation): ERP keys "P1" and "p1" would be one record — give the column the utf8mb4_bin collation (ALTER TABLE ${table} MODIFY ${key} … COLLATE utf8mb4_bin)`,
      },
      'warning',
    );
}

/**
 * The built-in upsert's key against the CRM table as the database has it (upsertKeyProblem, the run's own rule): a key
 * that is no column of the table, or without a unique index on (empresa_id, chave), fails every run before it reads.
 */
function lintUpsertKey(integracao: Integracao, report: GetLintReport, context: SelectedContext): void {
  const { templates, table } = context;
  const shape = table === null ? undefined : context.crmTables?.get(table);
  const keys = getKeyColumns(integracao);
  if (templates || !shape?.uniqueKeys || keys === null) return;
  const problem = upsertKeyProblem({ columns: shape.columns, uniqueKeys: shape.uniqueKeys }, keys);
  if (problem?.problem === 'KEY_NOT_A_COLUMN')
    report('chave', 'GET_KEY_NOT_A_COLUMN', {
      'pt-BR': `a chave "${problem.chave}" não é uma coluna de ${table}: cada execução é recusada; esperado uma coluna de ${table} (ex.: id_erp)`,
      en: `chave "${problem.chave}" is not a column of ${table}: every run is refused; expected a column of ${table} (e.g. id_erp)`,
    });
  else if (problem)
    report('chave', 'GET_KEY_NOT_UNIQUE', {
      'pt-BR': `${table} não tem índice único em (empresa_id, ${problem.chave}): o upsert do GET não casa os registros pela chave (PostgreSQL e SQLite recusam o ON CONFLICT, o MariaDB duplicaria as linhas), por isso cada execução é recusada; crie o índice (CREATE UNIQUE INDEX … ON ${table} (empresa_id, ${problem.chave})) ou use a chave id_erp`,
      en: `${table} has no unique index on (empresa_id, ${problem.chave}): the GET's upsert cannot match records by the key (PostgreSQL and SQLite refuse the ON CONFLICT, MariaDB would duplicate rows), so every run is refused; create the index (CREATE UNIQUE INDEX … ON ${table} (empresa_id, ${problem.chave})) or use chave id_erp`,
    });
}

/** Checks what sql_consulta selects (when its select list can be read: no `*`). */
function lintSelected(integracao: Integracao, report: GetLintReport, sql: string, context: SelectedContext): void {
  lintKeyCollation(integracao, report, context);
  lintUpsertKey(integracao, report, context);
  const selected = selectedColumns(sql).map((c) => c.toLowerCase());
  if (selected.length === 0 || selected.includes('*')) return;
  const list = selected.join(', ');
  const { cursor, templates, table } = context;
  if (cursor !== null && IDENTIFIER.test(cursor) && !selected.includes(cursor.toLowerCase()))
    report('campo_cursor', 'GET_CURSOR_NOT_SELECTED', {
      'pt-BR': `campo_cursor "${cursor}" não está entre as colunas do sql_consulta (${list})`,
      en: `campo_cursor "${cursor}" is not among the columns of sql_consulta (${list})`,
    });
  // A chave that is no list of column names is one finding (GET_INVALID_KEY), not also one per part it does not select.
  const keys = getKeyColumns(integracao) ?? [];
  for (const key of keys.filter((k) => !selected.includes(k)))
    report('chave', 'GET_KEY_NOT_SELECTED', {
      'pt-BR': `a chave "${key}" não está entre as colunas do sql_consulta (${list}); dê esse alias à coluna de código da origem`,
      en: `key "${key}" is not among the columns of sql_consulta (${list}); alias the source's code column to it`,
    });
  const shape = table === null ? undefined : context.crmTables?.get(table);
  if (templates || !shape) return;
  const { columns } = shape;
  for (const column of selected) {
    if (column === cursor?.toLowerCase() && !columns.has(column)) continue;
    if (ENGINE_COLUMNS.includes(column))
      report('sql_consulta', 'GET_ENGINE_COLUMN', {
        'pt-BR': `a coluna "${column}" é gravada pelo próprio Integrador (${ENGINE_COLUMNS.join(', ')}); remova-a do sql_consulta`,
        en: `column "${column}" is written by the Integrador itself (${ENGINE_COLUMNS.join(', ')}); remove it from sql_consulta`,
      });
    else if (!columns.has(column))
      report('sql_consulta', 'GET_UNKNOWN_COLUMN', {
        'pt-BR': `a coluna "${column}" do sql_consulta não existe em ${table}; use como alias um nome de coluna do CRM`,
        en: `column "${column}" of sql_consulta does not exist in ${table}; alias it to a CRM column name`,
      });
  }
  // The upsert inserts only what sql_consulta selects (plus the engine's columns): a required column left out fails every insert.
  for (const column of shape.required)
    if (!selected.includes(column) && !ENGINE_COLUMNS.includes(column))
      report(
        'sql_consulta',
        'GET_REQUIRED_COLUMN_MISSING',
        {
          'pt-BR': `a coluna "${column}" de ${table} é NOT NULL sem valor padrão e o sql_consulta não a seleciona (${list}); cada inserção falharia — selecione a coluna da origem com o alias ${column}`,
          en: `column "${column}" of ${table} is NOT NULL without a default and sql_consulta does not select it (${list}); every insert would fail — select the source's column aliased ${column}`,
        },
        'warning',
      );
}
