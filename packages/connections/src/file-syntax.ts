import { parseDocument } from 'yaml';
import type { ConnectionsProblem } from './errors';

export type ConnectionsFormat = 'yaml' | 'json';

/** Parses the file's text; syntax errors become problems with a line number and never quote the source (it may hold passwords). */
export function parseText(source: string, format: ConnectionsFormat): { data: unknown; problems: ConnectionsProblem[] } {
  const text = source.replace(/^\uFEFF/, '');
  return format === 'json' ? parseJson(text) : parseYaml(text);
}

function parseYaml(text: string): { data: unknown; problems: ConnectionsProblem[] } {
  const doc = parseDocument(text, { merge: true });
  const problems = doc.errors.map((error) => ({
    line: error.linePos?.[0].line,
    message: `invalid YAML: ${error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')}`,
  }));
  if (problems.length > 0) return { data: undefined, problems };
  try {
    return { data: doc.toJS(), problems };
  } catch (err) {
    // Alias expansion limits (a "billion laughs" file) surface here.
    return { data: undefined, problems: [{ message: `invalid YAML: ${(err as Error).message}` }] };
  }
}

function parseJson(text: string): { data: unknown; problems: ConnectionsProblem[] } {
  try {
    return { data: JSON.parse(text), problems: [] };
  } catch (err) {
    // V8's message sometimes quotes the text around the error and sometimes gives no position: keep only the reason.
    const reason =
      (err as Error).message.replace(/ in JSON at position \d+.*$|,? *(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '') || 'unexpected text';
    const offset = jsonErrorOffset(text);
    return { data: undefined, problems: [{ line: text.slice(0, offset).split('\n').length, message: `invalid JSON: ${reason}` }] };
  }
}

const WHITESPACE = /[ \t\n\r]*/y;
// A string char is anything from U+0020 up but `"` and `\`, or an escape.
const STRING = /"(?:[ !#-[\]-\u{10FFFF}]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/uy;
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Where a JSON text stops being valid: a minimal recursive-descent scan, run only after JSON.parse failed. */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  const eat = (token: RegExp): boolean => {
    token.lastIndex = at;
    if (!token.test(text)) return false;
    at = token.lastIndex;
    return true;
  };
  const punct = (char: string): boolean => {
    eat(WHITESPACE);
    if (text[at] !== char) return false;
    at++;
    return true;
  };
  const value = (): boolean => {
    if (punct('{')) {
      if (punct('}')) return true;
      do {
        eat(WHITESPACE);
        if (!eat(STRING) || !punct(':') || !value()) return false;
      } while (punct(','));
      return punct('}');
    }
    if (punct('[')) {
      if (punct(']')) return true;
      do if (!value()) return false;
      while (punct(','));
      return punct(']');
    }
    return eat(STRING) || eat(SCALAR);
  };
  if (value()) eat(WHITESPACE);
  return at;
}
