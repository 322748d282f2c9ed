/** A run's parameters (seed 001: the values given in the request's URL): text, or JSON scalars from an API body. */
export type Parametros = Record<string, string | number | boolean | null>;

/** The names listed in parametros_obrigatorios (comma separated, as seed 001 writes them). */
export function requiredParameters(integracao: { parametros_obrigatorios: string | null }): string[] {
  return (integracao.parametros_obrigatorios ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The required parameters absent from a run (null and '' count as absent), in the order the row lists them. */
export function missingParameters(integracao: { parametros_obrigatorios: string | null }, parametros: Readonly<Parametros>): string[] {
  return requiredParameters(integracao).filter((name) => {
    const value = parametros[name];
    return value === undefined || value === null || value === '';
  });
}

/** The spellings `parametros.reconciliar` of a GET run accepts (README, GET.md): anything else is refused at admission. */
export const RECONCILIAR_VALUES = ['true', 'false', 'sim', 'não', 'nao', '1', '0'] as const;
const RECONCILIAR_YES = new Set(['true', 'sim', '1']);

/**
 * `parametros.reconciliar` read as a yes/no: true/false, 1/0 and the texts of RECONCILIAR_VALUES (any case); absent,
 * null or '' is no. Undefined for any other value (a typo such as "ture"), which admission refuses.
 */
export function reconcileRequested(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return false;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (!(RECONCILIAR_VALUES as readonly string[]).includes(text)) return undefined;
  return RECONCILIAR_YES.has(text);
}
