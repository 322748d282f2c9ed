// The SQL-injection payloads of the engine-level and the route-level suites. FUZZ_LONG=1 adds generated ones.

export const LONG = process.env.FUZZ_LONG === '1';

/** Hostile #var# values: quotes, comments, statement separators, placeholders, NUL, a huge one. */
export const PAYLOADS: readonly string[] = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '1; DROP TABLE contas',
  "'; DROP TABLE contas; --",
  "\\'",
  "\\' OR 1=1 -- ",
  "\\'; DROP TABLE contas; -- ",
  '\u2019 OR \u20181\u2019=\u20181',
  '\u201D OR \u201C1\u201D=\u201C1',
  '" OR ""="',
  "') UNION SELECT id, nome FROM contas --",
  '1 OR 1=1',
  '$1',
  '?',
  ':1',
  '#empresa_id#',
  "Alfa\u0000' OR 1=1 --",
  `${'x'.repeat(LONG ? 200_000 : 20_000)}' OR 1=1 --`,
  ...(LONG ? Array.from({ length: 200 }, (_, i) => randomPayload(i)) : []),
];

/** A deterministic mix of quotes, comment markers, separators and keywords. */
function randomPayload(seed: number): string {
  const parts = ["'", '"', '\\', ';', '--', '/*', '*/', '\u2018', '\u2019', ' OR ', '1=1', 'DROP TABLE contas', '%', '_', '#', '\u0000'];
  let out = '';
  let x = seed * 2654435761;
  for (let i = 0; i < 12; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += parts[x % parts.length];
  }
  return out;
}

/** PostgreSQL refuses NUL in text (22021); refusing a value is not an injection. Any other error is. */
export function valueRefusal(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  return code === '22021' || code === '22P02' || code === '22001' || code === 'ER_DATA_TOO_LONG';
}
