import type { CompiledQuery, Kysely } from 'kysely';

/**
 * The statements `run` sends through a Kysely handle, compiled as the database receives them (text and parameters):
 * what a test hands to EXPLAIN to see the plan of a repository function's query.
 */
export async function capturedStatements<DB>(db: Kysely<DB>, run: (logged: Kysely<DB>) => Promise<unknown>): Promise<CompiledQuery[]> {
  const statements: CompiledQuery[] = [];
  const executor = db.getExecutor();
  const logged = db.withPlugin({
    transformQuery: ({ node, queryId }) => {
      statements.push(executor.compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  });
  await run(logged);
  return statements;
}
