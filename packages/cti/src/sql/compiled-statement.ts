import type { Database } from '@integrador/store';
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';

/** Stands for the i-th value of a statement while it is built and compiled. */
class Slot {
  constructor(readonly index: number) {}
}

/** A statement built once per database handle; `bind` gives it one run's values, ready for `db.executeQuery`. */
export interface CompiledStatement<V extends unknown[], R> {
  bind(db: Kysely<Database>, ...values: V): CompiledQuery<R>;
}

/**
 * A statement of worker-cti's and the listener's hot path, built and compiled by Kysely once per database handle (so
 * once per dialect) instead of on every call: building and compiling was 12 % of worker-cti's CPU (bench/README.md,
 * CTI). The builder gets a slot in place of each of its `arity` values, never a real value, so it must only place them
 * (no branching on them, no arrays for IN; a slot may be placed more than once). A value the builder writes itself is
 * compiled in as a constant. Values that a dialect converts (timestampValue) are converted by the caller before
 * binding. `bind` takes exactly `arity` values: one more or one fewer is an error, never silently dropped.
 */
export function compiledStatement<V extends unknown[], R>(
  arity: number,
  build: (db: Kysely<Database>, ...values: V) => Compilable<R>,
): CompiledStatement<V, R> {
  const compiled = new WeakMap<Kysely<Database>, { sql: string; parameters: readonly unknown[] }>();
  return {
    bind(db, ...values) {
      if (values.length !== arity) throw new Error(`compiledStatement: ${arity} values expected, ${values.length} given`);
      let statement = compiled.get(db);
      if (!statement) {
        const slots = Array.from({ length: arity }, (_, index) => new Slot(index)) as unknown as V;
        const query = build(db, ...slots).compile();
        // Every value must reach the text: a builder that dropped one (or branched on a slot) would run another statement.
        const used = new Set(query.parameters.filter((p): p is Slot => p instanceof Slot).map((p) => p.index));
        if (used.size !== arity) throw new Error(`compiledStatement: ${arity} values expected in the statement, ${used.size} placed`);
        statement = { sql: query.sql, parameters: query.parameters };
        compiled.set(db, statement);
      }
      const parameters = statement.parameters.map((p) => (p instanceof Slot ? values[p.index] : p));
      return CompiledQuery.raw(statement.sql, parameters) as CompiledQuery<R>;
    },
  };
}
