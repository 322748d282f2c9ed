import type { MessageParams } from '@integrador/i18n';
import { type ConnectionsProblemCode, problemText } from './messages';

/** The variables `${NAME}` references resolve from; passed in by the caller, since only packages/config reads the environment. */
export type EnvMap = Readonly<Record<string, string | undefined>>;

export interface ReferenceProblem {
  /** Dotted path of the string that holds the reference. */
  field: string;
  message: string;
  code?: ConnectionsProblemCode;
  params?: MessageParams;
}

// `$${` is the escape for a literal `${`.
const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const NAME = /^[A-Z_][A-Z0-9_]*$/;

/** The variable names a string's `${NAME}` references name (an escaped `$${` names none), in order, once each. */
export function referencedVariables(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  const names = [...text.matchAll(REFERENCE)].filter((match) => !match[1] && NAME.test(match[2] ?? '')).map((match) => match[2] ?? '');
  return [...new Set(names)];
}

/** Returns a copy of a parsed value with `${NAME}` replaced in every string, and one problem per unresolved reference. */
export function resolveEnvReferences(value: unknown, env: EnvMap): { value: unknown; problems: ReferenceProblem[] } {
  const problems: ReferenceProblem[] = [];
  return { value: resolve(value, env, [], problems), problems };
}

function resolve(value: unknown, env: EnvMap, path: string[], problems: ReferenceProblem[]): unknown {
  if (typeof value === 'string') return resolveString(value, env, path.join('.'), problems);
  if (Array.isArray(value)) return value.map((item, index) => resolve(item, env, [...path, String(index)], problems));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, env, [...path, key], problems)]));
}

function resolveString(text: string, env: EnvMap, field: string, problems: ReferenceProblem[]): string {
  return text.replace(REFERENCE, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!NAME.test(name)) {
      problems.push({ field, ...problemText('INVALID_REFERENCE', { reference: `\${${name}}` }) });
      return whole;
    }
    const resolved = env[name];
    // Empty counts as unset, as in packages/config.
    if (resolved === undefined || resolved === '') {
      problems.push({ field, ...problemText('VARIABLE_NOT_SET', { name }) });
      return whole;
    }
    return resolved;
  });
}
