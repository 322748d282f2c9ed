import { shownUrl } from '@integrador/connections';
import {
  type CrmDatabase,
  findServicoEndpoint,
  isRowValueError,
  isStatementError,
  recordServicoRun,
  type ServicoEndpoint,
  type ServicoEndpointEvento,
  type StatusMotivo,
  type TipoEventoEndpoint,
} from '@integrador/store';
import { EndpointFetchError, fetchJsonRecords } from '@integrador/transports';
import { failingItem } from '../failing-item';
import { contatoIdsByCodigo, type WriteOptions, writeContatos, writeEventos } from './crm-writer';
import { authHeaders, EndpointSecretError } from './endpoint-auth';
import { recordErrorMessage, statusMessage } from './endpoint-messages';
import { type MaskText, type RecordError, type ValidRecord, validateRecords } from './payload-validation';

/** Seed 003's limits of one call, from the configuration (ENDPOINT_*). */
export interface EndpointLimits {
  maxRecords: number;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** What a sync or a validation needs: the CRM database, the limits and the environment secrets are resolved from. */
export interface EndpointRunContext {
  database: Pick<CrmDatabase, 'db' | 'dialect'>;
  limits: EndpointLimits;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
}

/** How many record errors a report keeps (the rest are counted). */
export const MAX_REPORTED_ERRORS = 50;

/** The outcome of one event type in a sync: counts and the first errors, with their record's index and field. */
export interface EventoReport {
  tipo: TipoEventoEndpoint;
  url: string;
  recebidos: number;
  validos: number;
  invalidos: number;
  /** contato: new and updated rows; evento: new rows and rows already there (same codRegistro or content). */
  gravados: { novos: number; atualizados: number } | { novos: number; repetidos: number };
  erros: RecordError[];
  errosOmitidos: number;
  duracaoMs: number;
}

/** A sync's result, which is also the job's result. */
export interface SyncReport {
  servicoId: number;
  nome: string;
  status: 'ok';
  eventos: EventoReport[];
}

/** A sync that could not run or was cancelled; the service is marked "falha" with `code` and `params` as the reason. */
export class EndpointSyncError extends Error {
  override name = 'EndpointSyncError';
  constructor(
    readonly code: string,
    readonly params: Record<string, string | number>,
    /** Limits, refusals and configuration problems are permanent; an unreachable endpoint may work on a retry. */
    readonly permanent: boolean,
    options?: ErrorOptions,
  ) {
    super(statusMessage('pt-BR', code, params), options);
  }
}

/** Seed 003's order: contatos first, so the eventos of this run find the contatos it brings. */
const ORDER: Record<TipoEventoEndpoint, number> = { contato: 0, evento: 1 };

function failureOf(error: unknown): EndpointSyncError {
  if (error instanceof EndpointSyncError) return error;
  if (error instanceof EndpointSecretError)
    return new EndpointSyncError(error.code, { ref: error.ref, variable: error.variable }, true, { cause: error });
  if (error instanceof EndpointFetchError) {
    const { params } = error;
    if (error.code === 'HTTP_STATUS') {
      const status = Number(params.status);
      const code =
        status === 401 || status === 403 ? 'HTTP_UNAUTHORIZED' : status === 404 || status === 410 ? 'HTTP_NOT_FOUND' : 'HTTP_ERROR';
      return new EndpointSyncError(code, params, error.permanent, { cause: error });
    }
    if (error.code === 'TIMEOUT')
      return new EndpointSyncError('TIMEOUT', { ...params, seconds: Number(params.limitMs) / 1000 }, true, { cause: error });
    return new EndpointSyncError(error.code, params, error.permanent, { cause: error });
  }
  throw error;
}

interface CheckedEvento {
  received: number;
  valid: ValidRecord[];
  errors: RecordError[];
  invalid: number;
  durationMs: number;
  contatoIds: Map<string, number>;
  /** Hides a credential sent inside a text quoted back (the endpoint's values, the CRM's refusal of them). */
  maskText: MaskText;
}

/** Fetches one event type's URL within the limits and checks every record (an evento also needs its contato). */
async function fetchAndCheck(
  ctx: EndpointRunContext,
  service: ServicoEndpoint,
  evento: ServicoEndpointEvento,
  headers: Record<string, string>,
) {
  const answer = await fetchJsonRecords({
    url: evento.url,
    headers,
    timeoutMs: ctx.limits.timeoutMs,
    maxRecords: ctx.limits.maxRecords,
    maxBytes: ctx.limits.maxResponseBytes,
    allowPrivateNetwork: service.permitirRedePrivada,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  // A value holding a credential sent (a codContato built around the token) keeps its text in the CRM; every error
  // quoting it shows `***` in its place.
  const { valid, errors, invalid } = validateRecords(evento.tipo, answer.records, answer.maskText);
  const checked: CheckedEvento = {
    received: answer.records.length,
    valid,
    errors,
    invalid,
    durationMs: answer.durationMs,
    contatoIds: new Map(),
    maskText: answer.maskText,
  };
  if (evento.tipo === 'evento')
    linkContatos(
      checked,
      await contatoIdsByCodigo(
        ctx.database.db,
        service.empresaId,
        valid.map((r) => String(r.data.codContato)),
      ),
      answer.maskText,
    );
  return checked;
}

/** Eventos whose contato is not in the CRM become errors of their record (seed 003: eventos belong to existing contatos). */
function linkContatos(checked: CheckedEvento, contatoIds: Map<string, number>, maskText: MaskText): void {
  checked.contatoIds = contatoIds;
  const linked: ValidRecord[] = [];
  for (const record of checked.valid) {
    const codContato = String(record.data.codContato);
    if (contatoIds.has(codContato)) {
      linked.push(record);
      continue;
    }
    const params = { codContato: maskText(codContato) };
    const base = { index: record.index, field: 'codContato', code: 'CONTATO_NOT_FOUND' as const, params };
    checked.errors.push({ ...base, message: recordErrorMessage('pt-BR', base) });
    checked.invalid++;
  }
  checked.valid = linked;
  checked.errors.sort((a, b) => a.index - b.index);
}

function selectedEventos(service: ServicoEndpoint, tipo: TipoEventoEndpoint | undefined): ServicoEndpointEvento[] {
  return service.eventos.filter((e) => tipo === undefined || e.tipo === tipo).sort((a, b) => ORDER[a.tipo] - ORDER[b.tipo]);
}

async function loadActive(ctx: EndpointRunContext, empresaId: number, servicoId: number): Promise<ServicoEndpoint> {
  const service = await findServicoEndpoint(ctx.database.db, { empresaId, filialId: null }, servicoId);
  if (!service) throw new EndpointSyncError('SERVICE_NOT_FOUND', { id: servicoId }, true);
  if (!service.ativo) throw new EndpointSyncError('SERVICE_INACTIVE', { id: servicoId }, true);
  return service;
}

/** Writes an event type's valid records into the CRM (contatos or eventos), all or none. */
function write(
  ctx: EndpointRunContext,
  empresaId: number,
  servicoId: number,
  tipo: TipoEventoEndpoint,
  checked: CheckedEvento,
  records: readonly ValidRecord[],
  options: WriteOptions = {},
) {
  return tipo === 'contato'
    ? writeContatos(ctx.database, empresaId, records, options)
    : writeEventos(ctx.database, empresaId, servicoId, records, checked.contatoIds, options);
}

/**
 * Writes the valid records; a write the CRM refuses for the statement or a record's values (isStatementError, the
 * database GET's rule) fails the sync for good as GET_WRITE_FAILED, naming the record (index and key) when one alone
 * is refused — a retry sends the same records. Connection losses stay ordinary errors, retried.
 */
async function writeChecked(
  ctx: EndpointRunContext,
  empresaId: number,
  servicoId: number,
  evento: ServicoEndpointEvento,
  checked: CheckedEvento,
) {
  try {
    return await write(ctx, empresaId, servicoId, evento.tipo, checked, checked.valid);
  } catch (err) {
    if (!isStatementError(err)) throw err;
    const refused = isRowValueError(err)
      ? await failingItem(checked.valid, (part) =>
          write(ctx, empresaId, servicoId, evento.tipo, checked, part, { rollback: true }).then(
            () => false,
            (probe: unknown) => isStatementError(probe),
          ),
        )
      : null;
    const key = refused === null ? undefined : evento.tipo === 'contato' ? refused.data.codigo : refused.data.codRegistro;
    const params = {
      url: shownUrl(evento.url),
      tabela: evento.tipo === 'contato' ? 'contatos' : 'eventos',
      detail: checked.maskText((err as Error).message),
      ...(refused === null ? {} : { registro: refused.index }),
      ...(typeof key === 'string' ? { chave: checked.maskText(key) } : {}),
    };
    throw new EndpointSyncError('GET_WRITE_FAILED', params, true, { cause: err });
  }
}

/**
 * Runs a service (all its event types, or one): fetch each fixed URL within seed 003's limits, validate every record,
 * write the valid ones into the CRM and record the status. A call over a limit (or refused, or unreadable) cancels the
 * run and marks the service "falha" with the reason; invalid records do not: they are reported and the rest go in.
 */
export async function syncEndpointService(
  ctx: EndpointRunContext,
  empresaId: number,
  servicoId: number,
  tipo?: TipoEventoEndpoint,
): Promise<SyncReport> {
  const service = await loadActive(ctx, empresaId, servicoId);
  const reports: EventoReport[] = [];
  let current: ServicoEndpointEvento | undefined;
  try {
    const headers = authHeaders(service, ctx.env);
    for (const evento of selectedEventos(service, tipo)) {
      current = evento;
      const checked = await fetchAndCheck(ctx, service, evento, headers);
      const gravados = await writeChecked(ctx, empresaId, servicoId, evento, checked);
      reports.push({
        tipo: evento.tipo,
        // Stored in the run's report and returned as the job's result: the URL as shown (a token may sit in its query).
        url: shownUrl(evento.url),
        recebidos: checked.received,
        validos: checked.valid.length,
        invalidos: checked.invalid,
        gravados,
        erros: checked.errors.slice(0, MAX_REPORTED_ERRORS),
        errosOmitidos: Math.max(0, checked.errors.length - MAX_REPORTED_ERRORS),
        duracaoMs: checked.durationMs,
      });
    }
  } catch (error) {
    const failure = failureOf(error);
    const motivo: StatusMotivo = { code: failure.code, params: failure.params };
    await recordServicoRun(ctx.database.db, empresaId, servicoId, {
      status: 'falha',
      motivo,
      eventos: [
        ...reports.map((r) => ({ tipo: r.tipo, status: 'ok' as const, relatorio: r })),
        ...(current && !reports.some((r) => r.tipo === current?.tipo)
          ? [{ tipo: current.tipo, status: 'falha' as const, relatorio: { falha: motivo } }]
          : []),
      ],
    });
    throw failure;
  }
  const received = reports.reduce((n, r) => n + r.recebidos, 0);
  const invalid = reports.reduce((n, r) => n + r.invalidos, 0);
  await recordServicoRun(ctx.database.db, empresaId, servicoId, {
    status: 'ok',
    motivo: { code: 'SYNC_OK', params: { received, written: received - invalid, invalid } },
    eventos: reports.map((r) => ({ tipo: r.tipo, status: 'ok' as const, relatorio: r })),
  });
  return { servicoId, nome: service.nome, status: 'ok', eventos: reports };
}

/** Validate's answer for one event type: a positive result, or what is wrong and what to do next. */
export interface EventoValidation {
  tipo: TipoEventoEndpoint;
  url: string;
  ok: boolean;
  code: string;
  params: Record<string, string | number>;
  recebidos?: number;
  validos?: number;
  invalidos?: number;
  erros?: RecordError[];
}

/** Seed 003's "Validar endpoint por tipo de evento": fetch and check each URL, writing nothing and changing no status. */
export async function validateEndpointService(
  ctx: EndpointRunContext,
  service: ServicoEndpoint,
): Promise<{ ok: boolean; eventos: EventoValidation[] }> {
  const eventos: EventoValidation[] = [];
  for (const evento of selectedEventos(service, undefined)) eventos.push(await validateEvento(ctx, service, evento));
  return { ok: eventos.every((e) => e.ok), eventos };
}

async function validateEvento(ctx: EndpointRunContext, service: ServicoEndpoint, evento: ServicoEndpointEvento): Promise<EventoValidation> {
  const base = { tipo: evento.tipo, url: shownUrl(evento.url) };
  let checked: CheckedEvento;
  try {
    checked = await fetchAndCheck(ctx, service, evento, authHeaders(service, ctx.env));
  } catch (error) {
    const failure = failureOf(error);
    return { ...base, ok: false, code: failure.code, params: failure.params };
  }
  const counts = { recebidos: checked.received, validos: checked.valid.length, invalidos: checked.invalid };
  const params = { tipo: evento.tipo, received: checked.received, invalid: checked.invalid };
  if (checked.invalid > 0) {
    return { ...base, ok: false, code: 'VALID_WITH_ERRORS', params, ...counts, erros: checked.errors.slice(0, MAX_REPORTED_ERRORS) };
  }
  return { ...base, ok: true, code: checked.received === 0 ? 'VALID_EMPTY' : 'VALID_OK', params, ...counts, erros: [] };
}
