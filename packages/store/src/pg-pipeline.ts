import { CompiledQuery, type Kysely } from 'kysely';
import type * as PgModule from 'pg';
import type { Database } from './schema';

// Kysely runs one statement at a time on a connection, each waiting for the answer of the one before: a round trip
// (a socket write that wakes the backend, a read that wakes us) per statement. pg pipelines (`pipeline: true`: the
// statements go out at once, each with its own Sync, answered in order), but only on clients created in that mode,
// and such a client refuses pg-copy-streams' COPY (GET's first load). So a CRM pool's clients are switched to pipeline
// mode only while they run one list of statements given through Kysely as a single marked query: the mark is an
// object of this module in the parameters, which no value from a caller, a configuration or a source row can be.

/** The first parameter of a pipelined list's query: compared by identity. */
const PIPELINE_MARK: object = Object.freeze({ integradorPipeline: true });
const PIPELINE_TEXT = '/* integrador: statements pipelined on one connection */ SELECT 1';

type QueryFn = (...args: unknown[]) => unknown;
interface PgResult {
  command?: string;
  rowCount?: number | null;
  rows?: unknown[];
}
/** The pg client fields read and set here (`pipeline` and `readyForQuery` are public in pg 8.23; `connection` holds its socket). */
interface PipelinableClient {
  pipeline: boolean;
  readyForQuery: boolean;
  /** pg's own flag (false once it gave the client up: a lost socket or a protocol error). */
  _queryable?: boolean;
  connection?: { stream?: { destroyed?: boolean; destroy?(): void; cork?(): void; uncork?(): void } };
  once(event: 'drain' | 'end' | 'error', listener: () => void): unknown;
  off(event: 'drain' | 'end' | 'error', listener: () => void): unknown;
}

/** Marks each answer of a pipelined list (a marked query run by a client without the pipelining wrapper has none). */
const PIPELINED = Symbol('integradorPipelined');

/** One pipelined statement's answer. */
export interface PipelinedResult {
  rows: unknown[];
  /** Rows an INSERT, UPDATE, DELETE or MERGE changed; undefined for other statements. */
  numAffectedRows?: bigint;
}

const pipelining = new WeakSet<Kysely<Database>>();

const changes = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Lets a CRM pool's clients run a marked list of statements pipelined (createDatabase calls it for every PostgreSQL
 * pool, after prepareHotStatements, so each statement is still named when it is hot). A client that is busy when the
 * list arrives runs it one statement after another (under Kysely, which hands a connection to one statement at a
 * time, a client is always idle there).
 */
export function installPipelining(db: Kysely<Database>, pool: PgModule.Pool): void {
  const { prepareValue } = (require('pg') as typeof PgModule & { utils: { prepareValue(value: unknown): unknown } }).utils;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as QueryFn;
    const state = client as unknown as PipelinableClient;
    const pipelined: QueryFn = (config, values, callback) => {
      if (!Array.isArray(values) || values[0] !== PIPELINE_MARK || callback !== undefined) return query(config, values, callback);
      // Every value converted as pg's bind would: one it cannot convert fails the list before anything is sent.
      const calls = (values[1] as CompiledQuery[]).map((statement) => ({
        text: statement.sql,
        values: statement.parameters.map((value) => prepareValue(value)),
      }));
      return runList(query, state, calls);
    };
    (client as unknown as { query: QueryFn }).query = pipelined;
  });
  pipelining.add(db);
}

/** How long a client may take, once every statement of its list has answered, to be idle; then it is dropped. */
const IDLE_WAIT_MS = 5000;

/**
 * Resolves once the client has every answer it waits for (pg emits 'drain' then), or its connection is gone. A client
 * pg gave up on mid-list (a protocol error) never drains: its socket is closed after IDLE_WAIT_MS, so the transaction
 * fails and the pool drops it, instead of the connection being held for good.
 */
function idle(client: PipelinableClient): Promise<void> {
  const gone = () => client.readyForQuery || client._queryable === false || client.connection?.stream?.destroyed === true;
  if (gone()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('drain', done);
      client.off('end', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(() => {
      if (!gone()) client.connection?.stream?.destroy?.();
      done();
    }, IDLE_WAIT_MS);
    client.once('drain', done);
    client.once('end', done);
    client.once('error', done);
  });
}

async function runList(query: QueryFn, client: PipelinableClient, calls: { text: string; values: unknown[] }[]): Promise<PgResult> {
  const run = (call: { text: string; values: unknown[] }) => query(call.text, call.values) as Promise<PgResult>;
  const results: PgResult[] = [];
  if (client.pipeline || !client.readyForQuery) {
    for (const call of calls) results.push(await run(call));
  } else {
    const sent: Promise<PgResult>[] = [];
    let settled: PromiseSettledResult<PgResult>[] = [];
    client.pipeline = true;
    // pg writes each query as it is queued (a socket write, on loopback a pass through the kernel's TCP stack, for
    // every statement): corked, the whole list leaves in one write.
    const stream = client.connection?.stream;
    stream?.cork?.();
    try {
      // Every query is queued in order; each has its own Sync, so each succeeds or fails as it would alone
      // (in a transaction, the statements after a failed one fail as aborted, as they would one by one).
      try {
        for (const call of calls) sent.push(run(call));
      } finally {
        stream?.uncork?.();
      }
    } finally {
      settled = await Promise.allSettled(sent);
      // A statement's promise can settle before the server's last message for it (pg answers a bind failure at once):
      // the client goes back to one statement at a time only once nothing is left on the wire, or the next statement
      // would read an earlier one's answer.
      await idle(client);
      client.pipeline = false;
    }
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason;
      results.push(outcome.value);
    }
  }
  for (const result of results) Object.defineProperty(result, PIPELINED, { value: true });
  return { command: 'PIPELINE', rowCount: null, rows: results };
}

/** True when `db`'s statements can be pipelined (a PostgreSQL CRM opened by createDatabase). */
export function canPipeline(db: Kysely<Database>): boolean {
  return pipelining.has(db);
}

/**
 * Runs `statements` in order on one connection of `trx`, a transaction of `db` (or a Kysely bound to one connection of
 * it): all sent before the first answer is read when `db` can pipeline (canPipeline), else one after another. Meant for
 * a transaction, where a failed statement fails the ones after it as aborted: outside one, PostgreSQL still runs and
 * commits the statements after a failed one, where the one-by-one fallback stops at it (safe outside one only when
 * nothing after a statement that may fail writes: insertStartIfNewThenFindLateEnd's insert then read). The first error (in
 * order) is thrown once every statement has answered.
 */
export async function executePipelined(
  db: Kysely<Database>,
  trx: Kysely<Database>,
  statements: readonly CompiledQuery<unknown>[],
): Promise<PipelinedResult[]> {
  if (statements.length < 2 || !canPipeline(db)) {
    const results: PipelinedResult[] = [];
    for (const statement of statements) {
      const { rows, numAffectedRows } = await trx.executeQuery(statement);
      results.push({ rows: rows as unknown[], numAffectedRows });
    }
    return results;
  }
  const { rows } = await trx.executeQuery<PgResult>(CompiledQuery.raw(PIPELINE_TEXT, [PIPELINE_MARK, statements]));
  // A `trx` whose connection has no pipelining (another dialect, a pool createDatabase did not open) would run the marked
  // query as plain SQL and answer one row: refused, not ignored. (A `trx` of another pipelining database runs there.)
  if (rows.length !== statements.length || !rows.every((row) => (row as { [PIPELINED]?: true })[PIPELINED] === true))
    throw new Error('pipelined statements: the connection given cannot pipeline (not a connection of a createDatabase PostgreSQL pool)');
  return rows.map((result) => ({
    rows: result.rows ?? [],
    numAffectedRows: result.command && changes.has(result.command) && result.rowCount != null ? BigInt(result.rowCount) : undefined,
  }));
}
