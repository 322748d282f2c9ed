import { flowRefusalOf, type RefusedAction } from '@integrador/integrador';
import { HttpError } from './http-error';

export type { RefusedAction };

/**
 * A dependency-graph error as the API answers it, naming the rows (the engine's flowRefusalOf holds the statuses and
 * the words). Undefined for any other error.
 */
export function flowHttpError(err: unknown, action: RefusedAction): HttpError | undefined {
  const refusal = flowRefusalOf(err, action);
  return refusal && new HttpError(refusal.status, refusal.code, refusal.params, { cause: err });
}
