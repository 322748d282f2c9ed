export type RuleConfigErrorCode = 'UNKNOWN_RULE' | 'INVALID_PARAMETERS' | 'INVALID_CAMPO';

/** A text about a regra in each language (one language per text): what config lint and admission quote. */
export type RuleProblemText = Readonly<Record<'pt-BR' | 'en', string>>;

/**
 * A regras row that cannot run (unknown tipo, bad parametros, bad campo); permanent: retrying cannot fix the row.
 * `message` is the English text; `text` has it in each language, for the messages that quote it (config lint, SET_CONFIG).
 */
export class RuleConfigError extends Error {
  override name = 'RuleConfigError';
  readonly permanent = true;
  constructor(
    readonly code: RuleConfigErrorCode,
    readonly regraId: number,
    readonly text: RuleProblemText,
    options?: ErrorOptions,
  ) {
    super(text.en, options);
  }
}

/** A value the request carries breaks a regra (required and empty, not a date, not a number…); permanent for this record. */
export class RuleViolationError extends Error {
  override name = 'RuleViolationError';
  readonly code = 'RULE_VIOLATION';
  readonly permanent = true;
  constructor(
    readonly regraId: number,
    readonly campo: string,
    /** The concrete path, with array indexes (`enderecosEntrega[1].cepEnt`). */
    readonly path: string,
    readonly tipo: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`regra #${regraId} (${tipo}) on "${path}": expected ${expected}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'no field';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date ${value.toISOString()}`;
  const text = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
