import type { RegistroJob } from '@integrador/store';
import type { Viewer } from './access';
import { formatTime, messages, word } from './i18n';
import { zoneLabel } from './job-filter';
import { maskMessage } from './mask';
import { attemptsText, customerOf, keyParameters, type ListNames, readableJobId, wordedFailure } from './views/pages';

/**
 * The separator a spreadsheet of the viewer's language opens a CSV with: a pt-BR Excel or LibreOffice splits on ';'
 * (',' is its decimal mark), an English one on ','.
 */
export function csvSeparator(locale: Viewer['locale']): string {
  return locale === 'en' ? ',' : ';';
}

// A cell a spreadsheet would run as a formula (OWASP "CSV injection"): = + - @ first, or tab / CR, also after spaces.
const FORMULA_START = /^[\s]*[=+\-@\t\r]/;

/**
 * One CSV cell: a text that starts like a formula gets a leading apostrophe (a spreadsheet shows it as text, never
 * runs it: a customer's name or an ERP's message is someone else's text), then quoted with its quotes doubled.
 */
export function csvCell(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** A CSV line of cells, ended by CRLF (RFC 4180). */
export function csvLine(cells: ReadonlyArray<string | number | null | undefined>, separator: string): string {
  return `${cells.map(csvCell).join(separator)}\r\n`;
}

/**
 * The failures list as CSV, headers and words in the viewer's language, times in the viewer's zone, customers and
 * names as the list shows them (`names`: queries.ts rowNames), messages masked as the page masks them.
 */
export function failuresCsv(viewer: Viewer, rows: readonly RegistroJob[], names: ListNames): string {
  const t = messages(viewer.locale);
  const separator = csvSeparator(viewer.locale);
  // The times' zone once, in their column's header (trial 4: "06/12/2026, 23:25:12" said no zone).
  const headers = t.csvHeaders.map((header, i, all) => (i === all.length - 2 ? `${header} (${zoneLabel(viewer.timeZone)})` : header));
  const lines = [csvLine(headers, separator)];
  for (const r of rows) {
    const empresa = names.empresas.get(r.empresa_id);
    const filial = r.empresa_filial_id === null ? undefined : names.filiais?.get(`${r.empresa_id}/${r.empresa_filial_id}`);
    const integracao = r.integracao_id === null ? undefined : names.integracoes.get(`${r.empresa_id}/${r.integracao_id}`);
    lines.push(
      csvLine(
        [
          // The page's label (a schedule's run by its integration and time), the raw id in its own column.
          readableJobId(viewer, r.job_id, integracao ?? (r.integracao_id === null ? undefined : `#${r.integracao_id}`)) ?? r.job_id,
          r.fila,
          r.nome_job,
          empresa === undefined ? `#${r.empresa_id}` : `${empresa} (#${r.empresa_id})`,
          r.empresa_filial_id === null ? '' : filial === undefined ? `#${r.empresa_filial_id}` : `${filial} (#${r.empresa_filial_id})`,
          r.integracao_id === null ? '' : integracao === undefined ? `#${r.integracao_id}` : `${integracao} (#${r.integracao_id})`,
          customerOf(viewer, r, names) ?? '',
          keyParameters(r),
          word(t.states, r.estado),
          attemptsText(viewer, r, names.envios?.get(`${r.empresa_id}/${r.job_id}`)),
          r.erro_codigo ?? '',
          r.erro_codigo || r.erro_mensagem ? (wordedFailure(viewer.locale, r) ?? t.unwordedFailure) : '',
          maskMessage(r.erro_mensagem) ?? '',
          formatTime(r.atualizado_em, viewer.locale, viewer.timeZone),
          r.job_id,
        ],
        separator,
      ),
    );
  }
  // A BOM first: Excel reads the file as UTF-8 (accents) only with it.
  return `\uFEFF${lines.join('')}`;
}
