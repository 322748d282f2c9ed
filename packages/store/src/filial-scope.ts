import type { ExpressionBuilder } from 'kysely';

/** Who asks, as far as filiais go: an empresa, and a filial when the key (or CLI target) is restricted to one. */
export interface FilialCaller {
  empresaId: number;
  filialId: number | null;
}

/**
 * The filial rule, one owner for every tenant object that carries `empresa_filial_id` (integracoes, JSON endpoint
 * services): an empresa-wide caller reads and changes everything of its empresa; a filial caller reads its filial's
 * objects and the empresa-wide ones (`empresa_filial_id` null), and changes only its own filial's. Another filial's
 * object is, for a filial caller, exactly like a missing one.
 */
export function changeableBy(caller: Pick<FilialCaller, 'filialId'>, filialId: number | null): boolean {
  return caller.filialId === null || (filialId !== null && Number(filialId) === caller.filialId);
}

/** The read half of the rule: a filial caller reads its own filial's objects and the empresa-wide ones. */
export function readableBy(caller: Pick<FilialCaller, 'filialId'>, filialId: number | null | undefined): boolean {
  return caller.filialId === null || filialId === null || filialId === undefined || Number(filialId) === caller.filialId;
}

/**
 * The read half of the rule as a WHERE condition on a table's `empresa_filial_id` (the empresa is filtered apart).
 * `column` names it qualified when the statement joins several such tables (`contas.empresa_filial_id`).
 */
export function whereReadableBy(caller: Pick<FilialCaller, 'filialId'> & { empresaId?: number }, column = 'empresa_filial_id') {
  const filialId = caller.filialId;
  // biome-ignore lint/suspicious/noExplicitAny: any table with an empresa_filial_id column.
  return (eb: ExpressionBuilder<any, any>) =>
    filialId === null ? eb.lit(true) : eb.or([eb(column, 'is', null), eb(column, '=', filialId)]);
}

/** The change half of the rule as a WHERE condition: a filial caller's own filial's rows only (the empresa is filtered apart). */
export function whereChangeableBy(caller: Pick<FilialCaller, 'filialId'>) {
  const filialId = caller.filialId;
  // biome-ignore lint/suspicious/noExplicitAny: any table with an empresa_filial_id column.
  return (eb: ExpressionBuilder<any, any>) => (filialId === null ? eb.lit(true) : eb('empresa_filial_id', '=', filialId));
}

/** A filial key tried to change an object it can read but that belongs to the whole empresa (or, via the CLI, another filial). */
export class FilialScopeError extends Error {
  override name = 'FilialScopeError';
  readonly code = 'FILIAL_SCOPE';
  readonly permanent = true;
  readonly params: Record<string, string>;
  constructor(what: string, caller: FilialCaller, filialId: number | null) {
    super(
      `${what} belongs to ${filialId === null ? 'the whole empresa' : `filial ${filialId}`}; a key of filial ${caller.filialId} changes only its own filial's objects`,
    );
    this.params = { what, filial: String(caller.filialId) };
  }
}

/** Throws FilialScopeError unless the caller may change an object of this filial. */
export function assertChangeableBy(caller: FilialCaller, filialId: number | null, what: string): void {
  if (!changeableBy(caller, filialId)) throw new FilialScopeError(what, caller, filialId);
}
