import { createEmpresa, type Database } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { Kysely } from 'kysely';
import { normalizePhone } from './normalize-phone';
import { catchUpPhoneIndex, findCallers, findCallersIfIndexed } from './phone-index';

// A lookup reads the pending notes and the index in two statements, and a catch-up elsewhere (the worker's sweep, on
// another pooled connection) may commit between them. Read in that order, a write made before the call is either still
// noted or already indexed; read the other way round (or with no look at the notes), the index is read before the
// catch-up and the notes after it, and the new caller is answered as unknown. The catch-up is made to commit exactly
// there: after the lookup's first statement returns, on a second connection, before its second statement starts.
// (Pool-backed dialects only: SQLite's one connection is held by the statement whose result is being returned.)

/** `db`, whose first statement's result is returned only after a catch-up of the empresa committed on another connection. */
function catchUpAfterFirstRead(db: Kysely<Database>, empresaId: number): { db: Kysely<Database>; caughtUp: () => number | undefined } {
  let consumed: number | undefined;
  const plugged = db.withPlugin({
    transformQuery: ({ node }) => node,
    async transformResult({ result }) {
      if (consumed === undefined) consumed = await catchUpPhoneIndex(db, empresaId);
      return result;
    },
  });
  return { db: plugged, caughtUp: () => consumed };
}

describe.each(['postgres', 'mysql'] as const)('a caller lookup racing a phone index catch-up on %s', (dialect) => {
  let database: TestDatabase;
  let empresaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaId = await createEmpresa(database.db, 'Acme');
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A new conta with a phone, noted (not yet indexed) by the triggers; its id. */
  async function noteNewConta(nome: string, telefone: string): Promise<number> {
    await catchUpPhoneIndex(database.db, empresaId);
    await database.db.insertInto('contas').values({ empresa_id: empresaId, nome, telefone }).execute();
    const row = await database.db.selectFrom('contas').select('id').where('nome', '=', nome).executeTakeFirstOrThrow();
    return Number(row.id);
  }

  it('findCallers finds a conta written before the call', async () => {
    const id = await noteNewConta('Nova Conta', '(47) 3210-0777');
    const racing = catchUpAfterFirstRead(database.db, empresaId);
    const found = await findCallers(racing.db, empresaId, normalizePhone('4732100777'));
    expect(racing.caughtUp()).toBe(1);
    expect(found.map((match) => match.id)).toEqual([id]);
  });

  it('findCallersIfIndexed answers "not indexed yet" or with the conta, never without it', async () => {
    const id = await noteNewConta('Outra Conta', '(47) 3210-0888');
    const racing = catchUpAfterFirstRead(database.db, empresaId);
    const found = await findCallersIfIndexed(racing.db, empresaId, normalizePhone('4732100888'));
    expect(racing.caughtUp()).toBe(1);
    expect(found === undefined || found.some((match) => match.id === id)).toBe(true);
  });
});
