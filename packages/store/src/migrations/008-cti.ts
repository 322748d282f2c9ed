import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../create-database';
import { dropTenantGuard, installTenantGuard } from '../tenant-guard';
import { columnTypes, nowColumn, withId } from './column-types';

/** The phone columns the CTI phone index reads, per CRM table (seed 002: contas' five, contatos' two). */
export const CTI_PHONE_COLUMNS = {
  contas: ['telefone', 'telefone2', 'telefone3', 'celular', 'fax'],
  contatos: ['telefone', 'celular'],
} as const;

type PhoneTable = keyof typeof CTI_PHONE_COLUMNS;

/**
 * Triggers that note every insert, phone change and delete of contas / contatos in cti_telefones_pendentes, whoever
 * writes (the hub's pulls, the CRM's own application, a DBA): the CTI engine re-normalises the noted rows before each
 * lookup and in a periodic sweep, so the index never needs a table scan and never misses a write.
 */
function triggerStatements(dialect: DialectName, table: PhoneTable): string[] {
  const columns = CTI_PHONE_COLUMNS[table];
  const insert = (row: 'NEW' | 'OLD') =>
    `INSERT INTO cti_telefones_pendentes (empresa_id, tabela, registro_id) VALUES (${row}.empresa_id, '${table}', ${row}.id)`;
  if (dialect === 'postgres') {
    return [
      `CREATE TRIGGER ${table}_cti_telefones AFTER INSERT OR DELETE OR UPDATE OF empresa_id, ${columns.join(', ')} ON ${table}
         FOR EACH ROW EXECUTE FUNCTION cti_marca_telefones()`,
    ];
  }
  if (dialect === 'mysql') {
    const changed = columns.map((c) => `NOT (OLD.${c} <=> NEW.${c})`).join(' OR ');
    return [
      `CREATE TRIGGER ${table}_cti_ins AFTER INSERT ON ${table} FOR EACH ROW ${insert('NEW')}`,
      `CREATE TRIGGER ${table}_cti_upd AFTER UPDATE ON ${table} FOR EACH ROW
         BEGIN IF ${changed} OR OLD.empresa_id <> NEW.empresa_id THEN ${insert('OLD')}; ${insert('NEW')}; END IF; END`,
      `CREATE TRIGGER ${table}_cti_del AFTER DELETE ON ${table} FOR EACH ROW ${insert('OLD')}`,
    ];
  }
  return [
    `CREATE TRIGGER ${table}_cti_ins AFTER INSERT ON ${table} BEGIN ${insert('NEW')}; END`,
    `CREATE TRIGGER ${table}_cti_upd AFTER UPDATE OF empresa_id, ${columns.join(', ')} ON ${table} BEGIN ${insert('OLD')}; ${insert('NEW')}; END`,
    `CREATE TRIGGER ${table}_cti_del AFTER DELETE ON ${table} BEGIN ${insert('OLD')}; END`,
  ];
}

const CTI_TABLES = ['cti_configuracoes', 'cti_telefones', 'cti_telefones_pendentes'] as const;

/** The call-log columns ligacoes gains (seed 002), with why where it is not obvious. */
const LIGACOES_COLUMNS = (timestamp: string) =>
  [
    ['contato_id', 'integer'],
    ['telefone_normalizado', 'varchar(30)'],
    // The number's matching key (DDD + last 8, or the digits of an extension): pairs a call's end with its start.
    ['chave_telefone', 'varchar(20)'],
    ['atendido_em', timestamp],
    // The listener event that opened / closed the row: a job that runs twice writes nothing twice.
    ['evento_id', 'varchar(64)'],
    ['evento_fim_id', 'varchar(64)'],
    // 1 when the row was made by an end event whose start had not arrived.
    ['sem_inicio', 'integer'],
    ['erro', 'varchar(2000)'],
  ] as const;

const PG_FUNCTION = `CREATE OR REPLACE FUNCTION cti_marca_telefones() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO cti_telefones_pendentes (empresa_id, tabela, registro_id) VALUES (OLD.empresa_id, TG_TABLE_NAME, OLD.id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO cti_telefones_pendentes (empresa_id, tabela, registro_id) VALUES (NEW.empresa_id, TG_TABLE_NAME, NEW.id);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql`;

/**
 * CTI (seed 002): per-tenant CTI settings (listener host label / path token, allowlist, the PBX's click-to-call
 * template), the phone index of contas and contatos with its change log, and the call-log columns of ligacoes.
 */
export function ctiMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('cti_configuracoes'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull().unique())
        // EMPRESA in EMPRESA.<CTI_DOMAIN> (lower case), or null when the tenant uses the path token only.
        .addColumn('rotulo_host', 'varchar(63)', (c) => c.unique())
        // SHA-256 (hex) of the /t/<token>/ secret; the token itself is shown once and never stored.
        .addColumn('token_hash', 'varchar(64)', (c) => c.unique())
        // JSON array of addresses / CIDR ranges the PBX calls from; null or [] = any address.
        .addColumn('enderecos_permitidos', 'text')
        .addColumn('pbx_metodo', 'varchar(10)', (c) => c.notNull().defaultTo('GET'))
        .addColumn('pbx_url_modelo', 'varchar(1000)')
        // nenhuma | basic | header | token_url; secrets are ${NOME} references resolved from CTI_SECRET_<empresa>_<NOME>.
        .addColumn('pbx_autenticacao', 'varchar(10)', (c) => c.notNull().defaultTo('nenhuma'))
        .addColumn('pbx_usuario', 'varchar(200)')
        .addColumn('pbx_segredo_ref', 'varchar(200)')
        .addColumn('pbx_nome_parametro', 'varchar(100)')
        .addColumn('prefixo_discagem', 'varchar(10)', (c) => c.notNull().defaultTo(''))
        .addColumn('tamanho_ramal', 'integer', (c) => c.notNull().defaultTo(4))
        .addColumn('permitir_rede_privada', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();

      // One row per (record, phone column) that holds a number: chave_ddd = DDD + last 8 digits (null when the
      // stored number has no DDD), chave8 = last 8 digits (the fallback).
      await withId(db.schema.createTable('cti_telefones'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('tabela', 'varchar(10)', (c) => c.notNull())
        .addColumn('registro_id', 'integer', (c) => c.notNull())
        .addColumn('campo', 'varchar(20)', (c) => c.notNull())
        .addColumn('chave_ddd', 'varchar(10)')
        .addColumn('chave8', 'varchar(8)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cti_telefones_ddd').on('cti_telefones').columns(['empresa_id', 'chave_ddd']).execute();
      await db.schema.createIndex('cti_telefones_chave8').on('cti_telefones').columns(['empresa_id', 'chave8']).execute();
      await db.schema.createIndex('cti_telefones_registro').on('cti_telefones').columns(['empresa_id', 'tabela', 'registro_id']).execute();

      await withId(db.schema.createTable('cti_telefones_pendentes'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('tabela', 'varchar(10)', (c) => c.notNull())
        .addColumn('registro_id', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cti_telefones_pendentes_empresa').on('cti_telefones_pendentes').columns(['empresa_id', 'id']).execute();
      // Tenant tables: inside a tenant-scoped transaction (packages/integrador/src/runs) a row of another empresa is refused.
      for (const table of CTI_TABLES) await installTenantGuard(db, dialect, table);
      if (dialect === 'postgres') await sql.raw(PG_FUNCTION).execute(db);
      for (const table of Object.keys(CTI_PHONE_COLUMNS) as PhoneTable[]) {
        for (const statement of triggerStatements(dialect, table)) await sql.raw(statement).execute(db);
        // Rows that exist before this migration are indexed by the first sweep.
        await sql
          .raw(`INSERT INTO cti_telefones_pendentes (empresa_id, tabela, registro_id) SELECT empresa_id, '${table}', id FROM ${table}`)
          .execute(db);
      }

      // One column per statement: SQLite's ALTER TABLE takes one at a time.
      for (const [name, type] of LIGACOES_COLUMNS(timestamp)) {
        await db.schema
          .alterTable('ligacoes')
          // biome-ignore lint/suspicious/noExplicitAny: a column type name from the list.
          .addColumn(name, type as any, (c) => (name === 'sem_inicio' ? c.notNull().defaultTo(0) : c))
          .execute();
      }
      await db.schema.createIndex('ligacoes_evento_uq').on('ligacoes').columns(['empresa_id', 'evento_id']).unique().execute();
      await db.schema.createIndex('ligacoes_aberta').on('ligacoes').columns(['empresa_id', 'ramal', 'chave_telefone', 'status']).execute();
      await db.schema.createIndex('ligacoes_periodo').on('ligacoes').columns(['empresa_id', 'inicio']).execute();
      await db.schema.createIndex('ligacoes_status_inicio').on('ligacoes').columns(['status', 'inicio']).execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      for (const index of ['ligacoes_evento_uq', 'ligacoes_aberta', 'ligacoes_periodo', 'ligacoes_status_inicio']) {
        await (dialect === 'mysql' ? db.schema.dropIndex(index).on('ligacoes') : db.schema.dropIndex(index)).execute();
      }
      for (const [column] of LIGACOES_COLUMNS(timestamp)) await db.schema.alterTable('ligacoes').dropColumn(column).execute();
      for (const table of Object.keys(CTI_PHONE_COLUMNS)) {
        const names = dialect === 'postgres' ? [`${table}_cti_telefones`] : [`${table}_cti_ins`, `${table}_cti_upd`, `${table}_cti_del`];
        for (const name of names)
          await sql.raw(`DROP TRIGGER IF EXISTS ${name}${dialect === 'postgres' ? ` ON ${table}` : ''}`).execute(db);
      }
      if (dialect === 'postgres') await sql.raw('DROP FUNCTION IF EXISTS cti_marca_telefones()').execute(db);
      for (const table of CTI_TABLES) await dropTenantGuard(db, dialect, table);
      for (const table of ['cti_telefones_pendentes', 'cti_telefones', 'cti_configuracoes']) await db.schema.dropTable(table).execute();
    },
  };
}
