import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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
 * Grouped texts admitted per pool, apart from MAX_PREPARED (HotStatements.admit): a union read has a text per
 * group size, and those must never take the slots of the statements that repeat per push. The least recently used
 * one makes room for a new one.
 */
export const MAX_GROUPED = 100;
/** Texts counted towards PREPARE_AFTER; the count restarts when this many wait. */
const MAX_COUNTED = 2000;
/**
 * Grouped texts released while named, remembered to be named again at once when admitted again (the oldest
 * forgotten first): without them, more than MAX_GROUPED texts used in turn would each be released before being named.
 */
export const MAX_RETIRED = 1000;
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

/**
 * Named by the text itself: one name always means one statement, in every process and on every server session
 * (behind a pooler that shares sessions, a counter's integrador_3 of one process could be another's statement).
 */
function nameOfText(text: string): string {
  return `integrador_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

/** Refusals after which the pool names nothing more (the server side cannot keep them: a pooler between). */
export const MAX_REFUSED = 20;

type QueryFn = (...args: unknown[]) => unknown;

/** A pool's named statements, as prepareHotStatements keeps them. */
export interface HotStatements {
  /** Statements named so far. */
  readonly named: number;
  /**
   * Admits a text to be named like a short statement, from a budget of its own (MAX_GROUPED, the least recently
   * admitted one released for a new one; a text released while named gets its name back at once when admitted again,
   * one still counting keeps its count): named once sent PREPARE_AFTER times; true while it is named or can still be,
   * false once the server refused its name (or the pool names nothing more). For a grouped text of a fixed shape (a
   * union read of one size: many parameters, a long text), which run unnamed costs more than the statements it groups
   * (planned on every run), so its caller asks before each run and groups only while this is true; and for a statement
   * on a pool that names only what is admitted (`admittedOnly`: the ingress, whose other statements are one-off
   * dashboard searches that keep plans made for their own values). Only for texts that repeat as they are: a text
   * that varies with a group's size (IN lists, VALUES of n rows) must not be admitted.
   */
  admit(text: string): boolean;
}

export interface HotStatementOptions {
  /** Name only the texts admitted (admit), never a text merely for being sent again and again. */
  admittedOnly?: boolean;
}

/**
 * Makes the statements a pool's clients run again and again server-side prepared statements: a parameterised text
 * sent PREPARE_AFTER times gets a name, and each connection then parses and plans it once instead of on every run
 * (less PostgreSQL CPU for the hot path: a push's consulta, write-back and outbox statements). Kysely's driver passes
 * `(text, values)`; the name is added underneath it, so every dialect's query builder stays as it is. Statements
 * without parameters (BEGIN, COMMIT) keep the simple protocol.
 */
export function prepareHotStatements(pool: PgModule.Pool, options: HotStatementOptions = {}): HotStatements {
  const names = new Map<string, string>();
  const seen = new Map<string, number>();
  const refused = new Set<string>();
  /** Grouped texts whose name the server refused: not admitted again (not counted towards MAX_REFUSED either). */
  const groupedRefused = new Set<string>();
  /** Texts named from MAX_PREPARED (not as admitted grouped texts). */
  const own = new Set<string>();
  /** Grouped texts released while named (releaseGrouped), the least recently released forgotten first. */
  const retired = new LRUCache<string, true>({ max: MAX_RETIRED });

  /**
   * The least recently used grouped text leaves: it runs unnamed until admitted again. A named one is remembered
   * (retired): admitted again, it gets its name back at once. Its statement stays prepared on the connections that
   * have it, and so does pg's record of it (parsedStatements): the name is the text's hash, so named again it is the
   * same statement, skipped where the server has it and parsed once where a connection lacks it (never a second Parse
   * of an existing name, 42P05, nor an unknown name, 26000). One still counting keeps its count in `seen`, so texts
   * taking turns are named on their PREPARE_AFTER-th run all the same. The server frees the statements when the pool
   * closes the connection (idle, or at its 30-minute lifetime: createDatabase).
   */
  const releaseGrouped = (text: string) => {
    if (own.has(text) || !names.delete(text)) return;
    retired.set(text, true);
  };
  /**
   * Admitted texts (admit): named, or named once sent PREPARE_AFTER times. Admitting one makes it the
   * most recently used; `has` leaves the order as it is. Only an eviction releases a text (a refused one is deleted
   * with its own bookkeeping).
   */
  const grouped = new LRUCache<string, true>({
    max: MAX_GROUPED,
    dispose: (_value, text, reason) => {
      if (reason === 'evict') releaseGrouped(text);
    },
  });

  /** The name to send a text under, once it has been sent PREPARE_AFTER times; undefined: unnamed this time. */
  const counted = (text: string): string | undefined => {
    const count = (seen.get(text) ?? 0) + 1;
    if (count < PREPARE_AFTER) {
      if (seen.size >= MAX_COUNTED) seen.clear();
      seen.set(text, count);
      return undefined;
    }
    seen.delete(text);
    const fresh = nameOfText(text);
    names.set(text, fresh);
    if (!grouped.has(text)) own.add(text);
    return fresh;
  };

  const nameOf = (text: string): string | undefined => {
    if (refused.size >= MAX_REFUSED) return undefined;
    const name = names.get(text);
    if (name !== undefined) return name;
    if (grouped.has(text)) return counted(text);
    if (options.admittedOnly) return undefined;
    if (text.length > MAX_TEXT || own.size >= MAX_PREPARED || refused.has(text)) return undefined;
    return counted(text);
  };

  pool.on('connect', (client) => {
    const query = client.query.bind(client) as QueryFn;
    const connection = (
      client as unknown as { connection?: { parsedStatements?: Record<string, string>; submittedNamedStatements?: Record<string, string> } }
    ).connection;
    const named: QueryFn = (config, values, callback) => {
      if (
        typeof config !== 'string' ||
        !Array.isArray(values) ||
        values.length === 0 ||
        (values.length > MAX_PARAMETERS && !grouped.has(config)) ||
        callback !== undefined
      )
        return query(config, values, callback);
      const name = nameOf(config);
      if (name === undefined) return query(config, values);
      // Pipelined behind a statement that parses this name (pg-pipeline): this one sends no Parse of its own, and when
      // that Parse fails (an aborted transaction, a bad text) this one's "unknown name" is its fallout, not a refusal.
      const behindParse = connection?.parsedStatements?.[name] === undefined && connection?.submittedNamedStatements?.[name] !== undefined;
      return (query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
        const code = String((err as { code?: unknown } | null)?.code);
        if (behindParse && code === '26000') throw err;
        if (REFUSED_CODES.has(code)) {
          // Several runs of one name can be refused at once (one per connection): the first does the pool's bookkeeping.
          if (names.get(config) === name) {
            names.delete(config);
            if (grouped.delete(config)) groupedRefused.add(config);
            if (own.delete(config)) refused.add(config);
          }
          if (connection?.parsedStatements) delete connection.parsedStatements[name];
          // Not the statement's fault: its next run is unnamed, so the caller retries it as a transient error.
          if (err !== null && typeof err === 'object') (err as Record<string, unknown>)[PREPARED_REFUSAL] = true;
        }
        throw err;
      });
    };
    (client as unknown as { query: QueryFn }).query = named;
  });

  const admit = (text: string): boolean => {
    if (refused.size >= MAX_REFUSED) return false;
    if (groupedRefused.has(text) || refused.has(text)) return false;
    // Admitted again or anew, the text becomes the most recently used (a new one evicts the least recently used).
    grouped.set(text, true);
    if (retired.delete(text)) names.set(text, nameOfText(text));
    return true;
  };

  return {
    get named() {
      return names.size;
    },
    admit,
  };
}
