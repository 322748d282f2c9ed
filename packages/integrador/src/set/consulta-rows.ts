import {
  Coalescer,
  type Database,
  type DialectName,
  getOrCreate,
  type HotStatements,
  hotStatementsOf,
  isPreparedStatementRefusal,
  isStatementError,
} from '@integrador/store';
import { CompiledQuery, type Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { parseConsulta } from '../consulta';
import { bindEngineValues, type CrmScope, scopeStatement, type TenantTables } from '../runs/tenant-scope';
import {
  bindStatement,
  compileStatement,
  compileUnionRead,
  describeStatement,
  type TemplateStatement,
  UNION_BRANCH_COLUMN,
  UNION_ELAPSED_COLUMN,
  UNION_ROW_COLUMN,
} from '../template';
import { PermanentError } from './permanent-error';

/** SQL text of a consulta column: JSON-SQL (`{"consulta": "SELECT …"}`) or, in dependencias, plain SQL. */
export function consultaSql(text: string): string {
  return text.trim().startsWith('{') ? parseConsulta(text).sql : text;
}

/**
 * Compiled reads per tenant-tables reading (a new reading, every 30 s, starts afresh), per dialect and filial or not,
 * by SQL text: the text is the definition's own string, so a lookup hashes nothing new on each push.
 */
const readsByTables = new WeakMap<TenantTables, Map<string, LRUCache<string, TemplateStatement>>>();
const READS_MAX = 500;

/**
 * A CRM read bound to the run's tenant (tenant-scope.ts) and compiled, once per (SQL text, dialect, tenant tables,
 * filial or not): the scoped SQL and its placeholders do not depend on the values. A refusal (TenantScopeError) is
 * not kept: the statement is judged again, and refused again, on the next push.
 */
export function crmReadStatement(sqlText: string, dialect: DialectName, scope: CrmScope): TemplateStatement {
  const variants = getOrCreate(readsByTables, scope.tables, () => new Map());
  const variant = scope.tenant.filialId === null ? dialect : `${dialect}|filial`;
  const reads = getOrCreate(variants, variant, () => new LRUCache({ max: READS_MAX }));
  return getOrCreate(reads, sqlText, () => compileStatement(scopeStatement(sqlText, dialect, scope.tables, scope.tenant), dialect));
}

/**
 * Runs a consulta (its SQL text, consultaSql) of the run's tenant with its #vars# bound as parameters, the engine's
 * values last, and returns the rows (none of another tenant).
 */
export function runConsulta(
  db: Kysely<Database>,
  dialect: DialectName,
  sqlText: string,
  values: Readonly<Record<string, unknown>>,
  scope: CrmScope,
): Promise<Record<string, unknown>[]> {
  return readRows(db, crmReadStatement(sqlText, dialect, scope), values, scope);
}

type Row = Record<string, unknown>;
/** A read's own outcome inside a group: its rows, or the error it alone causes. */
type Settled = { rows: Row[] } | { error: unknown };

/** Union sizes: a group is padded up to the next one, so a read has at most four texts, each prepared once. */
const UNION_SIZES = [2, 4, 8, 16] as const;
const MAX_UNION = 16;
/** PostgreSQL's protocol counts a statement's parameters in 16 bits. */
const MAX_PROTOCOL_PARAMETERS = 65535;
/**
 * A union runs its branches one after another on one backend: when a quarter of its branches (isSlowUnion) take the
 * server more than SLOW_READ_MS (its own clock, UNION_ELAPSED_COLUMN, carried by every branch's rows even when its
 * read matches nothing: the client's time, network and event loop included, says nothing of it), the union is slow
 * (SlowUnions decides when the reads are too slow to wait for each other, across tenants, and run each alone, side by
 * side on the pool's connections). 20 ms, not less: a backend waiting for a CPU on a loaded machine stalls a cheap
 * branch for a few milliseconds now and then, and two such stalls among eight branches must not end the grouping of a
 * cheap consulta (a read that really is heavy takes tens of milliseconds every time).
 */
const SLOW_READ_MS = 20;
/** Slow unions in a row that make the reads run alone (a fast union starts the count again). */
const SLOW_UNIONS_IN_ROW = 3;
/** How long the reads first run alone before a union is tried again; doubled while it stays slow, up to the max. */
const PROBE_SLOW_MS = 5_000;
const PROBE_SLOW_MAX_MS = 60_000;
/** After a union failed where every read alone succeeded, grouping that read pauses this long (then it is tried again). */
const PAUSE_AFTER_FAILURE_MS = 10 * 60_000;

/** A server's SQLSTATE that speaks of the statement, not of the connection (class 08) or the server going away (57P). */
function isStatementLevelError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}

/**
 * Whether a union was slow on the server: each branch's time is the clock's advance since the branch before it
 * (`clocks`, the server's clock at each branch's last row, in branch order), and the union is slow when at least a
 * quarter of its branches took over SLOW_READ_MS — two of them at least, unless the union has only two. A backend that
 * waits for a CPU (descheduled on a busy machine) stalls the branch it is in: one stalled branch among many does not
 * make the union slow; a consulta that is slow to run is slow in every branch, and a group whose reads are half heavy
 * is slow too (the cheap ones wait for the heavy ones every time). Two reads, one heavy, count as slow: a stall of one
 * of two reads is a false alarm that SLOW_UNIONS_IN_ROW absorbs.
 */
function isSlowUnion(clocks: readonly number[]): boolean {
  let before = 0;
  let slow = 0;
  for (const clock of clocks) {
    // A clock behind the one before (branches that did not run in order, as under a parallel plan) counts as no time.
    if (clock - before > SLOW_READ_MS) slow += 1;
    before = Math.max(before, clock);
  }
  return slow * 4 >= clocks.length && (slow >= 2 || (slow === 1 && clocks.length <= 2));
}

/**
 * Whether a read's unions are too slow for its reads to wait for each other. The union's clock also counts the time
 * the backend waits for a CPU: on a saturated machine a union of cheap reads stalls now and then (isSlowUnion
 * leaves out a stall of one branch among many, not a backend slowed throughout), and running the reads alone then costs
 * more CPU (a round trip each), saturating it further. Hence the reads run alone only after SLOW_UNIONS_IN_ROW slow
 * unions in a row (a fast one starts the count again): a heavy consulta is slow every time, so it stops grouping
 * within its first unions (they run side by side, up to the Coalescer's maxRunning), while contention rarely makes
 * several in a row slow. And the pause is short, PROBE_SLOW_MS, doubled up to
 * PROBE_SLOW_MAX_MS each time the unions after it trip it again with no fast one between: a false alarm costs
 * seconds, a heavy consulta a few slow unions a minute.
 */
class SlowUnions {
  readonly #now: () => number;
  /** Slow unions since the last fast one or the last pause. */
  #inRow = 0;
  /** Until when the reads run alone. */
  #until = 0;
  /** The next pause: PROBE_SLOW_MS after a fast union, doubled by each pause. */
  #pauseMs = PROBE_SLOW_MS;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Whether the reads run alone now. */
  get slow(): boolean {
    return this.#now() < this.#until;
  }

  /** Counts one union that ran. */
  record(slow: boolean): void {
    if (!slow) {
      this.#inRow = 0;
      this.#pauseMs = PROBE_SLOW_MS;
      return;
    }
    // A union that started before the pause began says nothing new.
    if (this.slow) return;
    this.#inRow += 1;
    if (this.#inRow < SLOW_UNIONS_IN_ROW) return;
    this.#until = this.#now() + this.#pauseMs;
    this.#pauseMs = Math.min(this.#pauseMs * 2, PROBE_SLOW_MAX_MS);
    this.#inRow = 0;
  }
}

/**
 * The reads of one compiled statement that pushes in flight run at the same moment (a worker's concurrent jobs reach
 * their consulta together), as one union statement (compileUnionRead): one round trip, one Bind and one executor run
 * for up to MAX_UNION reads instead of one each. Each read keeps its own parameters (the run's own empresa among them)
 * and gets the rows of its own branch only. Grouped only while the union's text is a named statement of the pool
 * (unnamed, planning it costs more than the round trips it saves) and while the reads are cheap.
 */
class UnionReads {
  readonly #statement: TemplateStatement;
  readonly #db: Kysely<Database>;
  readonly #hot: HotStatements;
  readonly #texts = new Map<number, string>();
  /**
   * False for a read that cannot be a union's branch as it is: one naming the branch column, one using the
   * protocol's own `$n` (in a union it would read the first branch's values), one with too many parameters.
   */
  readonly #groupable: boolean;
  /**
   * True once the read ran alone without error: PostgreSQL then parsed its text as one whole statement (balanced
   * parentheses, no open literal or comment, no second statement). Only such a text is pasted into a union: a text
   * that does not parse alone could close the union's parentheses and read tables outside the tenant scope.
   */
  #parsedAlone = false;
  /** Until when grouping is paused (a union failed where every read alone succeeded). */
  #pausedUntil = 0;
  readonly #now: () => number;
  readonly #slow: SlowUnions;
  readonly coalescer: Coalescer<readonly unknown[], Settled>;
  /** Unions run (each one statement) and the reads they answered. */
  readonly stats = { unions: 0, reads: 0 };

  constructor(db: Kysely<Database>, hot: HotStatements, statement: TemplateStatement, now: () => number) {
    this.#db = db;
    this.#now = now;
    this.#slow = new SlowUnions(now);
    this.#hot = hot;
    this.#statement = statement;
    const text = statement.sql.toLowerCase();
    this.#groupable =
      !text.includes(UNION_BRANCH_COLUMN) &&
      !text.includes(UNION_ELAPSED_COLUMN) &&
      !text.includes(UNION_ROW_COLUMN) &&
      !/\$[0-9]/.test(statement.template) &&
      (statement.slots.length + 1) * MAX_UNION <= MAX_PROTOCOL_PARAMETERS;
    this.coalescer = new Coalescer<readonly unknown[], Settled>({
      name: 'consulta reads',
      maxItems: MAX_UNION,
      maxRunning: 4,
      runGroup: (reads) => this.#runGroup(reads),
      runOne: (parameters) => this.#runOne(parameters),
    });
  }

  /** Whether reads are grouped now (false while paused or for a read that cannot be grouped). */
  get grouping(): boolean {
    return this.#groupable && this.#now() >= this.#pausedUntil;
  }

  /** Whether the reads run alone for now because a union of them was too slow. */
  get slow(): boolean {
    return this.#slow.slow;
  }

  async #runOne(parameters: readonly unknown[]): Promise<Settled> {
    try {
      const result = await this.#db.executeQuery(CompiledQuery.raw(this.#statement.sql, [...parameters]));
      this.#parsedAlone = true;
      return { rows: result.rows as Row[] };
    } catch (error) {
      return { error };
    }
  }

  #alone(reads: readonly (readonly unknown[])[]): Promise<Settled[]> {
    return Promise.all(reads.map((parameters) => this.#runOne(parameters)));
  }

  #textOf(size: number): string {
    let text = this.#texts.get(size);
    if (!text) {
      text = compileUnionRead(this.#statement, size);
      this.#texts.set(size, text);
    }
    return text;
  }

  async #runGroup(reads: readonly (readonly unknown[])[]): Promise<Settled[]> {
    if (!this.#parsedAlone || !this.grouping || this.#slow.slow) return this.#alone(reads);
    return this.#runUnion(reads);
  }

  async #runUnion(reads: readonly (readonly unknown[])[]): Promise<Settled[]> {
    if (reads.length === 1) return [await this.#runOne(reads[0] as readonly unknown[])];
    const size = UNION_SIZES.find((candidate) => candidate >= reads.length) ?? MAX_UNION;
    const text = this.#textOf(size);
    if (!this.#hot.admit(text)) return this.#alone(reads);
    const parameters: unknown[] = [];
    for (let branch = 0; branch < size; branch++) {
      const read = reads[branch];
      // A padding branch repeats the first read's values (well typed) under LIMIT 0: planned, never run.
      if (read) parameters.push(...read, null);
      else parameters.push(...(reads[0] as readonly unknown[]), 0);
    }
    let rows: Row[];
    try {
      rows = (await this.#db.executeQuery(CompiledQuery.raw(text, parameters))).rows as Row[];
    } catch (err) {
      // The connection or the server went away: the Coalescer runs each read alone, each with its own outcome.
      if (!isStatementLevelError(err)) throw err;
      // The union's own name refused (pg-prepared stops admitting its text), one read's bad value (that read alone
      // fails with its own error), or the union itself (a timeout, a read that cannot be a derived table's body):
      // then every read alone succeeds, and grouping this read pauses.
      const alone = await this.#alone(reads);
      if (!isPreparedStatementRefusal(err) && alone.every((outcome) => 'rows' in outcome)) {
        this.#pausedUntil = this.#now() + PAUSE_AFTER_FAILURE_MS;
      }
      return alone;
    }
    this.stats.unions += 1;
    this.stats.reads += reads.length;
    const byRead: Row[][] = reads.map(() => []);
    // The server's clock when each branch made its last row: the branches run one after another, in order.
    const clocks = reads.map(() => 0);
    for (const row of rows) {
      const { [UNION_BRANCH_COLUMN]: branch, [UNION_ELAPSED_COLUMN]: elapsed, [UNION_ROW_COLUMN]: real, ...own } = row;
      const index = Number(branch);
      // A branch whose read matched nothing still gives one filler row (its marker NULL): it carries only the clock.
      if (real !== null && real !== undefined) byRead[index]?.push(own);
      if (index < clocks.length) clocks[index] = Math.max(clocks[index] as number, Number(elapsed));
    }
    this.#slow.record(isSlowUnion(clocks));
    return byRead.map((own) => ({ rows: own }));
  }
}

const unionReads = new WeakMap<Kysely<Database>, WeakMap<TemplateStatement, UnionReads>>();
const unionClocks = new WeakMap<Kysely<Database>, () => number>();

/** Sets the clock a pool's union reads time their pauses by (tests move it instead of waiting); before its first read. */
export function setUnionReadClock(db: Kysely<Database>, now: () => number): void {
  unionClocks.set(db, now);
}

/** What the union reads of one statement did so far (tests, diagnostics): unions run, reads answered, grouping now. */
export function unionReadStats(db: Kysely<Database>, statement: TemplateStatement) {
  const union = unionReads.get(db)?.get(statement);
  return {
    unions: union?.stats.unions ?? 0,
    reads: union?.stats.reads ?? 0,
    grouping: union?.grouping ?? null,
    slow: union?.slow ?? null,
  };
}

/**
 * Runs a read, in a union with the same read of other pushes in flight where that pays: PostgreSQL, on a pool that
 * names its hot statements (not behind a transaction-mode pooler, not inside a transaction: a transaction's handle is
 * not the pool's).
 */
async function executeRead(db: Kysely<Database>, statement: TemplateStatement, parameters: readonly unknown[]): Promise<Row[]> {
  const hot = statement.dialect === 'postgres' ? hotStatementsOf(db) : undefined;
  if (!hot) return (await db.executeQuery(CompiledQuery.raw(statement.sql, [...parameters]))).rows as Row[];
  const reads = getOrCreate(unionReads, db, () => new WeakMap());
  const union = getOrCreate(reads, statement, () => new UnionReads(db, hot, statement, unionClocks.get(db) ?? Date.now));
  const outcome = await union.coalescer.add(parameters);
  if ('error' in outcome) throw outcome.error;
  return outcome.rows;
}

/** Runs a compiled CRM read (crmReadStatement) with one push's values, the engine's values bound last. */
export async function readRows(
  db: Kysely<Database>,
  statement: TemplateStatement,
  values: Readonly<Record<string, unknown>>,
  scope: CrmScope,
): Promise<Record<string, unknown>[]> {
  try {
    const bound = bindStatement(statement, bindEngineValues(values, scope.tenant));
    return await executeRead(db, statement, bound.parameters);
  } catch (err) {
    if (isStatementError(err)) throw new PermanentError('CONSULTA_FAILED', `consulta failed: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

/** The SQL and bound values a compiled CRM read would run with (for previews). */
export function describeConsulta(statement: TemplateStatement, values: Readonly<Record<string, unknown>>, scope: CrmScope) {
  const compiled = describeStatement(statement, bindEngineValues(values, scope.tenant));
  return { sql: compiled.sql, parameters: compiled.parameters };
}
