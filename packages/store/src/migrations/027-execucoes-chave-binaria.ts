import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
type Db = Kysely<any>;

/**
 * An outbox row's key (integracao_execucoes.chave, `set:<integracao>:<job>:<record key>`) compared byte by byte on
 * MySQL/MariaDB, trailing spaces included. Under the table's default collation (utf8mb4_general_ci) the keys of two
 * records of one job that differ by case, accent or trailing spaces (`idP1` and `idp1`, two records since 024) were one
 * unique value: the second record's claim found the first one's row and reported it concluded (never sent), or read it
 * as an interrupted attempt. The column takes a NO PAD binary collation where the server has one (MariaDB ≥ 10.2
 * utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin), else utf8mb4_bin (case and accents apart; trailing spaces still
 * ignored). Keys unique under the old collation stay unique under a stricter one, so the ALTER cannot fail on data.
 * Nothing to do elsewhere (PostgreSQL and SQLite compare bytes). down() gives the table's collation back; it fails if
 * keys differing only by case, accent or trailing spaces exist by then.
 */
const NO_PAD_BINARY = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'];

async function binaryCollation(db: Db): Promise<string> {
  const { rows } = await sql<{ name: string }>`SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
    WHERE COLLATION_NAME IN (${sql.join(NO_PAD_BINARY)})`.execute(db);
  const names = new Set(rows.map((row) => row.name));
  return NO_PAD_BINARY.find((name) => names.has(name)) ?? 'utf8mb4_bin';
}

async function setChaveCollation(db: Db, collation: string): Promise<void> {
  if (!/^[a-z0-9_]+$/i.test(collation)) throw new Error(`unexpected collation name: ${collation}`);
  const charset = collation.split('_')[0] as string;
  await sql
    .raw(`ALTER TABLE integracao_execucoes MODIFY chave varchar(200) CHARACTER SET ${charset} COLLATE ${collation} NOT NULL`)
    .execute(db);
}

export function execucoesChaveBinariaMigration(dialect: DialectName): Migration {
  return {
    async up(db: Db) {
      if (dialect !== 'mysql') return;
      await setChaveCollation(db, await binaryCollation(db));
    },
    async down(db: Db) {
      if (dialect !== 'mysql') return;
      const { rows } = await sql<{ collation: string }>`SELECT TABLE_COLLATION AS collation FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'integracao_execucoes'`.execute(db);
      await setChaveCollation(db, rows[0]?.collation ?? 'utf8mb4_general_ci');
    },
  };
}
