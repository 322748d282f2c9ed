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
/** The pg client fields read and set here (public in pg 8.23: `pipeline`, `readyForQuery`). */
interface PipelinableClient {
  pipeline: boolean;
  readyForQuery: boolean;
}

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
 * pool, after prepareHotStatements, so each statement is still named when it is hot). A client that is not idle when
 * the list arrives (it never is under Kysely, which hands a connection to one statement at a time) runs it in order.
 */
export function installPipelining(db: Kysely<Database>, pool: PgModule.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as QueryFn;
    const state = client as unknown as PipelinableClient;
    const pipelined: QueryFn = (config, values, callback) => {
      if (!Array.isArray(values) || values[0] !== PIPELINE_MARK || callback !== undefined) return query(config, values, callback);
      return runList(query, state, values[1] as CompiledQuery[]);
    };
    (client as unknown as { query: QueryFn }).query = pipelined;
  });
  pipelining.add(db);
}

async function runList(query: QueryFn, client: PipelinableClient, statements: CompiledQuery[]): Promise<PgResult> {
  const run = (statement: CompiledQuery) => query(statement.sql, [...statement.parameters]) as Promise<PgResult>;
  const results: PgResult[] = [];
  if (client.pipeline || !client.readyForQuery) {
    for (const statement of statements) results.push(await run(statement));
    return { command: 'PIPELINE', rowCount: null, rows: results };
  }
  client.pipeline = true;
  let settled: PromiseSettledResult<PgResult>[];
  try {
    // Every query is written as it is queued; each has its own Sync, so each succeeds or fails as it would alone
    // (in a transaction, the statements after a failed one fail as aborted, as they would one by one).
    settled = await Promise.allSettled(statements.map(run));
  } finally {
    // Every answer is in: no query is in flight, so the client goes back to one statement at a time.
    client.pipeline = false;
  }
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    results.push(outcome.value);
  }
  return { command: 'PIPELINE', rowCount: null, rows: results };
}

/** True when `db`'s statements can be pipelined (a PostgreSQL CRM opened by createDatabase). */
export function canPipeline(db: Kysely<Database>): boolean {
  return pipelining.has(db);
}

/**
 * Runs `statements` in order on one connection of `trx` (a transaction, or a Kysely bound to one connection), sending
 * them all before reading the first answer when `db` can pipeline (canPipeline), else one after another. Each statement
 * behaves as if run alone; the first error (in order) is thrown once every statement has answered.
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
  return rows.map((result) => ({
    rows: result.rows ?? [],
    numAffectedRows: result.command && changes.has(result.command) && result.rowCount != null ? BigInt(result.rowCount) : undefined,
  }));
}
