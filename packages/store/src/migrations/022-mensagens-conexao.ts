import type { Kysely, Migration } from 'kysely';
import { withoutConnectionsFileDetail } from '../legacy-connection-text';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/** Rows rewritten per round: the matching rows are few (connection failures), read by id to bound each round. */
const BATCH = 500;

/**
 * Job records of connection failures stored before their messages were narrowed named the connections file's path and
 * every connection it defines (other customers'), or both empresas' ids: their message and their search text (busca,
 * which a tenant's search reads) are rewritten as today's messages word them, so no search finds a record by another
 * customer's connection name. The old texts are not kept: down() leaves the rows as they are.
 */
export function mensagensConexaoMigration(): Migration {
  return {
    async up(db: Db) {
      let after = 0;
      for (;;) {
        const rows: Array<{ id: number | string; erro_mensagem: string | null; busca: string }> = await db
          .selectFrom('registro_jobs')
          .select(['id', 'erro_mensagem', 'busca'])
          .where('id', '>', after)
          .where((eb) =>
            eb.or(
              ['erro_mensagem', 'busca'].flatMap((column) => [
                eb(column, 'like', '%in connections file %'),
                eb(column, 'like', '%is restricted to empresa %'),
              ]),
            ),
          )
          .orderBy('id')
          .limit(BATCH)
          .execute();
        for (const row of rows) {
          await db
            .updateTable('registro_jobs')
            .set({ erro_mensagem: withoutConnectionsFileDetail(row.erro_mensagem), busca: withoutConnectionsFileDetail(row.busca) })
            .where('id', '=', row.id)
            .execute();
        }
        if (rows.length < BATCH) break;
        after = Number(rows[rows.length - 1]?.id);
      }
    },
    async down() {
      // The removed path and names are not restored (they were the leak).
    },
  };
}
