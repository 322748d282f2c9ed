import { createEmpresa, type Database, installTenantGuard, isTenantGuardViolation, withTenantScope } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { Kysely, MysqlDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { describeCrmTable } from './crm-table';
import { type RowStamp, upsertRecords } from './crm-write';
import type { SyncRecord } from './row-mapping';

// MySQL/MariaDB chunks travel as LOAD DATA LOCAL INFILE text into a staging table: every value the format gives a
// meaning to (NUL, tab, newline, backslash, \N, the word NULL) and every type the server converts (decimals, dates,
// datetimes, blobs) must land exactly as read, NULL apart from the empty string, and no value may ever become SQL.
// The same records written through the multi-row INSERT fallback (a handle the store did not open) must land alike.

const TABLE = 'fuzz_alvo';
const COLUMNS = ['id_erp', 'texto', 'curto', 'valor', 'dia', 'momento', 'qtd', 'dados'];

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const PIECES = [
  '\\',
  '\t',
  '\n',
  '\r',
  '\0',
  '\\N',
  'NULL',
  'N',
  '"',
  "'",
  '`',
  ';',
  '--',
  '#empresa_id#',
  '#id_erp#',
  "'); DROP TABLE fuzz_alvo; --",
  '$' + '{x}',
  '?',
  'ç',
  'São',
  '😀',
  ' ',
  '\u2028',
  '\x1a',
  'a',
  'Z',
];

interface Expected {
  texto: string | null;
  curto: string | null;
  valor: string | null;
  dia: string | null;
  momento: string | null;
  qtd: number | null;
  dados: string | null;
}

function hostileRecords(seed: number, count: number): { records: SyncRecord[]; expected: Map<string, Expected> } {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const text = (max: number) => Array.from({ length: Math.floor(next() * max) }, () => pick(PIECES)).join('');
  const nullable = <T>(value: () => T): T | null => (next() < 0.15 ? null : value());
  const records: SyncRecord[] = [];
  const expected = new Map<string, Expected>();
  for (let i = 0; i < count; i++) {
    const key = `k${i}${['', '\t', '\\', ' '][i % 4]}`;
    const texto = nullable(() => text(40));
    // Empty string and NULL must stay apart.
    // Characters, not UTF-16 units: an emoji is one character of VARCHAR(12).
    const curto = next() < 0.2 ? '' : nullable(() => [...text(8)].slice(0, 12).join(''));
    const cents = Math.floor(next() * 2e9) - 1e9;
    const valor = nullable(
      () => `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 1e4)}.${String(Math.abs(cents) % 1e4).padStart(4, '0')}`,
    );
    const dia = nullable(() => new Date(1990 + Math.floor(next() * 60), Math.floor(next() * 12), 1 + Math.floor(next() * 28)));
    const momento = nullable(() => new Date(Date.UTC(2000, 0, 1) + Math.floor(next() * 1e12)));
    const qtd = nullable(() => Math.floor(next() * 2 ** 31) - 2 ** 30);
    const dados = nullable(() =>
      Buffer.from(Array.from({ length: Math.floor(next() * 24) }, () => pick([0, 9, 10, 13, 92, 78, 255, 128, 39, 34]))),
    );
    const values = [key, texto, curto, valor, dia, momento, qtd, dados];
    records.push({ key, cursorValue: null, values, row: Object.fromEntries(COLUMNS.map((c, n) => [c, values[n]])) });
    const pad = (n: number) => String(n).padStart(2, '0');
    expected.set(key, {
      texto,
      curto,
      valor,
      dia: dia && `${dia.getFullYear()}-${pad(dia.getMonth() + 1)}-${pad(dia.getDate())}`,
      // DATETIME is zone-less: the CRM's (Brasília) wall clock of the instant.
      momento:
        momento === null
          ? null
          : `${momento.toLocaleString('sv-SE', { timeZone: 'America/Sao_Paulo' })}.${String(momento.getUTCMilliseconds()).padStart(3, '0')}`,
      qtd,
      dados: dados === null ? null : dados.toString('hex').toUpperCase(),
    });
  }
  return { records, expected };
}

describe('upsertRecords on a MySQL/MariaDB CRM (LOAD DATA LOCAL INFILE into a staging table)', () => {
  let crm: TestDatabase;
  let fallback: Kysely<Database>;
  let empresa: number;
  let viaFallback: number;
  let other: number;

  beforeAll(async () => {
    crm = await createTestDatabase('mysql');
    empresa = await createEmpresa(crm.db, 'Empresa A');
    viaFallback = await createEmpresa(crm.db, 'Empresa B');
    other = await createEmpresa(crm.db, 'Empresa C');
    await sql`CREATE TABLE ${sql.id(TABLE)} (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, empresa_id INT NOT NULL, id_erp VARCHAR(40) NOT NULL, texto TEXT NULL,
      curto VARCHAR(12) NULL, valor DECIMAL(14, 4) NULL, dia DATE NULL, momento DATETIME(3) NULL, qtd INT NULL,
      dados BLOB NULL, origem_integracao_id INT NULL, origem_geracao INT NULL, atualizado_em DATETIME(3) NULL,
      UNIQUE KEY fuzz_alvo_uq (empresa_id, id_erp)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_general_ci`.execute(crm.db);
    await installTenantGuard(crm.db, 'mysql', TABLE);
    // A pool the store did not open: no LOAD DATA, the multi-row INSERT writes.
    fallback = new Kysely<Database>({
      dialect: new MysqlDialect({ pool: createPool({ uri: crm.url, timezone: 'Z', supportBigNumbers: true }) }),
    });
  });
  afterAll(async () => {
    await fallback.destroy();
    await crm.drop();
  });

  const stampOf = (empresaId: number): RowStamp => ({ empresaId, filialId: null, integracaoId: 4, geracao: 2 });

  async function write(db: Kysely<Database>, scope: number, stamp: RowStamp, records: SyncRecord[]) {
    const table = await describeCrmTable(db, 'mysql', TABLE);
    if (!table) throw new Error(`${TABLE} missing`);
    const warnings: string[] = [];
    const written = await withTenantScope(db, 'mysql', scope, (trx) =>
      upsertRecords(db, trx, 'mysql', { table, keyColumns: ['id_erp'], columns: COLUMNS }, stamp, records, {
        warn: (message) => warnings.push(message),
      }),
    );
    return { written, warnings };
  }

  async function read(empresaId: number) {
    const { rows } = await sql<Expected & { id_erp: string; atualizado_em: string; origem_geracao: number }>`
      SELECT id_erp, texto, curto, CAST(valor AS CHAR) AS valor, CAST(dia AS CHAR) AS dia, CAST(momento AS CHAR) AS momento,
        qtd, HEX(dados) AS dados, CAST(atualizado_em AS CHAR) AS atualizado_em, origem_geracao
      FROM ${sql.id(TABLE)} WHERE empresa_id = ${empresaId}`.execute(crm.db);
    return new Map(rows.map((r) => [r.id_erp, r]));
  }

  function expectRows(actual: Awaited<ReturnType<typeof read>>, expected: Map<string, Expected>) {
    expect(actual.size).toBe(expected.size);
    for (const [key, want] of expected) {
      const got = actual.get(key);
      const { texto, curto, valor, dia, momento, qtd, dados } = got ?? ({} as Expected);
      // HEX(NULL) is NULL, HEX('') is ''.
      expect({ key, texto, curto, valor, dia, momento, qtd, dados }).toEqual({ key, ...want, dados: want.dados === '' ? '' : want.dados });
    }
  }

  it('round-trips hostile values exactly, as the multi-row INSERT fallback does, and rewrites only changed rows', async () => {
    const { records, expected } = hostileRecords(20261204, 1500);
    const loaded = await write(crm.db, empresa, stampOf(empresa), records);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.written).toBe(records.length);
    const first = await read(empresa);
    expectRows(first, expected);

    const inserted = await write(fallback, viaFallback, stampOf(viaFallback), records);
    expect(inserted.warnings).toEqual([expect.stringContaining('LOAD DATA LOCAL INFILE is unavailable')]);
    expectRows(await read(viaFallback), expected);
    expect(await sql`SELECT COUNT(*) AS n FROM ${sql.id(TABLE)}`.execute(crm.db)).toMatchObject({ rows: [{ n: 3000 }] });

    // Half the rows change (new values from another seed, same keys): only they get a new atualizado_em.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const changed = hostileRecords(7, 1500);
    const mixed = records.map((r, i) => (i % 2 === 0 ? r : (changed.records[i] as SyncRecord)));
    const wanted = new Map(mixed.map((r, i) => [r.key, (i % 2 === 0 ? expected : changed.expected).get(r.key) as Expected]));
    await write(crm.db, empresa, stampOf(empresa), mixed);
    const second = await read(empresa);
    expectRows(second, wanted);
    mixed.forEach((record, i) => {
      const before = first.get(record.key)?.atualizado_em;
      const after = second.get(record.key)?.atualizado_em;
      const same = JSON.stringify(wanted.get(record.key)) === JSON.stringify(expected.get(record.key));
      if (i % 2 === 0 || same) expect({ key: record.key, after }).toEqual({ key: record.key, after: before });
      else expect({ key: record.key, changed: after !== before }).toEqual({ key: record.key, changed: true });
    });
  });

  it("is refused by the tenant guard, writing nothing, when the rows would belong to another empresa than the run's", async () => {
    const { records } = hostileRecords(3, 50);
    const refused = await write(crm.db, empresa, stampOf(other), records).catch((err: unknown) => err);
    expect(isTenantGuardViolation(refused)).toBe(true);
    expect((await read(other)).size).toBe(0);
    // The pooled connection that failed is usable again: its leftover staging table does not stop the next chunk.
    // (One after the other: a run writes its chunks in sequence, and parallel upserts of the same keys may deadlock.)
    for (const slice of [records.slice(0, 4), records.slice(4, 7), records.slice(7, 10)])
      expect((await write(crm.db, other, stampOf(other), slice)).warnings).toEqual([]);
    expect((await read(other)).size).toBe(10);
  });
});
