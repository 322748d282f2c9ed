import { LimitDelayError } from './limit-delay-error';
import { LIMIT_WAIT_CODE, LimitWaitError, limitWaitText } from './limit-wait';

describe('why a job waits for a limit (LimitWaitError → its record → limitWaitText)', () => {
  const now = 1_700_000_000_000;
  const recorded = (error: LimitWaitError) => [error.code, error.params] as const;

  it('carries the reason, the time and the connection name (never more) as BullMQ DelayedError', () => {
    const error = new LimitWaitError(new LimitDelayError(now + 30_000, 'retry-after', 'e:7:c:senior_g5'));
    expect(error.name).toBe('DelayedError');
    expect(recorded(error)).toEqual([LIMIT_WAIT_CODE, { reason: 'retry-after', until: now + 30_000, connection: 'senior_g5' }]);
    expect(new LimitWaitError(new LimitDelayError(now, 'concurrency', 'e:7:f:2')).params).toEqual({ reason: 'concurrency', until: now });
  });

  it('words each reason in pt-BR and English, with the seconds left', () => {
    const text = (locale: 'pt-BR' | 'en', reason: string, scope: string, ms: number) => {
      const [code, params] = recorded(new LimitWaitError(new LimitDelayError(now + ms, reason as 'rate', scope)));
      return limitWaitText(locale, code, params, now);
    };
    expect(text('pt-BR', 'retry-after', 'e:7:c:senior_g5', 30_000)).toBe(
      'aguardando: o receptor respondeu 429 (conexão senior_g5), nova tentativa em 30 s',
    );
    expect(text('en', 'retry-after', 'e:7:c:senior_g5', 29_200)).toBe(
      'waiting: the receptor answered 429 (connection senior_g5), trying again in 30 s',
    );
    expect(text('pt-BR', 'rate', 'e:7', 400)).toBe('aguardando: o limite de taxa da empresa segura o job, nova tentativa em 1 s');
    expect(text('en', 'rate', 'e:7:c:erp_ws', 2_000)).toBe(
      "waiting: the tenant's rate limit (connection erp_ws) holds the job, trying again in 2 s",
    );
    expect(text('pt-BR', 'concurrency', 'e:7', 800)).toBe(
      'aguardando: todas as vagas de jobs simultâneos da empresa estão ocupadas, nova tentativa em 1 s',
    );
  });

  it('says nothing of a record that is not a limit wait, or whose values are unreadable', () => {
    expect(limitWaitText('pt-BR', 'TRANSPORT_TRANSIENT', { reason: 'rate', until: now }, now)).toBeUndefined();
    expect(limitWaitText('pt-BR', LIMIT_WAIT_CODE, null, now)).toBeUndefined();
    expect(limitWaitText('pt-BR', LIMIT_WAIT_CODE, { reason: 'other', until: now }, now)).toBeUndefined();
    expect(limitWaitText('pt-BR', LIMIT_WAIT_CODE, { reason: 'rate', until: 'soon' }, now)).toBeUndefined();
  });
});
