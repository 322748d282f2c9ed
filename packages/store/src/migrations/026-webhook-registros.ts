import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { dropTenantGuard, installTenantGuard } from '../tenant-guard';
import { columnTypes, nowColumn, withId } from './column-types';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/** Messages read per round when the table is filled from the ones still stored. */
const BACKFILL_BATCH = 1000;

/**
 * An oportunidade's seed 004 `criacao`, kept once per record when its creation is first published: the CRM table has no
 * creation column, and the bodies that carried it (webhook_mensagens) go with the retention purge
 * (RETENTION_WEBHOOKS_DAYS), after which a status change of an oportunidade created more than that long ago sent
 * `criacao: null`. This table is not purged (one small row per record). Filled here from the messages still stored: the
 * first body of each record that carried a `criacao`.
 */
export function webhookRegistrosMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  return {
    async up(db: Db) {
      await withId(db.schema.createTable('webhook_registros'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('tabela', 'varchar(50)', (c) => c.notNull())
        .addColumn('registro_id', 'varchar(50)', (c) => c.notNull())
        // As the body sent it: seed 004's `YYYY-MM-DD hh:mm`.
        .addColumn('criacao', 'varchar(20)', (c) => c.notNull())
        .addColumn('criado_em', timestamp, nowColumn(dialect))
        .execute();
      await db.schema
        .createIndex('webhook_registros_registro')
        .on('webhook_registros')
        .columns(['empresa_id', 'tabela', 'registro_id'])
        .unique()
        .execute();
      await installTenantGuard(db, dialect, 'webhook_registros');
      const seen = new Set<string>();
      for (let after = 0; ; ) {
        const rows = (await db
          .selectFrom('webhook_mensagens')
          .select(['id', 'empresa_id', 'registro_id', 'payload'])
          .where('tabela', '=', 'oportunidades')
          .where('id', '>', after)
          .orderBy('id')
          .limit(BACKFILL_BATCH)
          .execute()) as Array<{ id: number; empresa_id: number; registro_id: string; payload: string }>;
        const values: Array<{ empresa_id: number; tabela: string; registro_id: string; criacao: string }> = [];
        for (const row of rows) {
          const key = `${row.empresa_id}:${row.registro_id}`;
          const criacao = criacaoOf(row.payload);
          if (criacao === undefined || seen.has(key)) continue;
          seen.add(key);
          values.push({ empresa_id: Number(row.empresa_id), tabela: 'oportunidades', registro_id: row.registro_id, criacao });
        }
        if (values.length > 0) await db.insertInto('webhook_registros').values(values).execute();
        if (rows.length < BACKFILL_BATCH) break;
        after = Number(rows[rows.length - 1]?.id);
      }
    },
    async down(db: Db) {
      await dropTenantGuard(db, dialect, 'webhook_registros');
      await db.schema.dropTable('webhook_registros').execute();
    },
  };
}

/** The `criacao` a stored body carried (a JSON array of one registro de processo); undefined when none or unreadable. */
function criacaoOf(payload: string): string | undefined {
  try {
    const [body] = JSON.parse(payload) as Array<{ criacao?: unknown }>;
    return typeof body?.criacao === 'string' && body.criacao.length <= 20 ? body.criacao : undefined;
  } catch {
    return undefined;
  }
}
