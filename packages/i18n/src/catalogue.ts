import type { Locale } from './locale';

/** Values of a message's {placeholders}. */
export type MessageParams = Readonly<Record<string, string | number>>;

/** A domain's messages: per code, one template per locale (`{name}` marks a placeholder). */
export type MessageTable<Code extends string = string> = Readonly<Record<Code, Readonly<Record<Locale, string>>>>;

/**
 * Fills a template's `{name}` placeholders. A placeholder without a value stays as written (`{name}`): a message
 * that lost a value shows it, instead of a sentence with a silent gap.
 */
export function fillTemplate(template: string, params: MessageParams = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
}

/** One domain's message table with the one way to render it. */
export interface Catalogue<Code extends string> {
  readonly table: MessageTable<Code>;
  /** The code's text in the locale with its placeholders filled. */
  message(locale: Locale, code: Code, params?: MessageParams): string;
  /** Whether the table has this code (for codes read back from storage). */
  has(code: string): code is Code;
}

/** The catalogue of one domain (ingress errors, webhooks, endpoint services…): every module renders through one. */
export function defineCatalogue<Code extends string>(table: MessageTable<Code>): Catalogue<Code> {
  return {
    table,
    message: (locale, code, params) => fillTemplate(table[code][locale], params),
    has: (code): code is Code => Object.hasOwn(table, code),
  };
}

/**
 * Texts shaped as an object per locale (the CLI's: labels and functions with typed arguments): both locales must
 * have every entry (a missing one is a compile error), and the reader picks one by locale.
 */
export function defineTexts<Texts>(texts: Readonly<Record<Locale, Texts>>): (locale: Locale) => Texts {
  return (locale) => texts[locale];
}

/**
 * A count with its noun in the right number, `1 falha` / `2 falhas`: one form for exactly one, the other for the rest
 * (0 included, as pt-BR and English texts write "0 falhas" / "0 failures"). Both forms are given in the text's own
 * language, so a message never shows "1 falhas" nor a "falha(s)" hedge.
 */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
