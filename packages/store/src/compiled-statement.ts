import { type Compilable, CompiledQuery, type DialectAdapter, type Kysely } from 'kysely';
import type { Database } from './schema';

/** Stands for the i-th value of a statement while it is built and compiled. */
class Slot {
  constructor(readonly index: number) {}

  // A value the builder derives from a slot (`${a}%`, JSON.stringify) would be compiled in as a constant text
  // ('[object Object]%'): refused instead.
  [Symbol.toPrimitive](): never {
    throw new Error(`compiledStatement: value ${this.index + 1} was converted while the statement was built; derive it before bind`);
  }

  toJSON(): never {
    return this[Symbol.toPrimitive]();
  }
}

/** A statement built once per database handle; `bind` gives it one run's values, ready for `db.executeQuery`. */
export interface CompiledStatement<V extends unknown[], R> {
  bind(db: Kysely<Database>, ...values: V): CompiledQuery<R>;
}

interface Compiled {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * A statement of a hot path (worker-cti, the listener, the SET worker's claim and job records), built and compiled by
 * Kysely once per database handle (so once per dialect) instead of on every call: building and compiling was 12 % of
 * worker-cti's CPU (bench/README.md, CTI). A handle's transactions share its compiled text (they are new Kysely
 * instances, but with the handle's adapter and plugins). The builder gets a slot in place of each of its `arity`
 * values, never a real value, so it must only place them (no branching on them, no arrays for IN, no lengths: pgUnnest
 * checks lengths only of real arrays; a slot may be placed more than once). A value the builder writes itself is
 * compiled in as a constant; one derived from a slot (`${slot}%`, JSON) is an error. Values that a dialect converts
 * (timestampValue) are converted by the caller before binding. `bind` takes exactly `arity` values: one more or one
 * fewer is an error, never silently dropped. A slot is a placeholder whatever it is bound to later: `where(col, 'is',
 * slot)` compiles to `is $1` (write `is null` as a constant), and an insert's column bound to undefined stays in the
 * statement (the driver writes NULL or refuses it; the column's default never applies), never dropped the way Kysely's
 * values() drops it. Handles with plugins (withSchema, withPlugin: new plugin objects on every call) compile on every
 * bind, uncached.
 */
export function compiledStatement<V extends unknown[], R>(
  arity: number,
  build: (db: Kysely<Database>, ...values: V) => Compilable<R>,
): CompiledStatement<V, R> {
  // Keyed by the adapter: one per handle, shared by its transactions. Only handles without plugins are cached: withSchema
  // and withPlugin make new plugin objects on every call, so entries keyed by them would grow without limit.
  const compiled = new WeakMap<DialectAdapter, Compiled>();
  const compile = (db: Kysely<Database>): Compiled => {
    const slots = Array.from({ length: arity }, (_, index) => new Slot(index)) as unknown as V;
    const query = build(db, ...slots).compile();
    // Every value must reach the text: a builder that dropped one (or branched on a slot) would run another statement.
    const used = new Set(query.parameters.filter((p): p is Slot => p instanceof Slot).map((p) => p.index));
    if (used.size !== arity) throw new Error(`compiledStatement: ${arity} values expected in the statement, ${used.size} placed`);
    return { sql: query.sql, parameters: query.parameters };
  };
  return {
    bind(db, ...values) {
      if (values.length !== arity) throw new Error(`compiledStatement: ${arity} values expected, ${values.length} given`);
      const executor = db.getExecutor();
      let statement = executor.plugins.length ? undefined : compiled.get(executor.adapter);
      if (!statement) {
        statement = compile(db);
        if (!executor.plugins.length) compiled.set(executor.adapter, statement);
      }
      const parameters = statement.parameters.map((p) => (p instanceof Slot ? values[p.index] : p));
      return CompiledQuery.raw(statement.sql, parameters) as CompiledQuery<R>;
    },
  };
}
