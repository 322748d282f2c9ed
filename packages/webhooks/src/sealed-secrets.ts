import type { Database } from '@integrador/store';
import type { Kysely } from 'kysely';
import { parseStoredHeaders } from './endpoints.repository';
import { isSealed, isSealedHeader, openSecret, sealSecret } from './secret-box';

// Secrets are sealed when written (creation, rotation) under the WEBHOOK_SECRET_KEY of the process writing them. A
// host started without the key cannot sign for those endpoints; one started with it still reads the plain ones
// written before it was set. These two functions tell the operator about the first and fix the second.

type Db = Kysely<Database>;

/** How many endpoints hold a sealed secret (current, or previous during its grace period) or sealed header values. */
export async function countSealedEndpoints(db: Db): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) =>
      // A sealed header value is stored as {"sealed":"v1:…"}; a text value quoting that has its quotes escaped.
      eb.or([eb('segredo', 'like', 'v1:%'), eb('segredo_anterior', 'like', 'v1:%'), eb('cabecalhos', 'like', '%"sealed":"v1:%')]),
    )
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * At start-up of a process that signs or tests deliveries: one warning line when sealed secrets exist and this host
 * has no WEBHOOK_SECRET_KEY (their deliveries and tests would fail). Counts only, never a secret.
 */
export async function warnIfSealedWithoutKey(
  db: Db,
  secretKey: Buffer | undefined,
  logger: { warn(context: object, message: string): void },
): Promise<number> {
  if (secretKey) return 0;
  const endpoints = await countSealedEndpoints(db);
  if (endpoints > 0) logger.warn({ endpoints }, 'webhook secrets are sealed but WEBHOOK_SECRET_KEY is not set: their deliveries will fail');
  return endpoints;
}

/**
 * Seals every secret stored plain (written before WEBHOOK_SECRET_KEY was set), current and previous, and every custom
 * header value stored as text; answers how many endpoints changed. Each row is updated only if it still holds what
 * was read (a rotation or an edit meanwhile is not undone).
 */
export async function resealPlainSecrets(db: Db, key: Buffer): Promise<number> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['empresa_id', 'id', 'segredo', 'segredo_anterior', 'cabecalhos'])
    .where((eb) => eb.or([eb('segredo', 'like', 'plain:%'), eb('segredo_anterior', 'like', 'plain:%'), eb('cabecalhos', 'is not', null)]))
    .execute();
  let changed = 0;
  for (const row of rows) {
    const seal = (stored: string) => (isSealed(stored) ? stored : sealSecret(openSecret(stored, key), key));
    const headers = parseStoredHeaders(row.cabecalhos);
    const plainHeaders = Object.values(headers).some((value) => !isSealedHeader(value));
    if (!plainHeaders && isSealed(row.segredo) && (row.segredo_anterior === null || isSealed(row.segredo_anterior))) continue;
    const cabecalhos = plainHeaders
      ? JSON.stringify(
          Object.fromEntries(
            Object.entries(headers).map(([name, value]) => [name, isSealedHeader(value) ? value : { sealed: sealSecret(value, key) }]),
          ),
        )
      : row.cabecalhos;
    let update = db
      .updateTable('webhook_endpoints')
      .set({ segredo: seal(row.segredo), segredo_anterior: row.segredo_anterior === null ? null : seal(row.segredo_anterior), cabecalhos })
      .where('empresa_id', '=', row.empresa_id)
      .where('id', '=', row.id)
      .where('segredo', '=', row.segredo);
    update =
      row.segredo_anterior === null
        ? update.where('segredo_anterior', 'is', null)
        : update.where('segredo_anterior', '=', row.segredo_anterior);
    update = row.cabecalhos === null ? update.where('cabecalhos', 'is', null) : update.where('cabecalhos', '=', row.cabecalhos);
    const result = await update.executeTakeFirst();
    changed += Number(result.numUpdatedRows) > 0 ? 1 : 0;
  }
  return changed;
}
