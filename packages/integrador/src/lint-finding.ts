import type { Locale } from '@integrador/i18n';

export type LintSeverity = 'error' | 'warning';
/** The fleet's one Locale (packages/i18n), under the name the lint API has always used. */
export type LintLocale = Locale;
export type LintMessage = Readonly<Record<LintLocale, string>>;

/** One problem of the Integrador configuration, pinned to a table row and column. */
export interface LintFinding {
  code: string;
  severity: LintSeverity;
  /** The integracao the row belongs to (null for conexao_integracao rows and rows whose integracao is missing). */
  integracaoId: number | null;
  integracaoNome: string | null;
  table: string;
  rowId: number;
  column: string;
  message: LintMessage;
}

const TABLE_ORDER = ['conexao_integracao', 'integracao', 'campos_integracao', 'dependencias', 'regras'];

/** Findings by table (as the configuration tables are usually filled in), then row id; otherwise in the order found. */
export function sortFindings(findings: readonly LintFinding[]): LintFinding[] {
  const rank = (table: string) => (TABLE_ORDER.includes(table) ? TABLE_ORDER.indexOf(table) : TABLE_ORDER.length);
  return [...findings].sort((a, b) => rank(a.table) - rank(b.table) || a.rowId - b.rowId);
}

/** One line per finding, e.g. `integracao #19 (SET-WS-CONTAS) coluna consulta: ... [MALFORMED_JSON]`. */
export function formatFinding(finding: LintFinding, locale: LintLocale = 'pt-BR'): string {
  const column = locale === 'pt-BR' ? 'coluna' : 'column';
  const nome = finding.integracaoNome ?? '?';
  let owner = '';
  if (finding.table === 'integracao') owner = ` (${nome})`;
  else if (finding.integracaoId !== null) owner = ` (integracao #${finding.integracaoId} ${nome})`;
  return `${finding.table} #${finding.rowId}${owner} ${column} ${finding.column}: ${finding.message[locale]} [${finding.code}]`;
}

/** A finding as a configuration refusal keeps it (admission's GET_CONFIG/SET_CONFIG values), one language. */
export interface PlacedFinding {
  tabela?: string | number;
  linha?: string | number;
  coluna?: string | number;
  codigo?: string | number;
}

/**
 * A finding kept as values (its table, row, column and code) with its words in one language, as formatFinding writes
 * it: `regras #3 coluna tipo: … [INVALID_RULE]`. The API's refusal and a failed job's record read it alike.
 */
export function placedFindingText(locale: LintLocale, values: PlacedFinding, message: string): string {
  const column = locale === 'pt-BR' ? 'coluna' : 'column';
  return `${values.tabela} #${values.linha} ${column} ${values.coluna}: ${message} [${values.codigo}]`;
}

/** A readable list of names, shortened when long. */
export function nameList(names: readonly string[], empty: string, max = 10): string {
  if (names.length === 0) return empty;
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, … (+${names.length - max})` : shown;
}
