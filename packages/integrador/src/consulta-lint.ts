import type { Dependencia, Integracao, IntegradorConfiguration } from '@integrador/store';
import { consultaColumnReferences, consultaOf, selectedColumns, selectsEveryColumn } from './consulta';
import type { CrmTableColumns } from './get-lint';
import { parseJsonText } from './json-text';
import type { LintMessage } from './lint-finding';
import { dependencyLookup } from './set/compile-set';

/** Reports one finding on integracao.consulta. */
export type ConsultaLintReport = (code: string, message: LintMessage) => void;

/** The SQL of a non-GET integracao's consulta (it reads the CRM); null for a GET (its consulta is the source's record) or none. */
function crmConsulta(integracao: Integracao): string | null {
  if (integracao.tipo_servico.trim().toUpperCase() === 'GET') return null;
  const parsed = parseJsonText(integracao.consulta ?? '');
  return parsed.ok ? consultaOf(parsed.value) : null;
}

/**
 * The SQL of a dependencia's lookup (tipo consulta: it reads the CRM when a SET/INFO push resolves it); null for another
 * kind, a row that cannot work (reported by the push that uses it), or a dependencia of a GET (GET runs none).
 */
function dependencyConsulta(dependencia: Dependencia, integracao: Integracao | undefined): string | null {
  if (!integracao || integracao.tipo_servico.trim().toUpperCase() === 'GET') return null;
  try {
    const lookup = dependencyLookup(dependencia);
    return lookup.kind === 'consulta' ? lookup.sql : null;
  } catch {
    return null;
  }
}

/** The CRM tables the consultas of SET/INFO integracoes and of their dependencias read (what the lint needs described by the database). */
export function consultaTables(configuration: IntegradorConfiguration): string[] {
  const integracoes = new Map(configuration.integracoes.map((row) => [row.id, row]));
  const sqls = [
    ...configuration.integracoes.map(crmConsulta),
    ...configuration.dependencias.map((row) => dependencyConsulta(row, integracoes.get(row.integracao_id))),
  ];
  const tables = new Set<string>();
  for (const sql of sqls) if (sql !== null) for (const reference of consultaColumnReferences(sql)) tables.add(reference.table);
  return [...tables];
}

/** Edit distance of two short names (for "did you mean"). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The table's column (or the name) nearest to a misspelt one, when it is near enough to be the likely intent. */
export function nearest(column: string, columns: Iterable<string>): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of columns) {
    const d = distance(column, name);
    if (d <= Math.max(2, Math.floor(column.length / 4)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** The name given nearest to an unprovided #variable#: only the case differs, or a letter or two (lint and runs alike). */
export function nearestVariable(variable: string, names: Iterable<string>): string | undefined {
  const given = [...names];
  return given.find((name) => name.toLowerCase() === variable.toLowerCase()) ?? nearest(variable, given);
}

/**
 * A SET/INFO consulta's columns checked against the CRM tables as the database has them: a column that is not there
 * fails every push when the record is read, so lint names it (integration, column, table) ahead of time.
 */
export function lintConsultaColumns(integracao: Integracao, report: ConsultaLintReport, crmTables: CrmTableColumns | undefined): void {
  const sql = crmConsulta(integracao);
  if (sql === null) return;
  lintColumns(sql, report, crmTables, (column, table, guess) => ({
    'pt-BR': `a consulta da integração ${integracao.nome} lê a coluna "${column}", que não existe na tabela ${table} do CRM${guess ? ` (quis dizer "${guess}"?)` : ''}; cada envio falharia ao ler o registro`,
    en: `the consulta of integration ${integracao.nome} reads column "${column}", which does not exist in the CRM table ${table}${guess ? ` (did you mean "${guess}"?)` : ''}; every push would fail reading the record`,
  }));
}

/** A dependencia's lookup consulta checked the same way: a missing column fails every push that resolves the dependency. */
export function lintDependencyConsultaColumns(
  dependencia: Dependencia,
  integracao: Integracao | undefined,
  report: ConsultaLintReport,
  crmTables: CrmTableColumns | undefined,
): void {
  const sql = dependencyConsulta(dependencia, integracao);
  if (sql === null || !integracao) return;
  const which = `#${dependencia.id} (${dependencia.variavel})`;
  lintColumns(sql, report, crmTables, (column, table, guess) => ({
    'pt-BR': `a consulta da dependência ${which} da integração ${integracao.nome} lê a coluna "${column}", que não existe na tabela ${table} do CRM${guess ? ` (quis dizer "${guess}"?)` : ''}; cada envio falharia ao resolver a dependência`,
    en: `the consulta of dependencia ${which} of integration ${integracao.nome} reads column "${column}", which does not exist in the CRM table ${table}${guess ? ` (did you mean "${guess}"?)` : ''}; every push would fail resolving the dependency`,
  }));
}

/** Reports CONSULTA_UNKNOWN_COLUMN once per column of `sql` that its CRM table does not have. */
function lintColumns(
  sql: string,
  report: ConsultaLintReport,
  crmTables: CrmTableColumns | undefined,
  message: (column: string, table: string, guess: string | undefined) => LintMessage,
): void {
  if (!crmTables) return;
  const seen = new Set<string>();
  for (const reference of consultaColumnReferences(sql)) {
    const table = crmTables.get(reference.table);
    const column = reference.column.toLowerCase();
    const key = `${reference.table}.${column}`;
    if (!table || table.columns.has(column) || seen.has(key)) continue;
    seen.add(key);
    report('CONSULTA_UNKNOWN_COLUMN', message(reference.text, reference.table, nearest(column, table.columns)));
  }
}

/**
 * A SET consulta without an `id` column: its records are known by their position in the run, which names another
 * record in the next run, so none of them can be held (a record the receptor accepted with nothing written back is
 * sent again by the next run) nor claimed by one job at a time (two runs at once may both send it). A warning: such a
 * consulta runs, unprotected. A `*` in the list may bring an id: not reported.
 */
export function lintSetRecordIdentity(integracao: Integracao, sql: string | null, report: ConsultaLintReport): void {
  if (integracao.tipo_servico.trim().toUpperCase() !== 'SET' || sql === null || selectsEveryColumn(sql)) return;
  if (selectedColumns(sql).some((name) => name.toLowerCase() === 'id')) return;
  report('SET_CONSULTA_WITHOUT_ID', {
    'pt-BR':
      'a consulta não devolve a coluna id: os registros desta integração SET são conhecidos só pela posição, então o hub não consegue impedir que sejam reenviados (um registro que o ERP aceitou sem nada gravado no CRM é reenviado pela próxima execução, e duas execuções ao mesmo tempo podem enviar o mesmo registro); inclua o id da linha na consulta (ex.: SELECT c.id, ...)',
    en: "the consulta returns no id column: this SET integration's records are known by their position only, so the hub cannot keep them from being sent again (a record the ERP accepted with nothing written to the CRM is sent again by the next run, and two runs at once may send the same record); add the row's id to the consulta (e.g. SELECT c.id, ...)",
  });
}
