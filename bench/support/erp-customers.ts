import { randomBytes } from 'node:crypto';
import { TEST_SERVERS } from '@integrador/test-support/databases';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';

// The ERP side of the GET benchmark: a realistic 12-column customers table ("clientes", as an ERP names it) in a
// throw-away PostgreSQL or MariaDB database, filled by the server itself from one deterministic expression per
// column (so both servers hold the same rows and generating 1M rows takes seconds, not minutes).

export type SourceKind = 'postgres' | 'mysql';

/** One ERP database holding `clientes`. */
export interface ErpSource {
  kind: SourceKind;
  /** The database's name on its server. */
  name: string;
  /** Connection URL (no password: the test servers trust loopback). */
  url: string;
  rows: number;
  /** Touches `count` rows spread over the table (new razao_social and data_alteracao = now): what an incremental run must find. */
  changeRows(count: number): Promise<number>;
  drop(): Promise<void>;
}

/** The source columns and the CRM contas columns they land in (sql_consulta aliases them; the COPY baseline lists them). */
export const CLIENT_COLUMNS: readonly { source: string; crm: string }[] = [
  { source: 'codcli', crm: 'id_erp' },
  { source: 'razao_social', crm: 'nome' },
  { source: 'fantasia', crm: 'fantasia' },
  { source: 'cnpj', crm: 'cnpj' },
  { source: 'inscricao_estadual', crm: 'inscricao' },
  { source: 'email', crm: 'email_geral' },
  { source: 'telefone', crm: 'telefone' },
  { source: 'celular', crm: 'celular' },
  { source: 'endereco', crm: 'endereco' },
  { source: 'bairro', crm: 'bairro' },
  { source: 'cep', crm: 'cep' },
];
/** The 12th column: the ERP's last-change timestamp, the incremental cursor. */
export const CURSOR_COLUMN = 'data_alteracao';

/** The GET integration's sql_consulta: the ERP's columns under the CRM's names, plus the cursor. */
export function sqlConsulta(): string {
  const columns = CLIENT_COLUMNS.map((c) => (c.source === c.crm ? c.source : `${c.source} AS ${c.crm}`));
  return `SELECT ${columns.join(', ')}, ${CURSOR_COLUMN} FROM clientes`;
}

const DDL = (kind: SourceKind) => `CREATE TABLE clientes (
  codcli integer PRIMARY KEY,
  razao_social varchar(120) NOT NULL,
  fantasia varchar(80),
  cnpj varchar(18) NOT NULL,
  inscricao_estadual varchar(20),
  email varchar(120),
  telefone varchar(20),
  celular varchar(20),
  endereco varchar(120),
  bairro varchar(60),
  cep varchar(9),
  data_alteracao ${kind === 'postgres' ? 'timestamp(3)' : 'datetime(3)'} NOT NULL
)`;

/** Row g of the table, as PostgreSQL expressions over g. */
const PG_ROW = `g,
  'Cliente ' || lpad(g::text, 7, '0') || ' Comércio de Peças e Serviços Ltda',
  CASE WHEN g % 7 = 0 THEN NULL ELSE 'Loja São ' || g END,
  lpad((g % 100)::text, 2, '0') || '.' || lpad(((g / 100) % 1000)::text, 3, '0') || '.' || lpad(((g / 100000) % 1000)::text, 3, '0') || '/0001-' || lpad((g % 97)::text, 2, '0'),
  CASE WHEN g % 5 = 0 THEN NULL ELSE lpad(((g * 7919) % 1000000000)::text, 9, '0') END,
  'contato' || g || '@cliente' || (g % 1000) || '.com.br',
  '(11) 3' || lpad((g % 10000000)::text, 7, '0'),
  CASE WHEN g % 3 = 0 THEN NULL ELSE '(11) 9' || lpad(((g * 13) % 100000000)::text, 8, '0') END,
  (ARRAY['Rua das Flores', 'Av. São João', 'Rua Quinze de Novembro', 'Rua Barão de Mauá'])[1 + g % 4] || ', ' || (g % 2000),
  (ARRAY['Centro', 'Vila Nova', 'Jardim América', 'Boa Vista'])[1 + g % 4],
  lpad((g % 100000)::text, 5, '0') || '-' || lpad((g % 1000)::text, 3, '0'),
  timestamp '2025-01-01' + g * interval '20 seconds'`;

/** The same row in MariaDB (seq_1_to_N of the Sequence engine provides g). */
const MARIADB_ROW = `seq,
  CONCAT('Cliente ', LPAD(seq, 7, '0'), ' Comércio de Peças e Serviços Ltda'),
  IF(seq % 7 = 0, NULL, CONCAT('Loja São ', seq)),
  CONCAT(LPAD(seq % 100, 2, '0'), '.', LPAD(FLOOR(seq / 100) % 1000, 3, '0'), '.', LPAD(FLOOR(seq / 100000) % 1000, 3, '0'), '/0001-', LPAD(seq % 97, 2, '0')),
  IF(seq % 5 = 0, NULL, LPAD((seq * 7919) % 1000000000, 9, '0')),
  CONCAT('contato', seq, '@cliente', seq % 1000, '.com.br'),
  CONCAT('(11) 3', LPAD(seq % 10000000, 7, '0')),
  IF(seq % 3 = 0, NULL, CONCAT('(11) 9', LPAD((seq * 13) % 100000000, 8, '0'))),
  CONCAT(ELT(1 + seq % 4, 'Rua das Flores', 'Av. São João', 'Rua Quinze de Novembro', 'Rua Barão de Mauá'), ', ', seq % 2000),
  ELT(1 + seq % 4, 'Centro', 'Vila Nova', 'Jardim América', 'Boa Vista'),
  CONCAT(LPAD(seq % 100000, 5, '0'), '-', LPAD(seq % 1000, 3, '0')),
  TIMESTAMP('2025-01-01') + INTERVAL seq * 20 SECOND`;

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Which rows changeRows touches: every (rows / count)-th, so they are spread over the table and the cursor index. */
function stride(rows: number, count: number): number {
  return Math.max(1, Math.floor(rows / count));
}

async function createPostgresSource(rows: number): Promise<ErpSource> {
  const name = `bench_erp_${randomBytes(4).toString('hex')}`;
  const admin = new PgClient({ connectionString: TEST_SERVERS.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(TEST_SERVERS.postgres, name);
  const client = new PgClient({ connectionString: url });
  await client.connect();
  const drop = async () => {
    const c = new PgClient({ connectionString: TEST_SERVERS.postgres });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  try {
    await client.query(DDL('postgres'));
    await client.query(`INSERT INTO clientes SELECT ${PG_ROW} FROM generate_series(1, $1::bigint) AS g`, [rows]);
    await client.query('CREATE INDEX clientes_data_alteracao ON clientes (data_alteracao, codcli)');
    await client.query('ANALYZE clientes');
  } catch (err) {
    await client.end();
    await drop();
    throw err;
  }
  await client.end();
  return {
    kind: 'postgres',
    name,
    url,
    rows,
    async changeRows(count) {
      const c = new PgClient({ connectionString: url });
      await c.connect();
      try {
        const result = await c.query(
          `UPDATE clientes SET razao_social = razao_social || ' (alterado)', data_alteracao = clock_timestamp() WHERE codcli % $1 = 0`,
          [stride(rows, count)],
        );
        return result.rowCount ?? 0;
      } finally {
        await c.end();
      }
    },
    drop,
  };
}

async function createMariadbSource(rows: number): Promise<ErpSource> {
  const name = `bench_erp_${randomBytes(4).toString('hex')}`;
  const admin = await createMysqlConnection(TEST_SERVERS.mysql);
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.end();
  const url = withDatabase(TEST_SERVERS.mysql, name);
  const connection = await createMysqlConnection(url);
  const drop = async () => {
    const c = await createMysqlConnection(TEST_SERVERS.mysql);
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.end();
  };
  try {
    await connection.query(DDL('mysql'));
    // seq_1_to_N is a virtual table of MariaDB's Sequence engine; chunks keep each transaction moderate.
    const chunk = 250_000;
    for (let from = 1; from <= rows; from += chunk) {
      const to = Math.min(rows, from + chunk - 1);
      await connection.query(`INSERT INTO clientes SELECT ${MARIADB_ROW} FROM seq_${from}_to_${to}`);
    }
    await connection.query('CREATE INDEX clientes_data_alteracao ON clientes (data_alteracao, codcli)');
    await connection.query('ANALYZE TABLE clientes');
  } catch (err) {
    await connection.end();
    await drop();
    throw err;
  }
  await connection.end();
  return {
    kind: 'mysql',
    name,
    url,
    rows,
    async changeRows(count) {
      const c = await createMysqlConnection(url);
      try {
        const [result] = await c.query(
          `UPDATE clientes SET razao_social = CONCAT(razao_social, ' (alterado)'), data_alteracao = NOW(3) WHERE codcli % ? = 0`,
          [stride(rows, count)],
        );
        return (result as { affectedRows: number }).affectedRows;
      } finally {
        await c.end();
      }
    },
    drop,
  };
}

/** Creates the ERP database of a kind with `rows` customers (and the cursor index an incremental pull uses). */
export function createErpSource(kind: SourceKind, rows: number): Promise<ErpSource> {
  return kind === 'postgres' ? createPostgresSource(rows) : createMariadbSource(rows);
}
