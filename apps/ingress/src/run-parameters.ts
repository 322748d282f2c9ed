import type { Integracao } from '@integrador/store';

export type Parametros = Record<string, string | number | boolean | null>;

/** The names listed in parametros_obrigatorios (comma separated, as seed 001 writes them). */
export function requiredParameters(integracao: Pick<Integracao, 'parametros_obrigatorios'>): string[] {
  return (integracao.parametros_obrigatorios ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The required parameters absent from the request (null and '' count as absent). */
export function missingParameters(integracao: Pick<Integracao, 'parametros_obrigatorios'>, parametros: Parametros): string[] {
  return requiredParameters(integracao).filter((name) => {
    const value = parametros[name];
    return value === undefined || value === null || value === '';
  });
}
