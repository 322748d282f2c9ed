import { createHash } from 'node:crypto';
import type * as PgModule from 'pg';

/** Times a statement's text is sent before it gets a name (a statement run once or twice is not worth preparing). */
export const PREPARE_AFTER = 3;
/** Statements named per pool: each is prepared once on every connection that runs it, and kept by its backend. */
export const MAX_PREPARED = 100;
/** Longer texts (multi-row statements of a large group) stay unnamed: rare, and a large plan kept per backend. */
const MAX_TEXT = 4000;
/**
 * Statements with more parameters stay unnamed: the grouped multi-row statements (one text per group size) would take
 * the MAX_PREPARED slots from the statements that repeat per push, and their parse is shared by their rows anyway.
 */
export const MAX_PARAMETERS = 24;
/**
 * Texts a caller declared worth naming whatever their length and parameters (groupedPrepared): few texts of fixed
 * shape that repeat, such as the union reads of set/consulta-rows.ts (one text per group size). Bounded: the oldest
 * declaration is forgotten first.
 */
const largeButFixed = new Set<string>();
const MAX_LARGE_BUT_FIXED = 400;

/**
 * Declares a statement text of many parameters or a long text that repeats as it is (a grouped read of a fixed size),
 * so the pools that prepare hot statements name it like a short one; it still waits for PREPARE_AFTER runs and takes
 * one of the MAX_PREPARED slots. Only for a few fixed texts: statements whose text varies with a group's size (IN
 * lists, VALUES of n rows) must not be declared.
 */
export function groupedPrepared(text: string): void {
  if (largeButFixed.has(text)) return;
  if (largeButFixed.size >= MAX_LARGE_BUT_FIXED) largeButFixed.delete(largeButFixed.values().next().value as string);
  largeButFixed.add(text);
}

/** Texts counted towards PREPARE_AFTER; the count restarts when this many wait. */
const MAX_COUNTED = 2000;
/**
 * Errors after which a text is no longer named: the server does not know the name (a pooler such as PgBouncer in
 * transaction mode hands another session), knows it already, or refuses the cached plan (a table's columns changed
 * under a `SELECT *`). The statement failing here fails like any error; its next run is unnamed.
 */
const REFUSED_CODES = new Set(['26000', '42P05', '0A000']);
const PREPARED_REFUSAL = 'integradorPreparedRefusal';

/** True for an error the server gave a prepared statement's name (not its text): the same statement runs unnamed next. */
export function isPreparedStatementRefusal(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as Record<string, unknown>)[PREPARED_REFUSAL] === true;
}

/** Refusals after which the pool names nothing more (the server side cannot keep them: a pooler between). */
const MAX_REFUSED = 20;

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Makes the statements a pool's clients run again and again server-side prepared statements: a parameterised text
 * sent PREPARE_AFTER times gets a name, and each connection then parses and plans it once instead of on every run
 * (less PostgreSQL CPU for the hot path: a push's consulta, write-back and outbox statements). Kysely's driver passes
 * `(text, values)`; the name is added underneath it, so every dialect's query builder stays as it is. Statements
 * without parameters (BEGIN, COMMIT) keep the simple protocol.
 */
export function prepareHotStatements(pool: PgModule.Pool): { readonly named: number } {
  const names = new Map<string, string>();
  const seen = new Map<string, number>();
  const refused = new Set<string>();

  const nameOf = (text: string): string | undefined => {
    const name = names.get(text);
    if (name !== undefined) return name;
    if (
      (text.length > MAX_TEXT && !largeButFixed.has(text)) ||
      names.size >= MAX_PREPARED ||
      refused.size >= MAX_REFUSED ||
      refused.has(text)
    )
      return undefined;
    const count = (seen.get(text) ?? 0) + 1;
    if (count < PREPARE_AFTER) {
      if (seen.size >= MAX_COUNTED) seen.clear();
      seen.set(text, count);
      return undefined;
    }
    seen.delete(text);
    // Named by the text itself: one name always means one statement, in every process and on every server session
    // (behind a pooler that shares sessions, a counter's integrador_3 of one process could be another's statement).
    const fresh = `integrador_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    names.set(text, fresh);
    return fresh;
  };

  pool.on('connect', (client) => {
    const query = client.query.bind(client) as QueryFn;
    const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection;
    const named: QueryFn = (config, values, callback) => {
      if (
        typeof config !== 'string' ||
        !Array.isArray(values) ||
        values.length === 0 ||
        (values.length > MAX_PARAMETERS && !largeButFixed.has(config)) ||
        callback !== undefined
      )
        return query(config, values, callback);
      const name = refused.size >= MAX_REFUSED ? undefined : nameOf(config);
      if (name === undefined) return query(config, values);
      return (query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
        if (REFUSED_CODES.has(String((err as { code?: unknown } | null)?.code))) {
          names.delete(config);
          refused.add(config);
          if (connection?.parsedStatements) delete connection.parsedStatements[name];
          // Not the statement's fault: its next run is unnamed, so the caller retries it as a transient error.
          if (err !== null && typeof err === 'object') (err as Record<string, unknown>)[PREPARED_REFUSAL] = true;
        }
        throw err;
      });
    };
    (client as unknown as { query: QueryFn }).query = named;
  });

  return {
    get named() {
      return names.size;
    },
  };
}
