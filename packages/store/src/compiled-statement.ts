import { type Compilable, CompiledQuery, type DialectAdapter, type Kysely, type KyselyPlugin } from 'kysely';
import type { Database } from './schema';

/** Stands for the i-th value of a statement while it is built and compiled. */
class Slot {
  constructor(readonly index: number) {}
}

/** A statement built once per database handle; `bind` gives it one run's values, ready for `db.executeQuery`. */
export interface CompiledStatement<V extends unknown[], R> {
  bind(db: Kysely<Database>, ...values: V): CompiledQuery<R>;
}

interface Compiled {
  plugins: readonly KyselyPlugin[];
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
 * compiled in as a constant. Values that a dialect converts (timestampValue) are converted by the caller before
 * binding. `bind` takes exactly `arity` values: one more or one fewer is an error, never silently dropped.
 */
export function compiledStatement<V extends unknown[], R>(
  arity: number,
  build: (db: Kysely<Database>, ...values: V) => Compilable<R>,
): CompiledStatement<V, R> {
  // Keyed by the adapter: one per handle, shared by its transactions; the plugins (none here today) are compared too.
  const compiled = new WeakMap<DialectAdapter, Compiled[]>();
  return {
    bind(db, ...values) {
      if (values.length !== arity) throw new Error(`compiledStatement: ${arity} values expected, ${values.length} given`);
      const executor = db.getExecutor();
      const plugins = executor.plugins;
      const forAdapter = compiled.get(executor.adapter) ?? [];
      let statement = forAdapter.find((entry) => samePlugins(entry.plugins, plugins));
      if (!statement) {
        const slots = Array.from({ length: arity }, (_, index) => new Slot(index)) as unknown as V;
        const query = build(db, ...slots).compile();
        // Every value must reach the text: a builder that dropped one (or branched on a slot) would run another statement.
        const used = new Set(query.parameters.filter((p): p is Slot => p instanceof Slot).map((p) => p.index));
        if (used.size !== arity) throw new Error(`compiledStatement: ${arity} values expected in the statement, ${used.size} placed`);
        statement = { plugins: [...plugins], sql: query.sql, parameters: query.parameters };
        forAdapter.push(statement);
        compiled.set(executor.adapter, forAdapter);
      }
      const parameters = statement.parameters.map((p) => (p instanceof Slot ? values[p.index] : p));
      return CompiledQuery.raw(statement.sql, parameters) as CompiledQuery<R>;
    },
  };
}

function samePlugins(a: readonly KyselyPlugin[], b: readonly KyselyPlugin[]): boolean {
  return a.length === b.length && a.every((plugin, i) => plugin === b[i]);
}
