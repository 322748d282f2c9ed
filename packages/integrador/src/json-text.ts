/** Quote characters word processors substitute for " and ' (the seed documents are full of them). */
const TYPOGRAPHIC_QUOTE = /[\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F\u00AB\u00BB]/;

/** Double quotes a word processor substitutes for ": the only ones that can stand for JSON's own delimiters. */
const TYPOGRAPHIC_DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F]/g;

export type JsonTextResult =
  /** `straightened`: the text is JSON only once its typographic double quotes are read as straight ones (seed 001 as printed). */
  | { ok: true; value: unknown; straightened?: { quote: string; position: number } }
  | { ok: false; problem: 'typographic-quotes'; quote: string; position: number; detail: string }
  | { ok: false; problem: 'malformed'; detail: string };

/** The first typographic quote in a text and its position, or null. */
export function findTypographicQuote(text: string): { quote: string; position: number } | null {
  const match = TYPOGRAPHIC_QUOTE.exec(text);
  return match ? { quote: match[0], position: match.index } : null;
}

/**
 * Parses a JSON column. A text that is not JSON but becomes JSON once its typographic double quotes (“ ” „ ‟) are read
 * as straight ones — seed 001's own example row, pasted from the manual — is read that way and says so
 * (`straightened`, a lint warning); the text is only straightened when it is not JSON as written, so valid JSON whose
 * strings hold typographic quotes keeps them. Otherwise the failure says whether typographic quotes are the reason.
 */
export function parseJsonText(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const detail = (error as Error).message;
    const typographic = findTypographicQuote(text);
    if (!typographic) return { ok: false, problem: 'malformed', detail };
    const straight = straightened(text);
    if (straight !== undefined) return { ok: true, value: straight, straightened: typographic };
    return { ok: false, problem: 'typographic-quotes', ...typographic, detail };
  }
}

function straightened(text: string): unknown {
  const straight = text.replace(TYPOGRAPHIC_DOUBLE_QUOTES, '"');
  if (straight === text) return undefined;
  try {
    return JSON.parse(straight);
  } catch {
    return undefined;
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
