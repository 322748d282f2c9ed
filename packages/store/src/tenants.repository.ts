import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

/** The caller an API key identifies: an empresa, and a filial when the key is restricted to one. */
export interface Tenant {
  empresaId: number;
  filialId: number | null;
  nome: string;
}

const KEY_PREFIX = 'igk';

/** SHA-256 of the key's secret part. Keys carry 256 random bits, so a fast hash is enough (no dictionary to guess from). */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Splits "igk_<prefix>_<secret>" into its parts, or null when the text is not shaped like a key. */
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const match = /^igk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  return match ? { prefix: match[1] as string, secret: match[2] as string } : null;
}

/** Creates an empresa (and optionally a filial). */
export async function createEmpresa(db: Kysely<Database>, nome: string, documento?: string): Promise<number> {
  return insertReturningId(db, 'empresas', { nome, documento: documento ?? null });
}

/** Creates a filial of an empresa. */
export async function createFilial(db: Kysely<Database>, empresaId: number, nome: string): Promise<number> {
  return insertReturningId(db, 'empresa_filiais', { empresa_id: empresaId, nome });
}

/**
 * The filiais a caller may see, by name: a filial caller (key or operator bound to one) its own filial only — the
 * engine's filial rule, so a key never learns its sibling filiais' names — an empresa-wide caller every filial of
 * the empresas asked for. `ids` narrows the answer to some filiais (the names of listed records).
 */
export async function listFiliais(
  db: Kysely<Database>,
  caller: { empresaIds: readonly number[]; filialId: number | null },
  ids?: readonly number[],
): Promise<Array<{ id: number; empresaId: number; nome: string }>> {
  if (!caller.empresaIds.length || ids?.length === 0) return [];
  let query = db
    .selectFrom('empresa_filiais')
    .select(['id', 'empresa_id', 'nome'])
    .where('empresa_id', 'in', [...caller.empresaIds]);
  if (caller.filialId !== null) query = query.where('id', '=', caller.filialId);
  if (ids) query = query.where('id', 'in', [...ids]);
  const rows = await query.orderBy('id').execute();
  return rows.map((f) => ({ id: Number(f.id), empresaId: Number(f.empresa_id), nome: f.nome }));
}

/** Issues an API key; the returned plain key is shown once and never stored. */
export async function issueApiKey(db: Kysely<Database>, empresaId: number, filialId: number | null, name: string): Promise<string> {
  const prefix = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  await db
    .insertInto('api_keys')
    .values({ empresa_id: empresaId, empresa_filial_id: filialId, name, key_prefix: prefix, key_hash: hashApiKeySecret(secret) })
    .execute();
  return `${KEY_PREFIX}_${prefix}_${secret}`;
}

/** Finds the tenant an API key belongs to; null for unknown, malformed or revoked keys. */
export async function findTenantByApiKey(db: Kysely<Database>, key: string): Promise<Tenant | null> {
  const parts = parseApiKey(key);
  if (!parts) return null;
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('empresas', 'empresas.id', 'api_keys.empresa_id')
    .select([
      'api_keys.key_hash',
      'api_keys.empresa_id',
      'api_keys.empresa_filial_id',
      'api_keys.revoked_at',
      'empresas.nome',
      'empresas.ativo',
    ])
    .where('api_keys.key_prefix', '=', parts.prefix)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || Number(row.ativo) !== 1) return null;
  const expected = Buffer.from(row.key_hash, 'hex');
  const actual = Buffer.from(hashApiKeySecret(parts.secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  return {
    empresaId: Number(row.empresa_id),
    filialId: row.empresa_filial_id === null ? null : Number(row.empresa_filial_id),
    nome: row.nome,
  };
}

/** Revokes every key with the given prefix of an empresa; returns how many were revoked. */
export async function revokeApiKey(db: Kysely<Database>, empresaId: number, prefix: string): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<string>`CURRENT_TIMESTAMP` })
    .where('empresa_id', '=', empresaId)
    .where('key_prefix', '=', prefix)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

type TableWithId = 'empresas' | 'empresa_filiais';

/** INSERT returning the new id on every dialect: RETURNING where the adapter has it, insertId on MySQL. */
async function insertReturningId<T extends TableWithId>(db: Kysely<Database>, table: T, values: Record<string, unknown>): Promise<number> {
  const query = db.insertInto(table).values(values as never);
  if (db.getExecutor().adapter.supportsReturning) {
    const row = await query.returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const result = await query.executeTakeFirstOrThrow();
  return Number(result.insertId);
}
