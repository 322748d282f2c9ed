import { ConfigError } from './load-config';

/** The languages a command-line user may ask for (packages/i18n's locales). */
export type PreferredLocale = 'pt-BR' | 'en';

/** POSIX's order: LC_ALL overrides LC_MESSAGES, which overrides LANG; an empty one counts as unset. */
const POSIX_VARIABLES = ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const;

/** A locale name (`en_US.UTF-8`, `pt_BR`, `en`) as one of ours; `C`, `POSIX` and other languages give undefined. */
function fromLocaleName(value: string): PreferredLocale | undefined {
  const language = value
    .trim()
    .toLowerCase()
    .split(/[_.@-]/)[0];
  if (language === 'en') return 'en';
  if (language === 'pt') return 'pt-BR';
  return undefined;
}

/**
 * The language the environment asks a command-line tool to speak: INTEGRADOR_LANG (`pt-BR` or `en`, also `en_US` …),
 * else the first set of LC_ALL / LC_MESSAGES / LANG when it is English or Portuguese; undefined otherwise (`C`,
 * `POSIX`, another language, nothing set), so the caller's default applies. An INTEGRADOR_LANG naming no language
 * of ours throws a ConfigError naming it: it was set on purpose, and a silent fallback would hide the typo.
 */
export function preferredLocale(source: NodeJS.ProcessEnv = process.env): PreferredLocale | undefined {
  const chosen = source.INTEGRADOR_LANG?.trim();
  if (chosen) {
    const locale = fromLocaleName(chosen);
    if (!locale) throw new ConfigError('INTEGRADOR_LANG', JSON.stringify(chosen));
    return locale;
  }
  const posix = POSIX_VARIABLES.map((name) => source[name]?.trim()).find((value) => value);
  return posix ? fromLocaleName(posix) : undefined;
}
