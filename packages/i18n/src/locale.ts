/** The languages every user-facing text exists in: pt-BR (the default, the product's language) and English. */
export type Locale = 'pt-BR' | 'en';

export const LOCALES: readonly Locale[] = ['pt-BR', 'en'];

export const DEFAULT_LOCALE: Locale = 'pt-BR';

/** The first language of an Accept-Language header that we have (`en…` or `pt…`), else pt-BR. */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  for (const part of String(header ?? '').split(',')) {
    const tag = part.split(';')[0]?.trim().toLowerCase() ?? '';
    if (tag.startsWith('en')) return 'en';
    if (tag.startsWith('pt')) return 'pt-BR';
  }
  return DEFAULT_LOCALE;
}
