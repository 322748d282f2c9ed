import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { activePops, publishPop, settleRinging, shownPop } from './pop-events';
import { popKeys } from './pop-keys';

/** The pop script against real Redis: what a page is sent and what it replays when it connects. */
describe('pop events', () => {
  const empresaId = 1;
  const testRedis = useTestRedis({ per: 'all' });
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    ({ redis, prefix } = testRedis);
  });

  /**
   * The types of the events published on the ramal's channel while `run` runs. The subscriber is its own connection,
   * closed here: useTestRedis closes the shared one in an afterAll declared before any of this file's hooks.
   */
  async function published(ramal: string, run: () => Promise<void>): Promise<string[]> {
    const channel = popKeys(prefix).channel(empresaId, ramal);
    const seen: string[] = [];
    const subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    try {
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) seen.push((JSON.parse(message) as { type: string }).type);
      });
      await subscriber.subscribe(channel);
      await run();
      // A PING on the subscriber's connection returns after every message published before it was delivered.
      await subscriber.ping();
      return seen;
    } finally {
      subscriber.disconnect();
    }
  }

  it('a "ringing" and a caller card that arrive after the end publish nothing and leave nothing to replay', async () => {
    const call = { callId: 'late-1', ramal: '4101', numero: '1140041234', normalizado: null, recebidoEm: new Date().toISOString() };
    const types = await published('4101', async () => {
      expect(
        await publishPop(redis, prefix, empresaId, { type: 'ended', ...call, encerradoEm: new Date().toISOString() }, 60000),
      ).toBeGreaterThan(0);
      expect(await publishPop(redis, prefix, empresaId, { type: 'ringing', ...call }, 60000)).toBe(0);
      expect(await publishPop(redis, prefix, empresaId, { type: 'caller', ...call, matches: [] }, 60000)).toBe(0);
    });
    expect(types).toEqual(['ended']);
    expect(await activePops(redis, prefix, empresaId, '4101')).toEqual([]);
  });

  it('settling a "ringing" takes "consultando" off in place (same id, nothing published), only while it still rings', async () => {
    const call = { callId: 'settle-1', ramal: '4104', numero: '1140041234', normalizado: null, recebidoEm: new Date().toISOString() };
    const ringing = { type: 'ringing' as const, ...call, consultando: true };
    const other = { ...ringing, callId: 'settle-2' };
    let id = 0;
    const types = await published('4104', async () => {
      id = await publishPop(redis, prefix, empresaId, ringing, 60000);
      expect(await settleRinging(redis, prefix, empresaId, ringing, 60000)).toBe(id);
      // A call that shows its caller card already (or shows nothing: ended, expired) is left as it is.
      await publishPop(redis, prefix, empresaId, other, 60000);
      await publishPop(redis, prefix, empresaId, { ...other, type: 'caller', matches: [] }, 60000);
      expect(await settleRinging(redis, prefix, empresaId, other, 60000)).toBe(0);
      expect(await settleRinging(redis, prefix, empresaId, { ...ringing, callId: 'settle-3' }, 60000)).toBe(0);
    });
    expect(types).toEqual(['ringing', 'ringing', 'caller']);
    expect(await shownPop(redis, prefix, empresaId, '4104', 'settle-1')).toEqual({ id, type: 'ringing', ...call });
    expect(await shownPop(redis, prefix, empresaId, '4104', 'settle-2')).toMatchObject({ type: 'caller' });
    expect(await shownPop(redis, prefix, empresaId, '4104', 'settle-3')).toBeUndefined();
  });

  it('the end of one call does not silence another call at the same ramal', async () => {
    const ended = { callId: 'late-2', ramal: '4102', numero: '1140041234', normalizado: null, recebidoEm: new Date().toISOString() };
    const next = { ...ended, callId: 'late-3' };
    const types = await published('4102', async () => {
      await publishPop(redis, prefix, empresaId, { type: 'ended', ...ended, encerradoEm: new Date().toISOString() }, 60000);
      expect(await publishPop(redis, prefix, empresaId, { type: 'ringing', ...next }, 60000)).toBeGreaterThan(0);
      expect(await publishPop(redis, prefix, empresaId, { type: 'caller', ...next, matches: [] }, 60000)).toBeGreaterThan(0);
    });
    expect(types).toEqual(['ended', 'ringing', 'caller']);
    const replay = (await activePops(redis, prefix, empresaId, '4102')).map((text) => JSON.parse(text) as { callId: string; type: string });
    expect(replay).toEqual([expect.objectContaining({ callId: 'late-3', type: 'caller' })]);
  });

  it('the end marker lasts as long as a call could stay active (the call timeout)', async () => {
    const call = { callId: 'late-4', ramal: '4103', numero: '1140041234' };
    await publishPop(redis, prefix, empresaId, { type: 'ended', ...call, encerradoEm: new Date().toISOString() }, 60000);
    const ttl = await redis.pttl(popKeys(prefix).ended(empresaId, '4103', 'late-4'));
    expect(ttl).toBeGreaterThan(50000);
    expect(ttl).toBeLessThanOrEqual(60000);
  });
});
