import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';

/**
 * The columns the engine matches outside keys on (ERP and endpoint keys): an ERP's `P1` and `p1`, `PÉ1` and `PE1` are
 * four records. MySQL/MariaDB compare with the database's default collation (utf8mb4_general_ci, MySQL 8's
 * utf8mb4_0900_ai_ci), which ignores case and accents: a GET upsert overwrote `P1` with `p1`, and `PÉ1`/`PE1` broke the
 * sync keys' unique index on every retry. On MySQL/MariaDB these columns take utf8mb4_bin (byte comparison, as
 * PostgreSQL and SQLite compare); their unique indexes are rebuilt with them and stay usable by lookups (a column's
 * collation wins over a literal's, and utf8mb4_bin over a _ci column's in a join). Nothing to do elsewhere.
 * down() gives them the table's default collation (and its character set) back; it fails if keys differing only by
 * case/accent exist by then (the unique index could not hold both). The CRM on MySQL/MariaDB is utf8mb4 (README).
 */
const KEY_COLUMNS = [
  { table: 'cidades', column: 'id_erp', type: 'varchar(50)', notNull: false },
  { table: 'contas', column: 'id_erp', type: 'varchar(50)', notNull: false },
  { table: 'contatos', column: 'id_erp', type: 'varchar(50)', notNull: false },
  { table: 'oportunidades', column: 'id_erp', type: 'varchar(50)', notNull: false },
  // The endpoint sync's keys (contatos by codigo, eventos by chave: codRegistro).
  { table: 'contatos', column: 'codigo', type: 'varchar(50)', notNull: false },
  { table: 'eventos', column: 'chave', type: 'varchar(100)', notNull: false },
  // The GET keys committed at the cursor value.
  { table: 'integracao_sincronizacao_chaves', column: 'chave', type: 'varchar(255)', notNull: true },
] as const;

/** The collation ERP key columns need on MySQL/MariaDB (README, GET pulls; `config lint` warns on others). */
const KEY_COLLATION = 'utf8mb4_bin';

/** A collation's character set: the part of its name before the first '_' (utf8mb4_bin → utf8mb4, latin1_swedish_ci → latin1). */
function charsetOf(collation: string): string {
  return collation.split('_')[0] as string;
}

/**
 * One ALTER per table with all its key columns (contatos has two): each ALTER that changes an indexed column's
 * collation rebuilds the table (MySQL 8 copies it), so a table is rebuilt once, not once per column.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
async function setCollation(db: Kysely<any>, collation: (table: string) => Promise<string>): Promise<void> {
  const tables = [...new Set(KEY_COLUMNS.map((c) => c.table))];
  for (const table of tables) {
    const name = await collation(table);
    if (!/^[a-z0-9_]+$/i.test(name)) throw new Error(`unexpected collation name for ${table}: ${name}`);
    const changes = KEY_COLUMNS.filter((c) => c.table === table).map(
      ({ column, type, notNull }) =>
        `MODIFY \`${column}\` ${type} CHARACTER SET ${charsetOf(name)} COLLATE ${name} ${notNull ? 'NOT NULL' : 'NULL'}`,
    );
    await sql.raw(`ALTER TABLE \`${table}\` ${changes.join(', ')}`).execute(db);
  }
}

export function chavesBinariasMigration(dialect: DialectName): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async up(db: Kysely<any>) {
      if (dialect !== 'mysql') return;
      await setCollation(db, async () => KEY_COLLATION);
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      if (dialect !== 'mysql') return;
      await setCollation(db, async (table) => {
        const { rows } = await sql<{ collation: string }>`SELECT TABLE_COLLATION AS collation FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table}`.execute(db);
        return rows[0]?.collation ?? 'utf8mb4_general_ci';
      });
    },
  };
}
