import fs from 'node:fs';
import path from 'node:path';
import { compileSetDefinition, loadSetDefinition, prepareSet } from '@integrador/integrador';
import type { DialectName } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { seniorG5ConnectionsYaml } from '../../test/fixtures/senior-g5';
import { CONTA, SET_WS_CONTAS, SET_WS_CONTAS_RANGE, seedSetWsContas } from '../../test/fixtures/set-ws-contas';

/** The throw-away CRM: SET-WS-CONTAS (seed 001's row) and `contas` distinct contas to push. */
export interface BenchCrm {
  database: TestDatabase;
  empresaId: number;
  integracaoId: number;
  /** SET-WS-CONTAS-FAIXA (bench only): the same push for every conta with an id from #contaId# to #contaAte#. */
  rangeIntegracaoId: number;
  contaIds: number[];
}

const RANGE_INTEGRACAO_ID = 23;

const INSERT_BATCH = 1000;

/** A conta like the fixture's, with its own name and CNPJ (so the ERP keeps one customer per conta). */
function contaRow(empresaId: number, index: number) {
  const digits = String(20000000 + index);
  return {
    ...CONTA,
    // Explicit ids: the fixture's conta 42 was inserted with its own id, which the serial sequence does not know about.
    id: 100000 + index,
    empresa_id: empresaId,
    nome: `Conta Bench ${String(index).padStart(6, '0')} Comércio Ltda`,
    fantasia: `Bench ${index}`,
    cnpj: `${digits.slice(0, 2)}.${digits.slice(2, 5)}.${digits.slice(5, 8)}/0001-${String(index % 100).padStart(2, '0')}`,
    email_geral: `contato${index}@bench.example`,
  };
}

/** Creates the database (PostgreSQL or a SQLite file), seeds SET-WS-CONTAS and fills it up to `contas` contas. */
export async function createBenchCrm(dialect: DialectName, contas: number): Promise<BenchCrm> {
  const database = await createTestDatabase(dialect);
  try {
    const { empresaId } = await seedSetWsContas(database.db);
    for (let from = 1; from < contas; from += INSERT_BATCH) {
      const rows = [];
      for (let index = from; index < Math.min(from + INSERT_BATCH, contas); index++) rows.push(contaRow(empresaId, index));
      await database.db.insertInto('contas').values(rows).execute();
    }
    // Statistics, as any CRM database in use has (autovacuum's first ANALYZE would come a minute later): without them
    // PostgreSQL reads `WHERE c.id = $2` behind the tenant filter `empresa_id = $1` through the (empresa_id, id_erp)
    // index, scanning every conta of the empresa (~1 ms a push at 3000 contas), where the hand-written loop's
    // `WHERE id = $1` alone takes the primary key either way.
    await sql.raw(dialect === 'mysql' ? 'ANALYZE TABLE contas' : 'ANALYZE').execute(database.db);
    const ids = await database.db.selectFrom('contas').select('id').where('empresa_id', '=', empresaId).orderBy('id').execute();
    return {
      database,
      empresaId,
      integracaoId: SET_WS_CONTAS.id,
      rangeIntegracaoId: RANGE_INTEGRACAO_ID,
      contaIds: ids.map((row) => row.id),
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

/**
 * Adds SET-WS-CONTAS-FAIXA for --per-job: SET-WS-CONTAS's row, campos and regras (lote_maximo as it has it), its
 * consulta reading a range of contas (`c.id BETWEEN #contaId# AND #contaAte#`, the same columns, so the same bodies)
 * and its sql_update keyed by each record's own id. One job of it pushes every conta of the range.
 */
export async function addRangeIntegration(crm: BenchCrm): Promise<void> {
  const { db } = crm.database;
  const row = await db.selectFrom('integracao').selectAll().where('id', '=', crm.integracaoId).executeTakeFirstOrThrow();
  const { consulta, sql_update, parametros_obrigatorios } = SET_WS_CONTAS_RANGE;
  await db
    .insertInto('integracao')
    .values({ ...row, id: crm.rangeIntegracaoId, nome: 'SET-WS-CONTAS-FAIXA', consulta, sql_update, parametros_obrigatorios })
    .execute();
  const campos = await db.selectFrom('campos_integracao').selectAll().where('integracao_id', '=', crm.integracaoId).execute();
  for (const { id: _id, ...campo } of campos)
    await db
      .insertInto('campos_integracao')
      .values({ ...campo, integracao_id: crm.rangeIntegracaoId })
      .execute();
  const regras = await db.selectFrom('regras').selectAll().where('integracao_id', '=', crm.integracaoId).execute();
  for (const { id: _id, ...regra } of regras)
    await db
      .insertInto('regras')
      .values({ ...regra, integracao_id: crm.rangeIntegracaoId })
      .execute();
}

/**
 * The GravarClientes `parameters` the SET push sends for each conta, built by the product's own preparation
 * (consulta, campos, regras), so the baseline sends byte-for-byte the same data.
 */
export async function requestBodies(crm: BenchCrm): Promise<Record<string, unknown>[]> {
  const { db, dialect } = crm.database;
  const loaded = await loadSetDefinition(db, { empresaId: crm.empresaId, filialId: null, nome: '' }, crm.integracaoId);
  const definition = compileSetDefinition(loaded, dialect);
  const bodies: Record<string, unknown>[] = [];
  for (let at = 0; at < crm.contaIds.length; at += 50) {
    const batch = crm.contaIds.slice(at, at + 50);
    const prepared = await Promise.all(
      batch.map((contaId) => prepareSet({ db, dialect, empresaId: crm.empresaId, definition, parametros: { contaId } })),
    );
    for (const set of prepared) {
      const [record] = set.records;
      if (!record) throw new Error('prepareSet found no record for a seeded conta');
      bodies.push(record.body);
    }
  }
  return bodies;
}

/** The connections file the worker loads: senior_g5 on the loopback double, its password from SENIOR_PASSWORD. */
export function writeConnectionsFile(dir: string, erpUrl: string): string {
  const file = path.join(dir, 'connections.yaml');
  fs.writeFileSync(file, seniorG5ConnectionsYaml(erpUrl, { timeoutMs: 15000 }));
  return file;
}
