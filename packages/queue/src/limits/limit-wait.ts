import { defineCatalogue, type Locale } from '@integrador/i18n';
import { DelayedError } from 'bullmq';
import type { LimitDelayError, LimitReason } from './limit-delay-error';
import { parseScope } from './limit-keys';

/** The code a job delayed by a limit is recorded with (registro_jobs, estado adiado); its params say which and until when. */
export const LIMIT_WAIT_CODE = 'LIMIT_WAIT';

/**
 * BullMQ's DelayedError for a job a limit delayed (runWithLimits), carrying why: `code` and `params` (reason, until as
 * epoch ms, and the connection for a connection scope — a name, never an address or a secret) reach the job's record,
 * so `run --wait` can say why it waits. Named DelayedError, as BullMQ and the worker runner recognise it.
 */
export class LimitWaitError extends DelayedError {
  readonly code = LIMIT_WAIT_CODE;
  readonly params: Record<string, string | number>;

  constructor(delay: LimitDelayError) {
    super(delay.message);
    this.name = 'DelayedError';
    const connection = parseScope(delay.scope)?.connection;
    this.params = { reason: delay.reason, until: delay.until, ...(connection ? { connection } : {}) };
  }
}

const LIMIT_WAIT_TEXTS = defineCatalogue<LimitReason>({
  'retry-after': {
    'pt-BR': 'aguardando: o receptor respondeu 429 (conexão {connection}), nova tentativa em {seconds} s',
    en: 'waiting: the receptor answered 429 (connection {connection}), trying again in {seconds} s',
  },
  rate: {
    'pt-BR': 'aguardando: o limite de taxa da empresa{via} segura o job, nova tentativa em {seconds} s',
    en: "waiting: the tenant's rate limit{via} holds the job, trying again in {seconds} s",
  },
  concurrency: {
    'pt-BR': 'aguardando: todas as vagas de jobs simultâneos da empresa estão ocupadas, nova tentativa em {seconds} s',
    en: 'waiting: every concurrent-job slot of the tenant is taken, trying again in {seconds} s',
  },
});

/** A recorded limit wait, worded in the locale (undefined when the record is not one: another code, or its values unreadable). */
export function limitWaitText(
  locale: Locale,
  code: string | null | undefined,
  params: Readonly<Record<string, string | number>> | null | undefined,
  now = Date.now(),
): string | undefined {
  if (code !== LIMIT_WAIT_CODE || !params) return undefined;
  const { reason, until, connection } = params;
  if (typeof reason !== 'string' || !LIMIT_WAIT_TEXTS.has(reason) || typeof until !== 'number') return undefined;
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  const name = typeof connection === 'string' ? connection : '?';
  const via = typeof connection === 'string' ? (locale === 'pt-BR' ? ` (conexão ${name})` : ` (connection ${name})`) : '';
  return LIMIT_WAIT_TEXTS.message(locale, reason, { seconds, connection: name, via });
}
