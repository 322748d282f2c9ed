import type { ReturnReading } from './return-reader';
import { setOwn } from './value-lookup';

/**
 * Copies source's own enumerable keys onto target, in order, as an object spread would. Spreading a database row
 * (tens of columns) after another object is far slower in V8 than this loop: it runs several times a push.
 */
function copyInto(target: Record<string, unknown>, source: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(source)) setOwn(target, key, source[key]);
}

/**
 * The #var# values of one SET record. Precedence, lowest first: parametros (the request's URL parameters, e.g.
 * contaId) < the consulta row's columns (the CRM's current, typed data) < dependency values (dependencias rows
 * configured precisely to provide a variable, so they win over a column of the same name).
 */
export function planValues(
  row: Readonly<Record<string, unknown>>,
  parametros: Readonly<Record<string, unknown>>,
  dependencyValues: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  copyInto(values, parametros);
  copyInto(values, row);
  copyInto(values, dependencyValues);
  return values;
}

/** The values sql_update sees (seed 001): the planned values, overridden by what the receptor returned (#codCli#). */
export function writeBackValues(
  planned: Readonly<Record<string, unknown>>,
  reading: Pick<ReturnReading, 'values'>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  copyInto(values, planned);
  copyInto(values, reading.values);
  return values;
}
