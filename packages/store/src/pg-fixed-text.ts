import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * A PostgreSQL statement whose SQL text is the same on every call (fed by unnest arrays: pgUnnest), built by Kysely
 * only once: the first call builds and compiles it and notes which argument each parameter is (by identity: every
 * argument an array, every parameter one of them); later calls put their arguments in those places. Building and
 * compiling a multi-row write cost the worker more CPU than sending it. Only for PostgreSQL databases: the text of
 * the first call is used for every `db` given.
 */
export function fixedTextStatement<A extends readonly unknown[][]>(
  build: (db: Kysely<Database>, ...args: A) => Compilable,
): (db: Kysely<Database>, ...args: A) => CompiledQuery {
  let compiled: { sql: string; slots: number[] } | undefined;
  return (db, ...args) => {
    if (compiled === undefined) {
      const query = build(db, ...args).compile();
      const slots = query.parameters.map((parameter) => args.indexOf(parameter as unknown[]));
      // A constant, or a value derived from an argument, would be bound once and for all: refused, never cached.
      if (slots.some((slot) => slot < 0) || new Set(args).size !== args.length)
        throw new Error('fixedTextStatement: every parameter must be one of the arguments, each a distinct array');
      compiled = { sql: query.sql, slots };
      return query;
    }
    const { sql, slots } = compiled;
    return CompiledQuery.raw(
      sql,
      slots.map((slot) => args[slot]),
    );
  };
}
