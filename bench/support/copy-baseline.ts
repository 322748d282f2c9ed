import { spawn } from 'node:child_process';
import { CLIENT_COLUMNS, type ErpSource } from './erp-customers';

// The baseline of the GET benchmark: the fastest way the database tools themselves move the same rows into the
// same CRM table — a shell pipe from the source's client into `psql … COPY … FROM STDIN`, no application code.

/** What one pipe moved and how long it took. */
export interface CopyReport {
  command: string;
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The source side: the ERP rows in the CRM's column order, with the tenant's empresa_id first. */
function sourceSelect(source: ErpSource, empresaId: number): string {
  const columns = CLIENT_COLUMNS.map((c) => (c.source === 'codcli' ? (source.kind === 'postgres' ? 'codcli::text' : 'codcli') : c.source));
  return `SELECT ${empresaId}, ${columns.join(', ')} FROM clientes`;
}

/**
 * The shell pipeline. PostgreSQL: `psql -c "COPY (SELECT …) TO STDOUT" | psql -c "COPY contas(…) FROM STDIN"` (text
 * format both sides). MariaDB: `mariadb --batch --quick --skip-column-names -e "SELECT …"` streams tab-separated rows
 * with \t, \n and \\ escaped exactly as COPY's text format expects and NULL written as the word NULL, hence
 * `COPY … WITH (NULL 'NULL')`; --quick streams instead of buffering the whole result in the client.
 */
export function copyPipeCommand(source: ErpSource, crmUrl: string, empresaId: number): string {
  const target = `contas(empresa_id, ${CLIENT_COLUMNS.map((c) => c.crm).join(', ')})`;
  if (source.kind === 'postgres') {
    const out = `COPY (${sourceSelect(source, empresaId)}) TO STDOUT`;
    return `psql -X -q -v ON_ERROR_STOP=1 ${quote(source.url)} -c ${quote(out)} | psql -X -q -v ON_ERROR_STOP=1 ${quote(crmUrl)} -c ${quote(`COPY ${target} FROM STDIN`)}`;
  }
  const url = new URL(source.url);
  const mariadb = `mariadb --batch --quick --skip-column-names --default-character-set=utf8mb4 -h ${url.hostname} -P ${url.port || '3306'} -u ${decodeURIComponent(url.username)} ${url.pathname.slice(1)}`;
  return `${mariadb} -e ${quote(sourceSelect(source, empresaId))} | psql -X -q -v ON_ERROR_STOP=1 ${quote(crmUrl)} -c ${quote(`COPY ${target} FROM STDIN WITH (NULL 'NULL')`)}`;
}

/** Runs the pipe (bash -o pipefail: a failure on either side fails the run) and times it. */
export async function runCopyPipe(source: ErpSource, crmUrl: string, empresaId: number): Promise<CopyReport> {
  const command = copyPipeCommand(source, crmUrl, empresaId);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`COPY pipe exited ${code}: ${stderr.trim()}`))));
  });
  const ms = performance.now() - started;
  return { command, rows: source.rows, ms, rowsPerSecond: (source.rows * 1000) / ms };
}
