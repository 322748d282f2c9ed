import { defineCatalogue, type Locale } from '@integrador/i18n';
import { DanglingDependencyError, DependencyCycleError } from '../dependency-graph';
import { getConfigProblemText } from '../get/get-config-messages';
import { placedFindingText } from '../lint-finding';
import { PrerequisiteNotRunnableError } from '../run-plan';
import { StepQueueUnavailableError } from './enqueue-run';
import { RunRefusedError } from './run-errors';

/** What the refused request would have done, for the message ("nada foi enfileirado" / "nothing was saved"). */
export type RefusedAction = 'enqueued' | 'saved';

/**
 * The words of every refusal of the admission path (admitRun's RunRefusedError, the filial rule's FilialScopeError,
 * the dependency graph's errors), one owner for every caller that shows them: the ingress's API, the dashboard's
 * actions. Said from the error's `params` only — never its (English, technical) message, which may name rows or
 * tenants the reader should not see.
 */
export const RUN_REFUSAL_MESSAGES = {
  FILIAL_SCOPE: {
    'pt-BR': '{what} pertence à empresa toda ou a outra filial; a chave da filial {filial} altera só objetos da própria filial',
    en: '{what} belongs to the whole empresa or another filial; a key of filial {filial} changes only its own filial’s objects',
  },
  MISSING_PARAMETERS: {
    'pt-BR': 'parâmetros obrigatórios ausentes: {names} (parametros_obrigatorios da integração); nada foi {acao}',
    en: "missing required parameters: {names} (the integration's parametros_obrigatorios); nothing was {action}",
  },
  INVALID_PARAMETER: {
    'pt-BR': 'parâmetro {name} inválido: esperado um de {expected}, recebido {value}; nada foi enfileirado',
    en: 'invalid parameter {name}: expected one of {expected}, got {value}; nothing was enqueued',
  },
  CONTROL_CHARACTER: {
    'pt-BR':
      'parâmetro {name} inválido: contém um caractere de controle (NUL, U+0001–U+001F exceto tabulação e quebras de linha, U+007F–U+009F); nada foi enfileirado',
    en: 'invalid parameter {name}: it holds a control character (NUL, U+0001–U+001F other than tab and line breaks, U+007F–U+009F); nothing was enqueued',
  },
  ROW_NOT_VISIBLE: {
    'pt-BR': 'a linha {tabela} #{id} não existe nesta empresa (ou pertence a outra filial); nada foi enfileirado',
    en: 'row {tabela} #{id} does not exist in this empresa (or belongs to another filial); nothing was enqueued',
  },
  INTEGRATION_INACTIVE: { 'pt-BR': 'a integração #{id} está inativa', en: 'integration #{id} is inactive' },
  NOT_RUNNABLE: {
    'pt-BR': 'a integração #{id} ({tipo}) não pode ser executada por esta rota: {reason}',
    en: 'integration #{id} ({tipo}) cannot be run by this route: {reason}',
  },
  UNKNOWN_SERVICE_TYPE: {
    'pt-BR':
      'a integração #{id} tem tipo_servico "{tipo}" desconhecido (esperado SET, GET ou INFO); nada foi executado (`config lint` aponta a linha)',
    en: 'integration #{id} has an unknown tipo_servico "{tipo}" (expected SET, GET or INFO); nothing was run (`config lint` names the row)',
  },
  // Also thrown, without params, by a SET's preview (resolveSetTarget): the words need none.
  MISSING_CONNECTION: {
    'pt-BR':
      'a integração não tem uma conexão desta empresa (conexao_integracao_id vazio ou de outra empresa); nada foi executado (`config lint` aponta a linha)',
    en: 'the integration has no connection of this empresa (conexao_integracao_id empty or of another empresa); nothing was run (`config lint` names the row)',
  },
  CONNECTION_FORBIDDEN: {
    'pt-BR':
      'a integração #{id} usa a conexão "{connection}", que o arquivo de conexões restringe a outra empresa; nada foi executado (corrija conexao_integracao.nome_conexao; `config lint` aponta a linha)',
    en: 'integration #{id} uses connection "{connection}", which the connections file restricts to another empresa; nothing was run (fix conexao_integracao.nome_conexao; `config lint` names the row)',
  },
  // A GET or a SET whose configuration its runs would fail on (admitRun's assertConfigured): {motivo} / {reason} is the
  // problem in each language, filled by runRefusalOf — a GET's settings by the GET catalogue (its problem and values),
  // a lint finding (a SET's, or a GET's key or connection) as its row, column, words and code.
  GET_CONFIG: {
    'pt-BR': 'a integração GET #{id} ({nome}) está mal configurada: {motivo}; nada foi enfileirado (`config lint` aponta a linha)',
    en: 'GET integration #{id} ({nome}) is misconfigured: {reason}; nothing was enqueued (`config lint` names the row)',
  },
  SET_CONFIG: {
    'pt-BR': 'a integração SET #{id} ({nome}) está mal configurada: {motivo}; nada foi enfileirado (`config lint` aponta a linha)',
    en: 'SET integration #{id} ({nome}) is misconfigured: {reason}; nothing was enqueued (`config lint` names the row)',
  },
  DEPENDENCY_CYCLE: {
    'pt-BR': 'dependência circular entre as integrações {path} (colunas dependente/depende_de); nada foi {acao}',
    en: 'circular dependency between integracoes {path} (columns dependente/depende_de); nothing was {action}',
  },
  DANGLING_DEPENDENCY: {
    'pt-BR':
      'a integração #{id} ({nome}) coluna {column} aponta para a integração #{missing}, que não existe nesta empresa; nada foi {acao}',
    en: 'integracao #{id} ({nome}) column {column} names integracao #{missing}, which does not exist in this empresa; nothing was {action}',
  },
  // An endpoint service's sync (seed 003; admitEndpointSync): the API, the CLI and the dashboard refuse it alike.
  SERVICE_INACTIVE: {
    'pt-BR': 'o serviço de endpoint #{id} está inativo; nada foi enfileirado',
    en: 'endpoint service #{id} is inactive; nothing was enqueued',
  },
  PREREQUISITE_NOT_RUNNABLE: {
    'pt-BR':
      'a integração #{id} ({nome}), pré-requisito da integração #{triggered}, não pode ser executada ({reason}); nada foi enfileirado',
    en: 'integracao #{id} ({nome}), a prerequisite of integracao #{triggered}, cannot run ({reason}); nothing was enqueued',
  },
} as const;

export type RunRefusalKey = keyof typeof RUN_REFUSAL_MESSAGES;

const CATALOGUE = defineCatalogue(RUN_REFUSAL_MESSAGES);

/** A refusal as an HTTP boundary answers it: its status, its code and the values its message fills in. */
export interface RunRefusal {
  status: number;
  code: RunRefusalKey;
  params: Record<string, string>;
}

// The coded refusals' statuses: bad input 400, the filial rule 403, a row's state 409, its configuration 422.
const STATUS_BY_CODE: Readonly<Partial<Record<string, { status: number; code: RunRefusalKey }>>> = {
  FILIAL_SCOPE: { status: 403, code: 'FILIAL_SCOPE' },
  MISSING_PARAMETERS: { status: 400, code: 'MISSING_PARAMETERS' },
  INVALID_PARAMETER: { status: 400, code: 'INVALID_PARAMETER' },
  CONTROL_CHARACTER: { status: 400, code: 'CONTROL_CHARACTER' },
  INTEGRATION_INACTIVE: { status: 409, code: 'INTEGRATION_INACTIVE' },
  NOT_RUNNABLE: { status: 409, code: 'NOT_RUNNABLE' },
  UNKNOWN_SERVICE_TYPE: { status: 422, code: 'UNKNOWN_SERVICE_TYPE' },
  MISSING_CONNECTION: { status: 422, code: 'MISSING_CONNECTION' },
  CONNECTION_FORBIDDEN: { status: 422, code: 'CONNECTION_FORBIDDEN' },
  GET_CONFIG: { status: 422, code: 'GET_CONFIG' },
  SET_CONFIG: { status: 422, code: 'SET_CONFIG' },
  SERVICE_INACTIVE: { status: 409, code: 'SERVICE_INACTIVE' },
};

const ACTION = { enqueued: 'enfileirado', saved: 'gravado' } as const;

/**
 * A dependency-graph error naming its rows: a cycle is a conflict between rows (409), a reference to a row that does
 * not exist in the empresa is bad input (400), a prerequisite that cannot run 409. Undefined for any other error.
 */
export function flowRefusalOf(err: unknown, action: RefusedAction): RunRefusal | undefined {
  // {acao} fills the pt-BR message, {action} the English one.
  const verb = { acao: ACTION[action], action };
  if (err instanceof DependencyCycleError) {
    const nomeOf = (id: number) => err.nomes[err.ids.indexOf(id)] ?? '';
    const path = err.cycle.path.map((id) => `#${id} (${nomeOf(id)})`).join(' → ');
    return { status: 409, code: 'DEPENDENCY_CYCLE', params: { path, ...verb } };
  }
  if (err instanceof DanglingDependencyError) {
    const d = err.dangling;
    const params = { id: String(d.rowId), nome: d.nome, column: d.column, missing: String(d.missingId), ...verb };
    return { status: 400, code: 'DANGLING_DEPENDENCY', params };
  }
  if (err instanceof PrerequisiteNotRunnableError) {
    const reason =
      err.reason === 'inactive' ? 'ativo = 0' : err.reason === 'componente' ? 'componente' : `tipo_servico ${err.row.tipo_servico}`;
    const params = { id: String(err.row.id), nome: err.row.nome, triggered: String(err.triggeredId), reason };
    return { status: 409, code: 'PREREQUISITE_NOT_RUNNABLE', params };
  }
  if (err instanceof StepQueueUnavailableError) {
    const { step } = err;
    const reason = `fila ${step.queue} sem integration.run / queue ${step.queue} takes no integration.run`;
    const params = { id: String(step.integracaoId), nome: step.nome, triggered: String(err.triggeredId), reason };
    return { status: 409, code: 'PREREQUISITE_NOT_RUNNABLE', params };
  }
  return undefined;
}

/** The admission path's refusal an error is (a coded refusal or a dependency-graph error), or undefined. */
export function runRefusalOf(err: unknown, action: RefusedAction = 'enqueued'): RunRefusal | undefined {
  if (!(err instanceof Error)) return undefined;
  const flow = flowRefusalOf(err, action);
  if (flow) return flow;
  const code = (err as { code?: unknown }).code;
  const entry = typeof code === 'string' ? STATUS_BY_CODE[code] : undefined;
  if (!entry) return undefined;
  const params = (err as { params?: Readonly<Record<string, string>> }).params ?? {};
  // Admission's refusal only: a GetConfigError of a run (same code) names no integracao and is a job's failure.
  if (entry.code === 'GET_CONFIG' || entry.code === 'SET_CONFIG')
    return err instanceof RunRefusedError ? { ...entry, params: configReasons(params) } : undefined;
  return { ...entry, params: { ...params } };
}

/**
 * A configuration refusal's values with its problem worded in each language, {motivo} pt-BR and {reason} English: a
 * GET's settings from the GET catalogue (its problem and values), a lint finding as its row, column, words and code.
 */
function configReasons(params: Readonly<Record<string, string>>): Record<string, string> {
  const worded = (locale: Locale, given: string | undefined) => {
    if (params.codigo !== undefined && given !== undefined) return placedFindingText(locale, params, given);
    return getConfigProblemText(locale, params) ?? given ?? params.problema ?? '';
  };
  return { ...params, motivo: worded('pt-BR', params.motivo), reason: worded('en', params.reason) };
}

/** A refusal in the reader's language, its placeholders filled. */
export function runRefusalMessage(locale: Locale, refusal: Pick<RunRefusal, 'code' | 'params'>): string {
  return CATALOGUE.message(locale, refusal.code, refusal.params);
}
