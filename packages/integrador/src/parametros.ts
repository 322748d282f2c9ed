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
