import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuditoriaAcoesTable, Database, OperadoresTable, PapelOperador } from './schema';
import { timestampValue } from './sincronizacao.repository';

type Db = Kysely<Database>;
export type Operador = Omit<Selectable<OperadoresTable>, 'senha_hash'> & { empresas: number[] };
export type AuditoriaAcao = Selectable<AuditoriaAcoesTable>;

// scrypt's cost: N=2^15 (~60 ms here), enough against offline guessing, cheap enough for a login rate-limited per IP.
const SCRYPT = { N: 32768, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer, o: { N: number; r: number; p: number }, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...o, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64): parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when the password matches the stored hash (constant-time comparison). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
  return timingSafeEqual(key, expected);
}

export interface OperadorInput {
  login: string;
  nome: string;
  senha: string;
  papel: PapelOperador;
  empresas?: number[];
  fusoHorario?: string;
  idioma?: string;
}

/** Creates an operator (password hashed with scrypt) and the tenants they may see; returns the id. */
export async function createOperador(db: Db, input: OperadorInput): Promise<number> {
  const senha_hash = await hashPassword(input.senha);
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('operadores')
      .values({
        login: input.login,
        nome: input.nome,
        senha_hash,
        papel: input.papel,
        ativo: 1,
        ...(input.fusoHorario ? { fuso_horario: input.fusoHorario } : {}),
        ...(input.idioma ? { idioma: input.idioma } : {}),
      })
      .execute();
    const { id } = await trx.selectFrom('operadores').select('id').where('login', '=', input.login).executeTakeFirstOrThrow();
    if (input.empresas?.length)
      await trx
        .insertInto('operadores_empresas')
        .values(input.empresas.map((empresa_id) => ({ operador_id: id, empresa_id })))
        .execute();
    return id;
  });
}

async function withEmpresas(db: Db, row: Omit<Operador, 'empresas'>): Promise<Operador> {
  const empresas = await db.selectFrom('operadores_empresas').select('empresa_id').where('operador_id', '=', row.id).execute();
  return { ...row, empresas: empresas.map((e) => e.empresa_id) };
}

const PUBLIC_COLUMNS = ['id', 'login', 'nome', 'papel', 'fuso_horario', 'idioma', 'ativo', 'criado_em'] as const;

// The hash an unknown login's password is checked against: the same scrypt work as a known login's, so the answer's
// time does not tell which logins exist. Made once, from a random password nobody knows.
let dummyHash: Promise<string> | undefined;
const dummy = () => {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'));
  return dummyHash;
};

/**
 * The active operator with this login and password, or undefined (same answer, and the same scrypt work, for an
 * unknown or disabled login and a bad password). `verify` is the password check (the tests watch which hash it gets).
 */
export async function authenticateOperador(
  db: Db,
  login: string,
  senha: string,
  verify: (password: string, stored: string) => Promise<boolean> = verifyPassword,
): Promise<Operador | undefined> {
  const row = await db.selectFrom('operadores').selectAll().where('login', '=', login).where('ativo', '=', 1).executeTakeFirst();
  if (!row) {
    await verify(senha, await dummy());
    return undefined;
  }
  if (!(await verify(senha, row.senha_hash))) return undefined;
  const { senha_hash: _, ...rest } = row;
  return withEmpresas(db, rest);
}

/** Every operator (the CLI's list). */
export async function listOperadores(db: Db): Promise<Operador[]> {
  const rows = await db.selectFrom('operadores').select(PUBLIC_COLUMNS).orderBy('login').execute();
  return Promise.all(rows.map((row) => withEmpresas(db, row)));
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Opens a session: the cookie gets the returned token, the database only its hash; the CSRF token is per session. */
export async function createSessao(db: Db, operadorId: number, ttlMs: number): Promise<{ token: string; csrf: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  await db
    .insertInto('sessoes_operador')
    .values({
      operador_id: operadorId,
      token_hash: tokenHash(token),
      csrf_token: csrf,
      expira_em: timestampValue(db, new Date(Date.now() + ttlMs)),
      criado_em: timestampValue(db, new Date()),
    })
    .execute();
  return { token, csrf };
}

/** The operator and CSRF token of a live session, or undefined (expired, unknown or operator disabled). */
export async function findSessao(db: Db, token: string): Promise<{ operador: Operador; csrf: string } | undefined> {
  const row = await db
    .selectFrom('sessoes_operador as s')
    .innerJoin('operadores as o', 'o.id', 's.operador_id')
    .select(['s.csrf_token', 's.expira_em', ...PUBLIC_COLUMNS.map((c) => `o.${c}` as const)])
    .where('s.token_hash', '=', tokenHash(token))
    .where('o.ativo', '=', 1)
    .executeTakeFirst();
  if (!row) return undefined;
  const expires = row.expira_em instanceof Date ? row.expira_em.getTime() : Date.parse(row.expira_em);
  if (expires < Date.now()) return undefined;
  const { csrf_token, expira_em: _, ...operador } = row;
  return { operador: await withEmpresas(db, operador), csrf: csrf_token };
}

/** Ends a session (logout). */
export async function deleteSessao(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessoes_operador').where('token_hash', '=', tokenHash(token)).execute();
}

export interface AuditEntry {
  autor: string;
  operadorId: number | null;
  empresaId: number | null;
  acao: string;
  alvo?: string | null;
  quantidade: number;
  detalhe?: Record<string, unknown> | null;
}

/** Appends one action to the audit log. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auditoria_acoes')
    .values({
      autor: entry.autor.slice(0, 120),
      operador_id: entry.operadorId,
      empresa_id: entry.empresaId,
      acao: entry.acao,
      alvo: entry.alvo ?? null,
      quantidade: entry.quantidade,
      detalhe: entry.detalhe ? JSON.stringify(entry.detalhe) : null,
      criado_em: timestampValue(db, new Date()),
    })
    .execute();
}

/** The newest entry one author wrote of one action on one target of a tenant (a form's outcome shown after its redirect). */
export async function latestAudit(
  db: Db,
  where: { empresaId: number; acao: string; alvo: string; autor: string },
): Promise<AuditoriaAcao | undefined> {
  return db
    .selectFrom('auditoria_acoes')
    .selectAll()
    .where('empresa_id', '=', where.empresaId)
    .where('acao', '=', where.acao)
    .where('alvo', '=', where.alvo)
    .where('autor', '=', where.autor.slice(0, 120))
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest audit entries visible in a tenant scope (an admin also sees entries without a tenant). */
export async function listAudit(db: Db, scope: 'all' | readonly number[], limit = 100): Promise<AuditoriaAcao[]> {
  let query = db.selectFrom('auditoria_acoes').selectAll();
  if (scope !== 'all') query = query.where('empresa_id', 'in', scope.length ? [...scope] : [-1]);
  return query.orderBy('id', 'desc').limit(limit).execute();
}
