import type { ReturnReading } from './return-reader';

/**
 * The #var# values of one SET record. Precedence, lowest first: parametros (the request's URL parameters, e.g.
 * contaId) < the consulta row's columns (the CRM's current, typed data) < dependency values (dependencias rows
 * configured precisely to provide a variable, so they win over a column of the same name).
 */
export function planValues(
  row: Readonly<Record<string, unknown>>,
  parametros: Readonly<Record<string, string>>,
  dependencyValues: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return { ...parametros, ...row, ...dependencyValues };
}

/** The values sql_update sees (seed 001): the planned values, overridden by what the receptor returned (#codCli#). */
export function writeBackValues(
  planned: Readonly<Record<string, unknown>>,
  reading: Pick<ReturnReading, 'values'>,
): Record<string, unknown> {
  return { ...planned, ...reading.values };
}
