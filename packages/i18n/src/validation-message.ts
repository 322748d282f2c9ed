import localize from 'ajv-i18n';
import { fillTemplate } from './catalogue';
import type { Locale } from './locale';

/** One issue of a JSON-schema validation, as ajv (Fastify's validator) reports it. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** What a text field with a pattern takes, in words, by its pattern (a 400 names the rule, never the expression). */
export type PatternTakes = (pattern: string) => Readonly<Record<Locale, string>> | undefined;

/** A refused field in a sentence: the /v1 API's and the dashboard API's one wording. */
export const VALIDATION_TEMPLATE = { 'pt-BR': 'campo "{field}" {message}', en: 'field "{field}" {message}' } as const;

/** Names a failing field as "<where>.<path>", e.g. "body.sleepMs" or "querystring.limit". */
function fieldName(issue: ValidationIssue, context: string | undefined): string {
  const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
  const path = [...issue.instancePath.split('/').filter(Boolean), ...(extra === undefined ? [] : [String(extra)])];
  return [context ?? 'body', ...path].join('.');
}

const valuesOf = (issue: ValidationIssue): unknown[] | undefined => {
  const params = issue.params as { allowedValue?: unknown; allowedValues?: unknown[] };
  if (issue.keyword === 'const') return [params.allowedValue];
  if (issue.keyword === 'enum') return params.allowedValues;
  return issue.keyword === 'type' && issue.params.type === 'null' ? [null] : undefined;
};

const isUnion = (issue: ValidationIssue) => issue.keyword === 'anyOf' || issue.keyword === 'oneOf';

/**
 * The values every branch of a failed union allows, a branch that is itself a union of values counted through
 * (Union([Union(['a','b']), 'c']) allows a, b and c); undefined when a branch takes another shape.
 */
function unionValues(issues: readonly ValidationIssue[], union: ValidationIssue): unknown[] | undefined {
  const branches = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    if (issue === union || !issue.schemaPath.startsWith(`${union.schemaPath}/`)) continue;
    // A branch that failed deeper inside the value (an object's field) is not a list of values.
    if (issue.instancePath !== union.instancePath) return undefined;
    const branch = issue.schemaPath.slice(union.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(branch, [...(branches.get(branch) ?? []), issue]);
  }
  const values: unknown[] = [];
  for (const [branch, own] of branches) {
    const nested = own.find((e) => isUnion(e) && e.schemaPath === `${union.schemaPath}/${branch}/${e.keyword}`);
    const found = nested ? unionValues(own, nested) : own.map(valuesOf).find((v) => v !== undefined);
    if (!found) return undefined;
    values.push(...found);
  }
  return values.length ? [...new Set(values)] : undefined;
}

/**
 * The values a failed enum, const or anyOf / oneOf of them allows (TypeBox writes a union of literals as an anyOf of
 * consts, and ajv's message names none of them): the outermost union over the failing value, so a nested union
 * lists every accepted value; undefined when the field takes other shapes too.
 */
function allowedValues(issues: readonly ValidationIssue[], first: ValidationIssue): unknown[] | undefined {
  const unions = issues.filter(
    (e) => isUnion(e) && e.instancePath === first.instancePath && first.schemaPath.startsWith(`${e.schemaPath}/`),
  );
  const outermost = unions.sort((a, b) => a.schemaPath.length - b.schemaPath.length)[0];
  if (!outermost) return first.keyword === 'type' ? undefined : valuesOf(first);
  return unionValues(issues, outermost);
}

/** At most this many values are listed, then "…" (a union of hundreds of literals would be a page of text). */
const MAX_LISTED_VALUES = 20;

function allowedText(values: unknown[], locale: Locale): string {
  const shown = values.slice(0, MAX_LISTED_VALUES).map((v) => JSON.stringify(v));
  const list = [...shown, ...(values.length > MAX_LISTED_VALUES ? ['…'] : [])].join(', ');
  if (values.length === 1) return locale === 'en' ? `must be ${list}` : `deve ser ${list}`;
  return locale === 'en' ? `must be one of: ${list}` : `deve ser um destes valores: ${list}`;
}

/**
 * A schema's refusal in the reader's language: the first issue's field ("body.foo") and what is wrong with it ("não é
 * permitido"), and both in a sentence (`message`, VALIDATION_TEMPLATE). ajv's own (English) text only in English.
 */
export function validationMessage(
  issues: readonly ValidationIssue[],
  locale: Locale,
  context: string | undefined,
  patternTakes?: PatternTakes,
): { field: string; text: string; message: string } {
  const localized = issues.map((e) => ({ ...e }));
  // ajv-i18n rewrites `message` in place; English is ajv's own text.
  if (locale === 'pt-BR') localize['pt-BR'](localized as Parameters<(typeof localize)['pt-BR']>[0]);
  const first = localized[0] as ValidationIssue;
  const field = fieldName(first, context);
  let text = first.message ?? (locale === 'en' ? 'is invalid' : 'inválido');
  if (first.keyword === 'additionalProperties') text = locale === 'en' ? 'is not allowed' : 'não é permitido';
  if (first.keyword === 'required') text = locale === 'en' ? 'is required' : 'é obrigatório';
  // ajv-i18n's pt-BR says "não deve ser mais curta que 1 caracter" (gender and spelling off): the lengths in our words.
  const limit = Number(first.params.limit);
  if (first.keyword === 'minLength' && limit === 1) text = locale === 'en' ? 'must not be empty' : 'não pode ser vazio';
  else if (first.keyword === 'minLength' && locale === 'pt-BR') text = `deve ter pelo menos ${limit} caracteres`;
  if (first.keyword === 'maxLength' && locale === 'pt-BR') text = `deve ter no máximo ${limit} caractere${limit === 1 ? '' : 's'}`;
  const takes = first.keyword === 'pattern' ? patternTakes?.(String(first.params.pattern)) : undefined;
  if (takes) text = locale === 'en' ? `must have ${takes.en}` : `deve ter ${takes['pt-BR']}`;
  const values = allowedValues(issues, first);
  if (values) text = allowedText(values, locale);
  return { field, text, message: fillTemplate(VALIDATION_TEMPLATE[locale], { field, message: text }) };
}
