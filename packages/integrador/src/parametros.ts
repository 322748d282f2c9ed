import { CONTROL_CHARACTERS } from '@integrador/jobs';

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

/** The control characters refused in text: @integrador/jobs owns the rule (one rule for every package). */
export { CONTROL_CHARACTERS };

const CONTROL_CHARACTER = new RegExp(`[${CONTROL_CHARACTERS}]`);

/**
 * The first parameter whose text value holds a control character (Unicode Cc but tab, line feed, carriage return), or
 * undefined. SQLite's numeric conversion stops at a NUL (`"11\u0000xyz"` finds row 11) and XML 1.0 cannot carry one:
 * admission refuses such a value rather than run on a row other than the one sent.
 */
export function controlCharacterParameter(parametros: Readonly<Record<string, unknown>>): string | undefined {
  return Object.keys(parametros).find((name) => {
    const value = parametros[name];
    return typeof value === 'string' && CONTROL_CHARACTER.test(value);
  });
}

/** One word of a table name in the singular, by Portuguese plural endings (integracoes → integracao, itens → item). */
function singular(word: string): string {
  const endings: readonly (readonly [string, string])[] = [
    ['oes', 'ao'],
    ['aes', 'ao'],
    ['ais', 'al'],
    ['eis', 'el'],
    ['ois', 'ol'],
    ['ns', 'm'],
    ['res', 'r'],
    ['zes', 'z'],
    ['s', ''],
  ];
  for (const [plural, replacement] of endings) {
    if (word.length > plural.length + 1 && word.endsWith(plural)) return word.slice(0, -plural.length) + replacement;
  }
  return word;
}

/**
 * The run parameter that names a row of a CRM table: the table in the singular, camelCase, + `Id` — contas →
 * contaId (seed 001's `WHERE c.id = #contaId#`), contatos → contatoId, oportunidades → oportunidadeId, atividades →
 * atividadeId, eventos → eventoId, servicos_endpoint → servicoEndpointId: the CRM's own foreign keys (conta_id,
 * contato_id, servico_endpoint_id) in camelCase.
 */
export function rowIdParameter(tabela: string): string {
  const words = tabela.trim().toLowerCase().split('_').filter(Boolean).map(singular);
  return `${words.map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1))).join('')}Id`;
}

/**
 * The parametros a CRM change gives its table's SET integrations: the caller's, plus the changed row's id under
 * rowIdParameter(tabela) unless the caller sent that name itself (explicit parametros win). The id only names the
 * row: the engine reads it within the caller's tenant (another empresa's id finds nothing).
 */
export function changeParametros(tabela: string, id: string | number | undefined, parametros: Readonly<Parametros>): Parametros {
  const name = rowIdParameter(tabela);
  if (id === undefined || (parametros[name] !== undefined && parametros[name] !== null && parametros[name] !== ''))
    return { ...parametros };
  return { ...parametros, [name]: id };
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
