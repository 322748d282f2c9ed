import type { Logger } from '@integrador/logging';
import { assertSchemaCurrent, type CrmDatabase, NewerSchemaError, SchemaBehindError } from '@integrador/store';

/**
 * An app that does not migrate refuses to start on a database a newer version migrated (it would work on columns and
 * states it does not know, and fail jobs or pages in ways nobody reads). A database its own migrations have not reached
 * yet is said loudly (jobs that touch the missing tables fail, each with the database's words) but not refused: the
 * migration may be on its way (`integrador migrate`, the Helm hook). One that does not answer yet is only logged:
 * workers wait and reconnect.
 */
export async function checkSchema(database: CrmDatabase, logger: Logger): Promise<void> {
  try {
    await assertSchemaCurrent(database);
  } catch (err) {
    if (err instanceof NewerSchemaError) throw err;
    if (err instanceof SchemaBehindError) logger.error({ pending: err.pending }, 'crm database not migrated to this version');
    else logger.warn({ reason: (err as Error).message }, 'schema not checked: crm database unreachable');
  }
}
