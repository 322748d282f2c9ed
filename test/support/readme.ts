import fs from 'node:fs';
import path from 'node:path';

// Reads the reference tables of the README (routes, CLI commands, configuration) so tests can hold them against the
// code. One row per thing; its first cell starts with the thing in backticks (see each pattern below).

export const README_PATH = path.join(__dirname, '..', '..', 'README.md');

export interface ReadmeRow {
  /** 1-based line number in README.md. */
  line: number;
  cells: string[];
}

/** Splits a Markdown table row into trimmed cells (`\|` is a literal bar inside a cell). */
function cellsOf(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The body rows of the first table under the `## <section>` heading, or an error naming the missing section. */
export function readmeTable(section: string, text = fs.readFileSync(README_PATH, 'utf8')): ReadmeRow[] {
  const lines = text.split('\n');
  const heading = lines.findIndex((line) => line.trim() === `## ${section}`);
  if (heading < 0) throw new Error(`README.md has no "## ${section}" section`);
  const rows: ReadmeRow[] = [];
  let inTable = false;
  for (let i = heading + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('## ')) break;
    if (line.trimStart().startsWith('|')) {
      inTable = true;
      rows.push({ line: i + 1, cells: cellsOf(line) });
    } else if (inTable) {
      break;
    }
  }
  if (rows.length < 2) throw new Error(`README.md: no table under "## ${section}"`);
  // Header and separator rows first.
  return rows.slice(2);
}

/** `GET /v1/jobs/:queue/:id` as the route table's first cell starts (params in Fastify's `:name` form). */
export const ROUTE_CELL = /^`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`/;
/** `tenant create <nome> [--filial <nome>]`: the command path, then its arguments and options. */
export const COMMAND_CELL = /^`([a-z][\w-]*(?: [a-z][\w-]*)*)((?: [^`]*)?)`/;
/** `JOB_LOCK_MS`, or a family such as `ENDPOINT_SECRET_<empresaId>_<NOME>`. */
export const VARIABLE_CELL = /^`([A-Z][A-Z0-9_]*(?:<[^>`]+>[A-Z0-9_]*)*)`$/;

/** What each table's first cell must look like, for failure messages. */
export const ROW_SHAPES = {
  route: '| `METHOD /path/:param` | what it does |',
  command: '| `group command <arg> [--option <value>]` | what it does |',
  variable: '| `NAME` | `default` | what it means |',
} as const;
