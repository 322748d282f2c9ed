import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { claimExecucao, concludeExecucoesInScope, markSending, recordTentativa, setExecucaoStatus } from './execucoes.repository';
import { concludeNotWrittenBack, markHeldBy, releaseHeldRecord } from './held-records.repository';
import { markOrphanedBy } from './orphaned-claims.repository';
import { findPurgeCandidates } from './retention.repository';
import { withTenantScope } from './tenant-guard';

const exchange = { url: 'http://erp/g5', requisicao: '<req/>', resposta: '<resp/>', statusHttp: 200, duracaoMs: 12, erro: null };

// The SET outbox's purge pages by creation (criado_em) and judges a row's age by its last change (atualizado_em): every
// row past its retention is in the range it reads only if no row's last change is earlier than its creation. On
// MySQL/MariaDB criado_em has milliseconds (datetime(3), CURRENT_TIMESTAMP(3)), so every update must set atualizado_em
// with them too (a bare CURRENT_TIMESTAMP there is whole seconds, earlier than a creation in the same second).
describe.each(ALL_DIALECTS)('SET outbox row timestamps on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** The rows whose last change reads as earlier than their creation. */
  const changedBeforeCreated = async (ids: number[]) =>
    (
      await database.db
        .selectFrom('integracao_execucoes')
        .select('id')
        .where('id', 'in', ids)
        .where(sql<boolean>`criado_em > atualizado_em`)
        .execute()
    ).map((row) => row.id);

  it("no update of a push's row sets its last change earlier than its creation; the purge finds every row past its age", async () => {
    const { db } = database;
    const keys = Array.from({ length: 20 }, (_, i) => ({
      empresaId: 1,
      integracaoId: 19,
      chave: `set:19:${dialect}:ts${i}`,
      jobId: `ts${i}`,
      registro: `19:${i}`,
    }));
    const ids: number[] = [];
    for (const key of keys) ids.push((await claimExecucao(db, key)).id);
    const [first, second, third] = ids as [number, number, number];
    // Each statement that sets atualizado_em, checked right after it runs (within the second of the creations).
    for (const id of ids) await recordTentativa(db, id, exchange, { status: 'enviado', valores: { codCli: id } });
    expect(await changedBeforeCreated(ids)).toEqual([]);
    await setExecucaoStatus(db, first, 'pendente');
    await markSending(db, first, keys[0] as (typeof keys)[0]);
    await markHeldBy(db, 1, second, { holdId: first, operatorRetries: 0 });
    await concludeNotWrittenBack(db, 1, second, { mensagem: 'held', registro: '19:1', retornoAusente: ['codCli'], retido: true });
    await releaseHeldRecord(db, 1, 19, '19:1');
    await setExecucaoStatus(db, third, 'falhou');
    await markOrphanedBy(db, keys[2] as (typeof keys)[0], { orfao: first, operatorRetries: 0 }, 'orphaned');
    expect(await changedBeforeCreated(ids)).toEqual([]);
    const concluded = ids.filter((id) => id !== third);
    await withTenantScope(db, dialect, 1, (trx) => concludeExecucoesInScope(trx, concluded, 1), { scopedBy: 'first-statement' });
    expect(await changedBeforeCreated(ids)).toEqual([]);
    if (dialect !== 'mysql') return;
    // A cutoff just after a concluded row's last change: the row is past its age, so the purge's batch finds it (before,
    // its creation read as later than that cutoff and the batch never reached it).
    const row = await db
      .selectFrom('integracao_execucoes')
      .select(['id', 'atualizado_em'])
      .where('id', 'in', concluded)
      .orderBy('atualizado_em')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const before = new Date(new Date(row.atualizado_em as Date).getTime() + 1);
    const batch = await findPurgeCandidates(db, { kind: 'integracao_execucoes', empresaId: 1, before, after: null, limit: 100 });
    expect(batch.candidates.map((candidate) => candidate.id)).toContain(row.id);
  });
});
