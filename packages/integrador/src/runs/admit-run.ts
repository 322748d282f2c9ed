import type { ConnectionsRegistry } from '@integrador/connections';
import {
  assertChangeableBy,
  type ConexaoIntegracao,
  type Database,
  dialectOfHandle,
  findIntegracao,
  type Integracao,
  type IntegradorConfiguration,
  type Tenant,
} from '@integrador/store';
import type { Kysely } from 'kysely';
import { runFailures } from '../config-lint';
import { knownConnections } from '../connection-kind';
import { consultaTables } from '../consulta-lint';
import { crmTableShapes } from '../crm-table-shapes';
import { GetConfigError } from '../get/get-errors';
import { parseGetSettings } from '../get/get-settings';
import { formatFinding } from '../lint-finding';
import { controlCharacterParameter, missingParameters, type Parametros, RECONCILIAR_VALUES, reconcileRequested } from '../parametros';
import { type PlannedStep, type PlanRow, planIntegrationRun } from '../run-plan';
import { isConfigurationRefusal, RunRefusedError } from './run-errors';
import { queueForTipo, type RunQueue, runnability, SERVICE_TYPES } from './runnability';
import { type RunTenant, runTenantOf } from './tenant-scope';

/** What the run is for: a queued run (SET/GET), an INFO lookup, or a dry run (preview) of a SET/INFO row. */
export type RunPurpose = 'run' | 'info' | 'preview';

/** The tenant that asks (an API key, the CLI's --empresa/--filial, a job's payload). */
export type RunCaller = Pick<Tenant, 'empresaId' | 'filialId'>;

export interface AdmissionRequest {
  tenant: RunCaller;
  integracaoId: number;
  /** The values the run will see (with upstream values in a flow), for parametros_obrigatorios. */
  parametros: Readonly<Parametros> | Readonly<Record<string, unknown>>;
  purpose?: RunPurpose;
  /** False for steps whose values come from elsewhere (a scheduler's run, a flow's prerequisite). */
  checkParameters?: boolean;
  /** The connections file, when the caller has one: a connection it restricts to another empresa is refused here. */
  connections?: ConnectionsRegistry;
  /**
   * A CRM change event's run (acknowledged with a 202, so nothing may be lost): a configuration refusal
   * (isConfigurationRefusal: GET_CONFIG, …) does not refuse it. The flow is enqueued and the misconfigured step fails in
   * its worker with that refusal, a failed job an operator sees and retries once the configuration is fixed. The
   * interactive callers (the run API, the dashboard, the CLI) leave it unset and answer the refusal (422).
   */
  deferConfiguration?: boolean;
  /**
   * Whose configuration the GET_CONFIG / SET_CONFIG checks read: 'plan' (the default) every step of the run's plan, for
   * the callers that refuse before anything is enqueued (the run API, the dashboard, the CLI); 'own' the requested row
   * alone, for a worker's job (createJobAdmission): every step of a flow is admitted again by its own job, so a
   * misconfigured step fails its own job, never a healthy prerequisite's or follower's.
   */
  configurationScope?: ConfigurationScope;
}

/** See AdmissionRequest.configurationScope. */
export type ConfigurationScope = 'plan' | 'own';

/** An admitted run: the row, the tenant its SQL is bound to, its queue and its dependency plan (run order). */
export interface AdmittedRun {
  integracao: Integracao;
  conexao: ConexaoIntegracao | undefined;
  /** Bound into every CRM statement of the run: the caller's empresa, and the row's filial (else the key's). */
  runTenant: RunTenant;
  queue: RunQueue | null;
  /** Purpose run: the prerequisites first, this integration last. Other purposes: this integration alone. */
  plan: PlannedStep[];
}

/** The dependency columns of every integracao of one empresa (the graph is per empresa; other tenants' rows are never read). */
export function loadPlanRows(db: Kysely<Database>, empresaId: number): Promise<(PlanRow & Pick<Integracao, 'empresa_filial_id'>)[]> {
  return db
    .selectFrom('integracao')
    .select(['id', 'nome', 'empresa_id', 'ordem', 'dependente', 'depende_de', 'tipo_servico', 'ativo', 'link', 'empresa_filial_id'])
    .where('empresa_id', '=', empresaId)
    .orderBy('ordem')
    .orderBy('id')
    .execute();
}

function label(row: Integracao): string {
  return `integracao #${row.id} (${row.nome})`;
}

function assertPurpose(row: Integracao, purpose: RunPurpose): void {
  const { active, componente, tipo } = runnability(row);
  const id = String(row.id);
  const nome = row.nome;
  // A tipo_servico seed 001 does not know (a typo such as SETT) is refused by every purpose alike, preview included,
  // naming it as unknown rather than as a type this route does not take.
  if (!componente && !SERVICE_TYPES.includes(tipo))
    throw new RunRefusedError(
      'UNKNOWN_SERVICE_TYPE',
      `${label(row)} has an unknown tipo_servico "${row.tipo_servico}" (expected SET, GET or INFO)`,
      {
        id,
        nome,
        tipo: row.tipo_servico,
      },
    );
  if (purpose === 'preview') return;
  if (!active) throw new RunRefusedError('INTEGRATION_INACTIVE', `${label(row)} is inactive (ativo = 0)`, { id, nome });
  const wanted = purpose === 'info' ? ['INFO'] : ['SET', 'GET'];
  const reason = componente ? 'componente' : wanted.includes(tipo) ? null : tipo === 'INFO' ? '/info' : wanted.join(', ');
  if (reason) {
    throw new RunRefusedError('NOT_RUNNABLE', `${label(row)} (${row.tipo_servico}) cannot run here: ${reason}`, {
      id,
      nome,
      tipo: row.tipo_servico,
      reason,
    });
  }
}

/**
 * A GET writes the ERP's rows into the CRM as its run's filial (tenant-scope.ts: the row's filial, else the caller's):
 * an empresa-wide GET run by a filial key would move the empresa's rows into that filial. An empresa-wide GET belongs
 * to the whole empresa, which a filial key may not change (the filial rule of packages/store, as for pausing its
 * schedule): 403 FILIAL_SCOPE, for the GET itself and for a GET step of its flow. A SET by a filial key runs bound to
 * the key's filial (it reads and writes back only what that filial may read), so it is admitted.
 */
function assertGetRunnableBy(tenant: RunCaller, row: Pick<Integracao, 'id' | 'nome' | 'tipo_servico' | 'empresa_filial_id'>): void {
  if (queueForTipo(row.tipo_servico) !== 'get') return;
  assertChangeableBy(tenant, row.empresa_filial_id, `GET integracao #${row.id} (${row.nome})`);
}

async function ownConnection(db: Kysely<Database>, row: Integracao): Promise<ConexaoIntegracao | undefined> {
  if (row.conexao_integracao_id === null) return undefined;
  const conexao = await db.selectFrom('conexao_integracao').selectAll().where('id', '=', row.conexao_integracao_id).executeTakeFirst();
  // A conexao_integracao row of another empresa is not this tenant's: as if it did not exist (null empresa_id = shared).
  if (!conexao || (conexao.empresa_id !== null && conexao.empresa_id !== row.empresa_id)) {
    throw new RunRefusedError(
      'MISSING_CONNECTION',
      `${label(row)} conexao_integracao_id: expected a conexao_integracao row of empresa ${row.empresa_id}, found ${row.conexao_integracao_id}${conexao ? ` of empresa ${conexao.empresa_id}` : ' (no such row)'}`,
      { id: String(row.id) },
    );
  }
  return conexao;
}

/**
 * The connections file's empresa restriction (`empresaId`), refused at admission like a foreign conexao_integracao row
 * rather than by the worker after a 202. A name the file lacks is left to the worker: its file may differ from the caller's.
 */
function assertConnectionOpen(row: Integracao, conexao: ConexaoIntegracao | undefined, connections: ConnectionsRegistry | undefined): void {
  if (!conexao || !connections || row.empresa_id === null) return;
  if (!connections.get(conexao.nome_conexao) || connections.usableBy(conexao.nome_conexao, row.empresa_id)) return;
  throw new RunRefusedError(
    'CONNECTION_FORBIDDEN',
    `${label(row)} conexao_integracao #${conexao.id}: connection "${conexao.nome_conexao}" is restricted by the connections file to another empresa; empresa ${row.empresa_id} may not use it`,
    { id: String(row.id), nome: row.nome, connection: conexao.nome_conexao },
  );
}

/**
 * The connections file's restriction for the other steps of a run's plan (its prerequisites and followers): a step on a
 * connection restricted to another empresa refuses the whole run, as the triggered integration's own would. A step whose
 * conexao_integracao row is missing or another empresa's is left to its worker (MISSING_CONNECTION when it runs).
 */
async function assertPlanConnectionsOpen(
  db: Kysely<Database>,
  empresaId: number,
  plan: readonly PlannedStep[],
  triggered: number,
  connections: ConnectionsRegistry,
): Promise<void> {
  const ids = plan.map((step) => step.integracaoId).filter((id) => id !== triggered);
  if (!ids.length) return;
  const rows = await db.selectFrom('integracao').selectAll().where('empresa_id', '=', empresaId).where('id', 'in', ids).execute();
  for (const row of rows) {
    const conexao = await ownConnection(db, row).catch(() => undefined);
    assertConnectionOpen(row, conexao, connections);
  }
}

/**
 * A run's configuration as its engine reads it, checked before a 202 (trial L2: `config lint` reported it, the run was
 * admitted all the same and failed in the worker): each GET of the plan by its settings (parseGetSettings: GET_CONFIG,
 * worded by the GET catalogue), then each SET and GET by the lint errors its runs would certainly fail on (runFailures:
 * SET_CONFIG or GET_CONFIG, worded by the lint finding: a SET's rules, mappings, consulta and link, a GET's key against
 * its CRM table and its connection's kind). 422, naming the row and the problem in the reader's language
 * (run-refusals.ts). Only the tenant's own rows are read (its empresa's configuration).
 */
async function assertConfigured(
  db: Kysely<Database>,
  empresaId: number,
  triggered: { row: Integracao; conexao: ConexaoIntegracao | undefined },
  plan: readonly PlannedStep[],
  connections: ConnectionsRegistry | undefined,
): Promise<void> {
  // The triggered integration first (its row already read), then its flow's other steps in run order.
  const others = plan.map((step) => step.integracaoId).filter((id) => id !== triggered.row.id);
  const found = others.length
    ? await db.selectFrom('integracao').selectAll().where('empresa_id', '=', empresaId).where('id', 'in', others).execute()
    : [];
  const rows = [triggered.row, ...others.flatMap((id) => found.filter((row) => row.id === id))];
  for (const row of rows) assertGetConfigured(row);
  const linted = rows.filter((row) => ['SET', 'GET'].includes(runnability(row).tipo));
  if (!linted.length) return;
  const configuration = await runConfiguration(db, empresaId, linted, triggered.conexao);
  const { tables, upserted } = crmTablesRead(configuration);
  const crmTables = await crmTableShapes(db, dialectOfHandle(db), tables, { uniqueKeysOf: upserted });
  const ids = linted.map((row) => row.id);
  const [failure] = runFailures(configuration, connections && knownConnections(connections), ids, crmTables);
  if (!failure) return;
  const row = rows.find((r) => r.id === failure.integracaoId) as Integracao;
  const code = runnability(row).tipo === 'GET' ? 'GET_CONFIG' : 'SET_CONFIG';
  throw configRefusal(code, row, `${label(row)}: ${formatFinding(failure, 'en')}`, {
    codigo: failure.code,
    tabela: failure.table,
    linha: String(failure.rowId),
    coluna: failure.column,
    motivo: failure.message['pt-BR'],
    reason: failure.message.en,
  });
}

/**
 * What runFailures reads of the SET and GET rows: the rows, a SET's campos and regras, and their connection rows (the
 * empresa's or shared; the triggered row's, already read, is not read again). Each of those checks reads one row and
 * its own children, so the rest of the empresa's configuration is not loaded.
 */
async function runConfiguration(
  db: Kysely<Database>,
  empresaId: number,
  rows: Integracao[],
  known: ConexaoIntegracao | undefined,
): Promise<IntegradorConfiguration> {
  const sets = rows.filter((row) => runnability(row).tipo === 'SET').map((row) => row.id);
  const conexaoIds = [
    ...new Set(
      rows.flatMap((row) =>
        row.conexao_integracao_id === null || row.conexao_integracao_id === known?.id ? [] : [row.conexao_integracao_id],
      ),
    ),
  ];
  const [campos, regras, conexoes] = await Promise.all([
    sets.length === 0 ? [] : db.selectFrom('campos_integracao').selectAll().where('integracao_id', 'in', sets).execute(),
    sets.length === 0 ? [] : db.selectFrom('regras').selectAll().where('integracao_id', 'in', sets).execute(),
    conexaoIds.length === 0
      ? []
      : db
          .selectFrom('conexao_integracao')
          .selectAll()
          .where('id', 'in', conexaoIds)
          .where((eb) => eb.or([eb('empresa_id', 'is', null), eb('empresa_id', '=', empresaId)]))
          .execute(),
  ]);
  return { integracoes: rows, campos, regras, dependencias: [], conexoes: known ? [known, ...conexoes] : conexoes };
}

/**
 * The CRM tables those checks compare against: what a SET's consulta reads (its columns), the table a GET's built-in
 * upsert writes (its columns and unique indexes, `upserted`).
 */
function crmTablesRead(configuration: IntegradorConfiguration): { tables: Set<string>; upserted: Set<string> } {
  const upserted = new Set(
    configuration.integracoes.flatMap((row) => {
      if (queueForTipo(row.tipo_servico) !== 'get') return [];
      const settings = parseGetSettings(row);
      return settings.write === 'upsert' && settings.table !== null ? [settings.table] : [];
    }),
  );
  return { tables: new Set([...consultaTables(configuration), ...upserted]), upserted };
}

/** A GET's settings as its run reads them (parseGetSettings): GET_CONFIG naming the problem (the GET catalogue's). */
function assertGetConfigured(row: Integracao): void {
  if (queueForTipo(row.tipo_servico) !== 'get') return;
  try {
    parseGetSettings(row);
  } catch (err) {
    if (!(err instanceof GetConfigError)) throw err;
    const values = Object.fromEntries(Object.entries(err.params ?? {}).map(([k, v]) => [k, String(v)]));
    throw configRefusal('GET_CONFIG', row, err.message, values);
  }
}

/** A row refused for its configuration (GET_CONFIG, SET_CONFIG): the row named, the problem's values for its wording. */
function configRefusal(code: 'GET_CONFIG' | 'SET_CONFIG', row: Integracao, message: string, values: Record<string, string>) {
  return new RunRefusedError(code, message, { ...values, id: String(row.id), nome: row.nome });
}

/** Runs admission's configuration checks; deferred (an event's run), their configuration refusals are left to the worker. */
async function unlessDeferred(deferred: boolean, checks: () => Promise<void>): Promise<void> {
  try {
    await checks();
  } catch (err) {
    if (!deferred || !isConfigurationRefusal(err)) throw err;
  }
}

/** What admission reads from the database for (tenant, integracao, purpose): the same for every job of that key. */
export interface LoadedAdmission {
  integracao: Integracao;
  conexao: ConexaoIntegracao | undefined;
  queue: RunQueue | null;
  plan: PlannedStep[];
  /** A refusal found after the row-level checks (connection, dependency plan): thrown after the parameter check. */
  refusal?: unknown;
}

/**
 * The database half of admission: the tenant's row, runnable for the purpose, its own connection and (purpose run)
 * an intact dependency plan. Refusals throw; nothing here depends on the request's parametros.
 */
export async function loadAdmission(
  db: Kysely<Database>,
  tenant: RunCaller,
  integracaoId: number,
  purpose: RunPurpose = 'run',
  connections?: ConnectionsRegistry,
  deferConfiguration = false,
  configurationScope: ConfigurationScope = 'plan',
): Promise<LoadedAdmission> {
  const integracao = await findIntegracao(db, { ...tenant, nome: '' }, integracaoId);
  if (!integracao) {
    throw new RunRefusedError('NOT_FOUND', `integracao #${integracaoId} does not exist for empresa ${tenant.empresaId}`);
  }
  assertPurpose(integracao, purpose);
  const queue = queueForTipo(integracao.tipo_servico);
  if (purpose === 'run') assertGetRunnableBy(tenant, integracao);
  try {
    const conexao = await ownConnection(db, integracao);
    assertConnectionOpen(integracao, conexao, connections);
    let plan: PlannedStep[];
    if (purpose === 'run') {
      const rows = await loadPlanRows(db, tenant.empresaId);
      plan = planIntegrationRun(rows, integracao.id);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const step of plan) {
        const row = byId.get(step.integracaoId);
        if (row) assertGetRunnableBy(tenant, row);
      }
      // A step on another empresa's connection is refused as such, for every caller, before its configuration is read.
      if (connections) await assertPlanConnectionsOpen(db, tenant.empresaId, plan, integracao.id, connections);
      // The configuration checks come last: an event's run (deferConfiguration) passes only their refusals, not the above.
      // A worker's job ('own') checks its own row only: its flow's other steps are checked by their own jobs.
      const checked = configurationScope === 'own' ? [] : plan;
      const triggered = { row: integracao, conexao };
      await unlessDeferred(deferConfiguration, () => assertConfigured(db, tenant.empresaId, triggered, checked, connections));
    } else {
      plan = [{ integracaoId: integracao.id, nome: integracao.nome, queue: queue ?? 'set' }];
      if (connections) await assertPlanConnectionsOpen(db, tenant.empresaId, plan, integracao.id, connections);
    }
    return { integracao, conexao, queue, plan };
  } catch (refusal) {
    // Kept for completeAdmission, so that a missing parameter is still reported before a connection or plan error.
    return { integracao, conexao: undefined, queue, plan: [], refusal };
  }
}

/** The request half of admission, run for every request even when the database half is cached: parametros, tenant binding. */
export function completeAdmission(loaded: LoadedAdmission, request: AdmissionRequest): AdmittedRun {
  const { integracao } = loaded;
  if (request.checkParameters !== false) {
    const unreadable = controlCharacterParameter(request.parametros);
    if (unreadable !== undefined) {
      throw new RunRefusedError('CONTROL_CHARACTER', `${label(integracao)}: parameter ${unreadable} holds a control character`, {
        name: unreadable,
      });
    }
    const missing = missingParameters(integracao, request.parametros as Parametros);
    if (missing.length) {
      // A preview or an INFO lookup enqueues nothing in any case: its refusal says nothing was run ({acao} pt-BR, {action} en).
      const queued = (request.purpose ?? 'run') === 'run';
      throw new RunRefusedError('MISSING_PARAMETERS', `${label(integracao)}: missing required parameters ${missing.join(', ')}`, {
        names: missing.join(', '),
        acao: queued ? 'enfileirado' : 'executado',
        action: queued ? 'enqueued' : 'run',
      });
    }
  }
  const reconciliar = (request.parametros as Readonly<Record<string, unknown>>).reconciliar;
  if (queueForTipo(integracao.tipo_servico) === 'get' && reconcileRequested(reconciliar) === undefined) {
    const expected = RECONCILIAR_VALUES.join(', ');
    throw new RunRefusedError(
      'INVALID_PARAMETER',
      `${label(integracao)}: parametros.reconciliar must be one of ${expected}, found ${JSON.stringify(reconciliar)}`,
      { name: 'reconciliar', value: JSON.stringify(reconciliar), expected },
    );
  }
  if (loaded.refusal !== undefined) throw loaded.refusal;
  const { refusal: _none, ...admitted } = loaded;
  return { ...admitted, runTenant: runTenantOf(request.tenant, integracao) };
}

/**
 * The one place that decides whether a run may start, and how: the ingress routes (run, events, preview, info), the
 * CLI and both workers (again when they take the job) call it. Refusals are RunRefusedError (permanent, coded);
 * a broken dependency graph throws the run-plan errors naming the rows. Nothing is read of another tenant: a row of
 * another empresa (or of another filial, for a filial key) answers NOT_FOUND, like a missing one.
 */
export async function admitRun(db: Kysely<Database>, request: AdmissionRequest): Promise<AdmittedRun> {
  const loaded = await loadAdmission(
    db,
    request.tenant,
    request.integracaoId,
    request.purpose ?? 'run',
    request.connections,
    request.deferConfiguration,
    request.configurationScope,
  );
  return completeAdmission(loaded, request);
}
