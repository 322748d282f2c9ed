/** Quote characters word processors substitute for " and ' (the seed documents are full of them). */
const TYPOGRAPHIC_QUOTE = /[\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F\u00AB\u00BB]/;

export type JsonTextResult =
  | { ok: true; value: unknown }
  | { ok: false; problem: 'typographic-quotes'; quote: string; position: number; detail: string }
  | { ok: false; problem: 'malformed'; detail: string };

/** The first typographic quote in a text and its position, or null. */
export function findTypographicQuote(text: string): { quote: string; position: number } | null {
  const match = TYPOGRAPHIC_QUOTE.exec(text);
  return match ? { quote: match[0], position: match.index } : null;
}

/** Parses a JSON column; when it fails, says whether typographic quotes are the reason. */
export function parseJsonText(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const detail = (error as Error).message;
    const typographic = findTypographicQuote(text);
    if (typographic) return { ok: false, problem: 'typographic-quotes', ...typographic, detail };
    return { ok: false, problem: 'malformed', detail };
  }
}

/** Every string leaf of a JSON value (object keys excluded). */
export function jsonStringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(jsonStringLeaves);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(jsonStringLeaves);
  return [];
}

/** Every object key of a JSON value, at any depth. */
export function jsonKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(jsonKeys);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, child]) => [key, ...jsonKeys(child)]);
  return [];
}
