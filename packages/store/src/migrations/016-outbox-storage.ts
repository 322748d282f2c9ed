import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';

/** The attempt columns that hold the receptor's exchange: the envelopes the dashboard's job page shows, and errors. */
export const ENVELOPE_COLUMNS = ['requisicao', 'resposta', 'erro'] as const;

/** Free space left in each page of integracao_execucoes for its two later updates (enviado, concluido). */
export const EXECUCOES_FILLFACTOR = 85;

/**
 * Storage settings of the SET outbox on PostgreSQL (issue 14, bench/README.md "The CRM's CPU per push"); MySQL/MariaDB
 * and SQLite are left as they are.
 *
 * - `integracao_tentativas` envelopes compressed with lz4 instead of pglz, where the server has lz4 (PostgreSQL ≥ 14
 *   built with it, seen in `default_toast_compression`'s accepted values; skipped elsewhere). PostgreSQL compresses a
 *   value only when its row passes ~2 KB: a single Senior G5 push (~0.8 KB request, ~0.5 KB answer) is stored as is,
 *   larger envelopes (bigger records, a batched call's text when its records cannot be told apart) were compressed by
 *   pglz at ~14 µs more per 2 KB value than lz4 here, for 3–4 % smaller results. Existing values stay as written;
 *   every reader decompresses either.
 * - `integracao_execucoes` fillfactor 85: each outbox row is updated twice within seconds of its insert (enviado, then
 *   concluido), while the pushes in flight fill its page; with room left in the page the updates stay HOT (no new
 *   entry in the table's three indexes): 75 % → 88 % HOT in the measurement, WAL per attempt −2 %. Applies to pages
 *   written from now on.
 *
 * Looked at and kept: registro_jobs' indexes. Each serves a dashboard query (the failures list per tenant and across
 * tenants, a tenant's history, per integration, the job by (fila, job_id)); its trigram GIN index is the free-text
 * search and 57 % of the WAL of a job record; with `fastupdate` off a row cost 2–3× the CPU and 4× the WAL, so the
 * pending list stays. The tenant guard trigger did not measurably cost.
 */
export function outboxStorageMigration(dialect: DialectName): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      if (await hasLz4(db)) await setEnvelopeCompression(db, 'lz4');
      await sql.raw(`ALTER TABLE integracao_execucoes SET (fillfactor = ${EXECUCOES_FILLFACTOR})`).execute(db);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      if (await hasLz4(db)) await setEnvelopeCompression(db, 'default');
      await sql`ALTER TABLE integracao_execucoes RESET (fillfactor)`.execute(db);
    },
  };
}

/** True when the server can compress with lz4 (the setting exists from PostgreSQL 14 and lists lz4 when built with it). */
// biome-ignore lint/suspicious/noExplicitAny: see above.
async function hasLz4(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{
    lz4: boolean;
  }>`SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`.execute(db);
  return rows[0]?.lz4 === true;
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function setEnvelopeCompression(db: Kysely<any>, method: 'lz4' | 'default'): Promise<void> {
  const columns = ENVELOPE_COLUMNS.map((column) => `ALTER COLUMN ${column} SET COMPRESSION ${method}`).join(', ');
  await sql.raw(`ALTER TABLE integracao_tentativas ${columns}`).execute(db);
}
