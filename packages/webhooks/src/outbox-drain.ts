import type { Logger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import type { Database } from '@integrador/store';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { isoTimestamp } from './deliveries.repository';
import { isWebhookTable, OPERACOES, type Operacao } from './gatilhos';
import { publishChange } from './publish-change';

/** Rows per drain step; the drain lock is renewed between steps. */
const BATCH = 50;

/**
 * Publishes up to `batch` outbox rows, oldest first, and deletes each once published. A worker killed between the two
 * leaves the row: the next drain publishes it again under the same key (`outbox:<id>`), which creates nothing new.
 */
export async function drainOutbox(db: Kysely<Database>, producer: JobProducer, batch = BATCH): Promise<number> {
  const rows = await db.selectFrom('webhook_outbox').selectAll().orderBy('id').limit(batch).execute();
  // Rows of different records are published side by side; one record's rows stay in order (criado before alterado).
  const byRecord = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = `${row.tabela}:${row.registro_id}`;
    byRecord.set(key, [...(byRecord.get(key) ?? []), row]);
  }
  await Promise.all(
    [...byRecord.values()].map(async (group) => {
      for (const row of group) {
        const operacao = (OPERACOES as readonly string[]).includes(row.operacao) ? (row.operacao as Operacao) : 'alterado';
        const tabela = row.tabela.toLowerCase();
        // The capture triggers sit on the webhook tables only; any other row is dropped as it was before.
        if (isWebhookTable(tabela)) {
          await publishChange(db, producer, {
            empresaId: Number(row.empresa_id),
            tabela,
            registroId: String(row.registro_id),
            operacao,
            chave: `outbox:${row.id}`,
            status: row.status,
            em: new Date(isoTimestamp(row.criado_em) as string),
          });
        }
        await db.deleteFrom('webhook_outbox').where('id', '=', row.id).execute();
      }
    }),
  );
  return rows.length;
}

export interface OutboxDrainOptions {
  db: Kysely<Database>;
  producer: JobProducer;
  redis: Redis;
  prefix: string;
  intervalMs: number;
  logger: Logger;
}

/**
 * Drains the outbox every `intervalMs` (at once again while batches come back full). A Redis lock keeps it to one
 * drainer across worker replicas, so changes are published in order; a crashed drainer's lock expires.
 */
export function startOutboxDrain(options: OutboxDrainOptions): { stop(): Promise<void> } {
  const lockKey = `${options.prefix}:webhook:outbox-lock`;
  // Long enough for one batch on a loaded machine; a crashed drainer holds the outbox back at most this long.
  const lockMs = Math.max(10000, options.intervalMs * 5);
  const owner = `${process.pid}:${Math.random()}`;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    const held = await options.redis.set(lockKey, owner, 'PX', lockMs, 'NX');
    if (held !== 'OK' && (await options.redis.get(lockKey)) !== owner) return;
    try {
      while (!stopped) {
        await options.redis.pexpire(lockKey, lockMs);
        const drained = await drainOutbox(options.db, options.producer);
        if (drained) options.logger.debug({ drained }, 'outbox drained');
        if (drained < BATCH) break;
      }
    } finally {
      if ((await options.redis.get(lockKey)) === owner) await options.redis.del(lockKey);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((err) => options.logger.warn({ err }, 'outbox drain failed'))
        .finally(schedule);
    }, options.intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
