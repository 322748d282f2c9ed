import { randomBytes } from 'node:crypto';
import querystring from 'node:querystring';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  admitClickToCall,
  type CallEventKind,
  type CallRow,
  type ClickToCallFailure,
  callStatusReason,
  checkUsuarioRamal,
  clickToCallFailures,
  clickToCallJobId,
  dialledNumber,
  findCall,
  issuePopToken,
  LISTENER_PARAMETER_TAKES,
  type ListenerRequest,
  listCalls,
  lookUpIndexedCaller,
  normalizePhone,
  operatorPage,
  PopHub,
  phoneFilterFor,
  RAMAL_PATTERN,
  RAMAL_TAKES,
  ramalOf,
  readPhoneFilter,
  readPopToken,
  restoreTelefonePlus,
  streamPops,
  tenantFailureReason,
  typedTelefone,
  WConnectListener,
} from '@integrador/cti';
import { failureReason } from '@integrador/integrador';
import { type JobProducer, logRedisErrors } from '@integrador/queue';
import { type AdmissionLimitDeps, registerAdmissionLimit } from '@integrador/runtime';
import { type CrmDatabase, timestampMs } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { HttpError } from '../http-error';
import { type Locale, localeOf, message } from '../i18n';
import { Deduplicated, ErrorResponse, PatternText, RowId, Text, ZonedDateTime } from '../schemas';
import { type ListenerRefusal, ListenerRefusals } from './listener-refusals';

/** The CTI settings the ingress needs (CTI_* variables). */
export interface CtiRouteOptions {
  domain: string | undefined;
  trustedProxies: string[];
  dedupeWindowMs: number;
  callTimeoutMs: number;
  popTokenTtlMs: number;
}

export interface CtiRouteDeps {
  database: CrmDatabase;
  redis: Redis;
  producer: JobProducer;
  keyPrefix: string;
  options: CtiRouteOptions;
  /** The tenants' budget of listener events (RATE_LIMIT_CTI_*). */
  admission: AdmissionLimitDeps;
  /** Counts a listener refusal (integrador_cti_listener_refused_total). */
  onListenerRefused?: (reason: ListenerRefusal, empresaId: number | undefined) => void;
}

/**
 * Seed 002's listener paths, exactly as the PBXs in the field are configured. A Map: the file is the caller's text,
 * and a plain object would answer "__proto__" or "constructor" with its prototype's members.
 */
const LISTENERS: ReadonlyMap<string, CallEventKind> = new Map<string, CallEventKind>([
  ['WConnect_WSDL_ConsultaRamal.php', 'inicio'],
  ['WConnect_WSDL_FinalizaLigacao.php', 'fim'],
]);

const PROBLEM = {
  missing: { 'pt-BR': 'é obrigatório', en: 'is required' },
  invalid: { 'pt-BR': 'é inválido', en: 'is invalid' },
  repeated: { 'pt-BR': 'veio mais de uma vez; envie uma vez', en: 'was sent more than once; send it once' },
};

/**
 * The Retry-After of a caller lookup made while the phone index catches up: CTI_SWEEP_INTERVAL_MS's default, the pace
 * at which worker-cti indexes noted writes (a bulk import may take a few of them).
 */
const PHONE_INDEX_RETRY_AFTER_S = 10;

/** Whether a request's body was a form (URL-encoded like the query string, where an unencoded '+' reads as a space). */
const FORM_BODY = /^application\/x-www-form-urlencoded\b/i;

/**
 * The routes without an API key: seed 002's WConnect listeners (host label or /t/<token>/ form, GET or form POST),
 * the screen-pop SSE stream (short-lived token) and the operator page.
 */
export function ctiPublicRoutes(deps: CtiRouteDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const listener = new WConnectListener({
      db: deps.database.db,
      redis: deps.redis,
      producer: deps.producer,
      prefix: deps.keyPrefix,
      ...deps.options,
      onPublishError: (err) => app.log.warn({ err }, 'screen pop publish failed'),
    });
    // Subscriptions wait across reconnects (ioredis subscribes again by itself); publishing stays fail-fast.
    const subscriber = deps.redis.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      lazyConnect: true,
    });
    // A duplicate of a createRedis connection has its listener already (logRedisErrors); one of a bare connection not.
    if (subscriber.listenerCount('error') === 0) logRedisErrors(subscriber, app.log, 'screen-pop-subscriber');
    const hub = new PopHub(subscriber, deps.keyPrefix);
    const streams = new Set<() => void>();
    // Open SSE streams would hold app.close() forever: end them first.
    app.addHook('preClose', async () => {
      for (const close of streams) close();
    });
    app.addHook('onClose', () => hub.close());
    // PBXs may post the same parameters as a form (scoped to these routes).
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, querystring.parse(String(body))),
    );
    // A PBX posting with a text type (fetch(url, { method: 'POST', body: '' }) sends text/plain) keeps its call event:
    // the parameters come from the query string, and a text/plain body is read as a form (firmwares label a form so).
    // Any other text (XML, HTML) is not read; only when the required parameters are then missing is it a 415 saying
    // what the listener takes. Outside these routes text/plain stays a 415 (optional-body.ts). Read as a form, its
    // telefone's unencoded '+' became a space, restored as for a form body.
    app.addContentTypeParser(/^text\//i, { parseAs: 'string' }, (request, body, done) => {
      const text = String(body);
      const plain = /^text\/plain\s*(;|$)/i.test(String(request.headers['content-type'] ?? ''));
      done(null, text.trim() === '' || !plain ? undefined : restoreTelefonePlus(querystring.parse(text.trim())));
    });

    const admit = await registerAdmissionLimit(app, deps.admission);
    // Logged at warn through the app's logger (the listener routes' own loggers are quiet at a PBX's call rate).
    const refusals = new ListenerRefusals(app.log, deps.onListenerRefused);
    const handle = async (request: FastifyRequest<{ Params: { token?: string; file: string } }>, reply: FastifyReply) => {
      const kind = LISTENERS.get(request.params.file);
      const seen = { host: request.headers.host, via: request.params.token === undefined ? ('host' as const) : ('path' as const) };
      // A HEAD's parameter refusals are not recorded: a PBX's health check HEADs the bare URL (no ramal, no telefone),
      // and counting it would fill integrador_cti_listener_refused_total and the warn line with what is no PBX request.
      // Its 404s (unknown file, token or tenant, a foreign address) are logged and counted as a GET's: probing shows.
      const note: ListenerRefusals['note'] = (reason, details) => {
        if (request.method === 'HEAD' && (reason === 'bad-parameters' || reason === 'unsupported-media')) return;
        refusals.note(reason, details);
      };
      // One 404 for an unknown file, tenant or token and a foreign address: the same body, whatever the path held.
      if (!kind) {
        note('unknown-file', { ...seen, address: request.socket.remoteAddress });
        throw new HttpError(404, 'NOT_FOUND');
      }
      const listened: ListenerRequest = {
        kind,
        host: request.headers.host,
        pathToken: request.params.token,
        remoteAddress: request.socket.remoteAddress ?? '',
        forwardedFor: request.headers['x-forwarded-for'],
        params: {
          ...restoreTelefonePlus(request.query as Record<string, unknown>),
          ...(FORM_BODY.test(request.headers['content-type'] ?? '')
            ? restoreTelefonePlus(request.body as Record<string, unknown>)
            : ((request.body as object | undefined) ?? {})),
        },
        // Counted against the tenant the URL named, once the request is known to be its own and well formed.
        admit: (empresaId) => admit(request, reply, empresaId),
      };
      // A HEAD (PBXs' health checks) is answered as its GET would be — status and headers, no body (Node sends none for
      // HEAD) — and records nothing of a call: no event, no pop, no rate-limit token, no parameter refusal.
      const outcome = request.method === 'HEAD' ? await listener.probe(listened) : await listener.accept(listened);
      if (outcome.status === 404) {
        if (outcome.reason === 'address-not-allowed')
          note('address-not-allowed', { ...seen, empresaId: outcome.empresaId, address: outcome.address });
        else note('unknown-tenant', { ...seen, address: request.socket.remoteAddress });
        throw new HttpError(404, 'NOT_FOUND');
      }
      if (outcome.status === 400) {
        const fields = outcome.faults.map((fault) => fault.field);
        const locale = localeOf(request);
        const type = String(request.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim()
          .toLowerCase();
        // A text body without the parameters (XML, free text): the sender needs the ways the listener takes them.
        const unsupported = type?.startsWith('text/') === true && outcome.faults.every((fault) => fault.problem === 'missing');
        note(unsupported ? 'unsupported-media' : 'bad-parameters', { ...seen, empresaId: outcome.empresaId, fields });
        if (unsupported)
          return reply.status(415).send({
            error: {
              code: 'UNSUPPORTED_MEDIA_TYPE',
              message: message(locale, 'UNSUPPORTED_MEDIA_TYPE_LISTENER', { type: (type ?? '').slice(0, 100) }),
            },
          });
        const text = outcome.faults
          .map(({ field, problem }) =>
            message(locale, 'CTI_LISTENER_PARAMETER', {
              field,
              problem: PROBLEM[problem][locale],
              takes: LISTENER_PARAMETER_TAKES[field][locale],
            }),
          )
          .join('; ');
        const field = outcome.faults[0]?.field;
        return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: text, ...(field ? { field } : {}) } });
      }
      return reply.status(200).type('text/plain; charset=utf-8').send('OK');
    };
    // Not in the API docs (a PBX contract, not an API); no per-request info logs: the path may hold a tenant's token,
    // and at a PBX's call rate they would be most of the log. The request loggers are children of one parent set to
    // warn once: a level given per request (the route's logLevel alone) makes pino rebuild every log method of each
    // request's child — measured as one of the largest costs a listener request had over a bare route.
    const warnLog = app.log.child({}, { level: 'warn' });
    const childLoggerFactory = (_logger: FastifyBaseLogger, bindings: Parameters<FastifyBaseLogger['child']>[0]) => warnLog.child(bindings);
    // Fastify's own HEAD route would run the GET handler as a GET (an uptime checker's HEAD would record a call and pop
    // it): the HEAD routes below run it as a probe instead.
    const listenerRoute = {
      schema: { hide: true },
      logLevel: 'warn',
      childLoggerFactory,
      exposeHeadRoute: false,
      config: { mediaTypeMessage: 'UNSUPPORTED_MEDIA_TYPE_LISTENER' },
    } as const;
    for (const path of ['/wconnect/:file', '/t/:token/wconnect/:file']) {
      app.get(path, listenerRoute, handle);
      app.head(path, listenerRoute, handle);
      app.post(path, listenerRoute, handle);
    }

    app.get(
      '/cti/pop',
      {
        // The URL holds the pop token: no per-request info logs.
        logLevel: 'warn',
        schema: {
          tags: ['cti'],
          summary: 'Screen pop of one ramal (Server-Sent Events; token from POST /v1/cti/pop-tokens)',
          // The pop token in the URL is the credential (an EventSource cannot send an Authorization header).
          security: [],
          querystring: Type.Object({ token: Text({ maxLength: 100 }) }),
          response: {
            200: {
              description: 'A stream of `id: <n>`, `event: <type>`, `data: <the call event as JSON>` messages, with `: ping` heartbeats',
              content: { 'text/event-stream': { schema: Type.String() } },
            },
            400: ErrorResponse,
            404: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const grant = await deps.producer.read('read pop token', () => readPopToken(deps.redis, deps.keyPrefix, request.query.token));
        if (!grant) throw new HttpError(404, 'NOT_FOUND');
        const lastEventId = Number.parseInt(String(request.headers['last-event-id'] ?? '0'), 10);
        reply.hijack();
        const close = await streamPops(reply.raw, {
          hub,
          redis: deps.redis,
          prefix: deps.keyPrefix,
          grant,
          token: request.query.token,
          lastEventId: Number.isFinite(lastEventId) && lastEventId > 0 ? lastEventId : 0,
          tokenTtlMs: deps.options.popTokenTtlMs,
        });
        streams.add(close);
        reply.raw.on('close', () => streams.delete(close));
      },
    );

    app.get('/cti/operador', { schema: { hide: true } }, async (request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('vary', 'accept-language')
        .send(operatorPage(localeOf(request))),
    );
  };
}

const CallResponse = Type.Object({
  id: Type.Integer(),
  ramal: Type.String(),
  usuarioId: Type.Union([Type.Integer(), Type.Null()]),
  telefone: Type.String(),
  telefoneNormalizado: Type.Union([Type.String(), Type.Null()]),
  contaId: Type.Union([Type.Integer(), Type.Null()]),
  contatoId: Type.Union([Type.Integer(), Type.Null()]),
  direcao: Type.String(),
  status: Type.Union([Type.String(), Type.Null()]),
  recebidaEm: Type.String(),
  atendidaEm: Type.Union([Type.String(), Type.Null()]),
  encerradaEm: Type.Union([Type.String(), Type.Null()]),
  duracaoSegundos: Type.Union([Type.Integer(), Type.Null()]),
  urlAudio: Type.Union([Type.String(), Type.Null()]),
  semInicio: Type.Boolean({ description: 'the end arrived without its start' }),
  erro: Type.Union([Type.String(), Type.Null()]),
  motivo: Type.Union([Type.String(), Type.Null()], {
    description:
      "why the hub ended the call (não atendida, sem fim recebido, ramal sem fim, transferida, outro ramal atendeu, início repetido) or why a click-to-call failed (falhou: its job's failure code, worded as the dashboard words it; `erro` keeps the technical message), in the Accept-Language; null otherwise",
  }),
});

const iso = (value: Date | string | null) => {
  const ms = timestampMs(value);
  return ms === null ? null : new Date(ms).toISOString();
};

/** A failed click-to-call's reason for its tenant: the tenant's wording where it has one, the catalogue's otherwise. */
function tenantMotivo(locale: Locale, failure: ClickToCallFailure): string | undefined {
  return tenantFailureReason(locale, failure.code, failure.params) ?? failureReason(locale, failure.code, failure.params);
}

function callView(row: CallRow, locale: Locale, failure: ClickToCallFailure | undefined) {
  return {
    id: row.id,
    ramal: row.ramal,
    usuarioId: row.usuario_id,
    telefone: row.telefone,
    telefoneNormalizado: row.telefone_normalizado,
    contaId: row.conta_id,
    contatoId: row.contato_id,
    direcao: row.direcao,
    status: row.status,
    recebidaEm: iso(row.inicio as Date | string) as string,
    atendidaEm: iso(row.atendido_em as Date | string | null),
    encerradaEm: iso(row.fim),
    duracaoSegundos: row.duracao_segundos,
    urlAudio: row.url_audio,
    semInicio: Number(row.sem_inicio) === 1,
    erro: row.erro,
    motivo: callStatusReason(locale, row.status) ?? (failure ? (tenantMotivo(locale, failure) ?? null) : null),
  };
}

// The listener's rule (@integrador/cti owns it): a ramal the PBX reports can be popped, called from and filtered on.
// canonicalRamal reads the value first (surrounding spaces, a PBX channel), so the schema checks the ramal it names.
const Ramal = PatternText(RAMAL_PATTERN, RAMAL_TAKES, { description: `the extension (usuarios.ramal): ${RAMAL_TAKES.en}` });

/**
 * The one ramal rule at the API (ramalOf, as the listeners read it): `'201 '` or `PJSIP/201-0000001a` in a body or
 * query string is taken as ramal 201 before the schema checks it; anything else reaches the schema as sent and is
 * refused there, in its words.
 */
function canonicalRamal(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) {
  for (const part of [request.body, request.query]) {
    if (!part || typeof part !== 'object') continue;
    const fields = part as Record<string, unknown>;
    const ramal = typeof fields.ramal === 'string' ? ramalOf(fields.ramal) : undefined;
    if (ramal !== undefined) fields.ramal = ramal;
  }
  done();
}

/** What click-to-call's numero takes (digits and the signs a written number holds). */
const NUMERO_TAKES = {
  'pt-BR': 'até 40 caracteres entre dígitos, espaços, +, (, ), . e -',
  en: 'up to 40 digits, spaces, +, (, ), . or -',
};

/**
 * The CTI API's bodies take strings as strings only: the ingress's schema coercion (coerceTypes 'array', for query
 * strings) would take ["201"] or 201 for a ramal. A body field whose schema is a string and whose value is not one is
 * refused here, before the schema, in the schema's words.
 */
function stringsOnly(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) {
  const body = request.body as Record<string, unknown> | undefined;
  const properties = (request.routeOptions.schema?.body as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  if (!body || typeof body !== 'object' || Array.isArray(body) || !properties) return done();
  const name = Object.keys(body).find((key) => properties[key]?.type === 'string' && typeof body[key] !== 'string');
  if (name === undefined) return done();
  const error = Object.assign(new Error('body field is not a string'), {
    statusCode: 400,
    validationContext: 'body',
    validation: [
      {
        keyword: 'type',
        instancePath: `/${name}`,
        schemaPath: `#/properties/${name}/type`,
        params: { type: 'string' },
        message: 'must be string',
      },
    ],
  });
  done(error);
}

/** The tenant's CTI API (API key): pop tokens, click-to-call, the call log. Every query is bound to the key's empresa. */
export function ctiApiRoutes(deps: CtiRouteDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preValidation', stringsOnly);
    app.addHook('preValidation', canonicalRamal);
    app.post(
      '/cti/pop-tokens',
      {
        // A short-lived token, not kept 7 days for Idempotency-Key replays: a replay issues another.
        config: { idempotentAnswer: false },
        schema: {
          tags: ['cti'],
          summary: 'A short-lived token for the screen pop (SSE) of one ramal',
          body: Type.Object({ ramal: Ramal }, { additionalProperties: false }),
          response: {
            201: Type.Object({ token: Type.String(), streamUrl: Type.String(), expiresInMs: Type.Integer() }),
            400: ErrorResponse,
            401: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
        // A ramal no active usuario of the empresa has (a typo, another empresa's) would wait for pops forever: refused
        // as click-to-call refuses it.
        await checkUsuarioRamal(deps.database.db, tenant.empresaId, request.body.ramal);
        const ttl = deps.options.popTokenTtlMs;
        const token = await deps.producer.read('issue pop token', () =>
          issuePopToken(deps.redis, deps.keyPrefix, { tenant, ramal: request.body.ramal }, ttl),
        );
        return reply.status(201).send({ token, streamUrl: `/cti/pop?token=${token}`, expiresInMs: ttl });
      },
    );

    app.post(
      '/cti/click-to-call',
      {
        schema: {
          tags: ['cti'],
          summary: 'Ask the PBX to dial numero from ramal (queue cti, job cti.click-to-call)',
          body: Type.Object(
            { ramal: Ramal, numero: PatternText('^[0-9+() .-]+$', NUMERO_TAKES, { minLength: 1, maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: {
            202: Type.Object({ queue: Type.String(), jobId: Type.String(), callId: Type.String(), deduplicated: Deduplicated }),
            400: ErrorResponse,
            401: ErrorResponse,
            409: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const empresaId = request.tenant.empresaId;
        const { ramal, numero } = request.body;
        const settings = await admitClickToCall(deps.database.db, empresaId, { ramal, numero });
        const callId = randomBytes(12).toString('base64url');
        const tenant = { empresaId, filialId: request.tenant.filialId };
        const candidate = clickToCallJobId(empresaId, callId);
        // An agent's double click (trial CTI 3, finding 5): the same ramal and number of the empresa within
        // CTI_DEDUPE_WINDOW_MS is one call, as a PBX's repeated event is one event — BullMQ's deduplication (throttle
        // mode): the repeat's add returns the first job's id and adds nothing. The number is compared as it is dialled
        // (dialledNumber: "(11) 3456-7890" and "1134567890" are one; a landline and a mobile that share the caller
        // lookup key are two). A first call that failed (the PBX answered busy) holds nothing: the agent's re-click
        // dials again. An Idempotency-Key, when sent, answers its replays beyond it.
        const dialled = dialledNumber(normalizePhone(numero, { ramalLength: settings.ramalLength }));
        const window = deps.options.dedupeWindowMs;
        const enqueue = () =>
          deps.producer.enqueue(
            'cti',
            'cti.click-to-call',
            { tenant, callId, ramal, numero, requestedAt: new Date().toISOString() },
            { jobId: candidate, ...(window > 0 ? { deduplication: { id: `c2c:${empresaId}:${ramal}:${dialled}`, ttl: window } } : {}) },
          );
        let job = await enqueue();
        if (String(job.id) !== candidate && (await job.isFailed())) {
          // Throttle mode keeps the key of a failed job until its ttl ends; it is let go only while that job holds it.
          await job.removeDeduplicationKey();
          job = await enqueue();
        }
        const deduplicated = String(job.id) !== candidate;
        const firstCallId = deduplicated ? String(job.id).slice(clickToCallJobId(empresaId, '').length) : callId;
        return reply.status(202).send({ queue: 'cti', jobId: String(job.id), callId: firstCallId, deduplicated });
      },
    );

    app.get(
      '/cti/calls',
      {
        schema: {
          tags: ['cti'],
          summary: 'The call log (ligacoes), newest first; filter by period, ramal, telefone, usuario, conta',
          querystring: Type.Object(
            {
              from: Type.Optional(ZonedDateTime('received at or after (ISO 8601 with its time zone: Z or an offset such as -03:00)')),
              to: Type.Optional(ZonedDateTime('received before (ISO 8601 with its time zone)')),
              ramal: Type.Optional(Ramal),
              telefone: Type.Optional(
                PatternText('^[0-9+() .-]+$', NUMERO_TAKES, {
                  minLength: 1,
                  maxLength: 40,
                  description:
                    "the calls of this number, in any form the hub reads a Brazilian number in ((11) 98765-4321, 011 98765 4321, +55 11 98765-4321…), matched on the call's stored E.164; an extension matches calls to or from it",
                }),
              ),
              usuarioId: Type.Optional(RowId('usuario id')),
              contaId: Type.Optional(RowId('conta id')),
              limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
              cursor: Type.Optional(RowId('nextCursor of the previous page')),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              items: Type.Array(CallResponse),
              calls: Type.Array(CallResponse, {
                description: 'deprecated: the same list as items (the name before every list answered items); removed in the next release',
              }),
              nextCursor: Type.Union([Type.Integer(), Type.Null()]),
            }),
            400: ErrorResponse,
            401: ErrorResponse,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const empresaId = request.tenant.empresaId;
        // An unencoded '+' arrives as a space (`?telefone=+1 212…` is ' 1 212…', read as DDD 21): restored as the listener does.
        const given = typedTelefone(q.telefone);
        const telefone = given === undefined ? undefined : await readPhoneFilter(deps.database.db, empresaId, given);
        // A text no rule reads as a number would match nothing: said so, not answered with an empty page.
        if (telefone && phoneFilterFor(telefone, empresaId).kind === 'invalido')
          throw new HttpError(400, 'CTI_INVALID_PHONE_FILTER', { field: 'querystring.telefone', value: q.telefone ?? '' });
        const page = await listCalls(deps.database.db, empresaId, {
          ...(q.from ? { from: new Date(q.from) } : {}),
          ...(q.to ? { to: new Date(q.to) } : {}),
          ...(q.ramal ? { ramal: q.ramal } : {}),
          ...(telefone ? { telefone } : {}),
          ...(q.usuarioId ? { usuarioId: q.usuarioId } : {}),
          ...(q.contaId ? { contaId: q.contaId } : {}),
          ...(q.cursor ? { before: q.cursor } : {}),
          limit: q.limit,
        });
        const locale = localeOf(request);
        const failures = await clickToCallFailures(deps.database.db, empresaId, page.calls);
        const items = page.calls.map((row) => callView(row, locale, row.evento_id ? failures.get(row.evento_id) : undefined));
        // `calls` stays one release as a deprecated alias of `items` (CHANGELOG): clients move at their pace.
        return { items, calls: items, nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/cti/lookup',
      {
        schema: {
          tags: ['cti'],
          summary:
            "Which contas / contatos of the key's empresa (a filial key: of its filial and the whole empresa's) a caller's number finds, as a ringing call would (read-only: no call, job, pop or index write; 503 CTI_PHONE_INDEX_CATCHING_UP with Retry-After while the phone index catches up)",
          querystring: Type.Object(
            {
              telefone: Text({
                maxLength: 40,
                description:
                  "the caller id as the PBX sends it ((11) 98765-4321, 0 15 11 98765 4301, +55…, an extension; empty or 'anonymous' is a withheld caller id)",
              }),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              telefone: Type.String(),
              tipo: Type.String({ description: 'nacional, internacional, local (no DDD), ramal (an extension) or invalido' }),
              normalizado: Type.Union([Type.String(), Type.Null()], { description: 'what the call log would keep' }),
              privado: Type.Boolean({ description: 'a withheld caller id: the screen pop shows "número privado"' }),
              matches: Type.Array(
                Type.Object({
                  tabela: Type.String(),
                  id: Type.Integer(),
                  nome: Type.String(),
                  contaId: Type.Union([Type.Integer(), Type.Null()]),
                  campo: Type.String(),
                  telefone: Type.String(),
                  exato: Type.Boolean({ description: 'DDD and last 8 digits matched (false: last 8 only)' }),
                }),
                { description: 'ranked as the screen pop ranks them; empty = unknown caller' },
              ),
            }),
            400: ErrorResponse,
            401: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        // An unencoded '+' arrives as a space: restored as every calls filter does.
        const telefone = typedTelefone(request.query.telefone) ?? '';
        const { empresaId, filialId } = request.tenant;
        const found = await lookUpIndexedCaller(deps.database.db, { empresaId, filialId }, telefone);
        if (!found) {
          // CRM writes of the empresa are noted and not yet indexed (a bulk import, `cti reindex`): worker-cti's sweep
          // indexes them; the ingress never does (it would run the whole catch-up inside this request).
          reply.header('retry-after', String(PHONE_INDEX_RETRY_AFTER_S));
          throw new HttpError(503, 'CTI_PHONE_INDEX_CATCHING_UP');
        }
        return { telefone, ...found };
      },
    );

    app.get(
      '/cti/calls/:id',
      {
        schema: {
          tags: ['cti'],
          summary: "One call of the call log (ligacoes); another empresa's call id is a 404, as an unknown one",
          params: Type.Object({ id: RowId('call id (the id of GET /v1/cti/calls)') }, { additionalProperties: false }),
          response: { 200: CallResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
        },
      },
      async (request) => {
        const empresaId = request.tenant.empresaId;
        const row = await findCall(deps.database.db, empresaId, request.params.id);
        if (!row) throw new HttpError(404, 'NOT_FOUND');
        const failures = await clickToCallFailures(deps.database.db, empresaId, [row]);
        return callView(row, localeOf(request), row.evento_id ? failures.get(row.evento_id) : undefined);
      },
    );
  };
}
