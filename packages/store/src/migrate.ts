import { type MigrationResultSet, Migrator, sql } from 'kysely';
import type { CrmDatabase } from './create-database';
import { initialMigration } from './migrations/001-initial';
import { execucoesMigration } from './migrations/002-execucoes';
import { getSyncMigration } from './migrations/003-get-sync';
import { servicosEndpointMigration } from './migrations/004-servicos-endpoint';
import { limitesTenantMigration } from './migrations/006-limites-tenant';
import { tenantGuardMigration } from './migrations/007-tenant-guard';
import { ctiMigration } from './migrations/008-cti';
import { webhooksMigration } from './migrations/009-webhooks';
import { dashboardMigration } from './migrations/010-dashboard';
import { endpointCronMigration } from './migrations/011-endpoint-cron';
import { servicosEndpointFilialMigration } from './migrations/012-servicos-endpoint-filial';
import { loteSetMigration } from './migrations/013-lote-set';
import { dashboardTenantsMigration } from './migrations/014-dashboard-tenants';
import { outboxEnviandoMigration } from './migrations/015-outbox-enviando';
import { outboxStorageMigration } from './migrations/016-outbox-storage';
import { webhookRecuperacaoMigration } from './migrations/017-webhook-recuperacao';
import { outboxStatusMigration } from './migrations/018-outbox-status';
import { crmMudancasEscopoMigration } from './migrations/019-crm-mudancas-escopo';
import { chavesBinariasMigration } from './migrations/020-chaves-binarias';
import { setRetencaoMigration } from './migrations/021-set-retencao';
import { mensagensConexaoMigration } from './migrations/022-mensagens-conexao';
import { retencaoHistoricoMigration } from './migrations/023-retencao-historico';
import { setRegistroEmVooMigration } from './migrations/024-set-registro-em-voo';
import { mensagensRegistroMigration } from './migrations/025-mensagens-registro';
import { webhookRegistrosMigration } from './migrations/026-webhook-registros';
import { execucoesChaveBinariaMigration } from './migrations/027-execucoes-chave-binaria';
import { execucoesHotMigration } from './migrations/028-execucoes-hot';
import { execucoesSemColunaGeradaMigration } from './migrations/029-execucoes-sem-coluna-gerada';

/** Thrown when a migration fails; names the migration and keeps the database error as cause. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * The database holds a migration this version does not know: a newer version of the hub migrated it (a downgrade, or
 * an old app started after a newer one migrated). Nothing was applied; `migration` names the unknown one.
 */
export class NewerSchemaError extends MigrationError {
  override name = 'NewerSchemaError';
  constructor(
    readonly migration: string,
    options?: ErrorOptions,
  ) {
    super(
      `the database was migrated by a newer version of the hub (migration ${migration} is unknown to this one): run that version or a newer one, or restore the backup taken before the upgrade`,
      options,
    );
  }
}

/** The database lacks migrations this version needs: an app that does not migrate started before `integrador migrate`. */
export class SchemaBehindError extends MigrationError {
  override name = 'SchemaBehindError';
  constructor(readonly pending: readonly string[]) {
    super(
      `the database lacks this version's migrations (${pending.join(', ')}): run \`integrador migrate\` (npm start and the Helm chart's hook do) before starting it`,
    );
  }
}

// Kysely's refusal when the database has a migration the provider does not list.
const UNKNOWN_EXECUTED = /previously executed migration (\S+) is missing/;

function migrator({ db, dialect }: CrmDatabase): Migrator {
  return new Migrator({
    db,
    provider: {
      getMigrations: async () => ({
        '001-initial': initialMigration(dialect),
        '002-execucoes': execucoesMigration(dialect),
        '003-get-sync': getSyncMigration(dialect),
        '004-servicos-endpoint': servicosEndpointMigration(dialect),
        '006-limites-tenant': limitesTenantMigration(dialect),
        '007-tenant-guard': tenantGuardMigration(dialect),
        '008-cti': ctiMigration(dialect),
        '009-webhooks': webhooksMigration(dialect),
        '010-dashboard': dashboardMigration(dialect),
        '011-endpoint-cron': endpointCronMigration(),
        '012-servicos-endpoint-filial': servicosEndpointFilialMigration(),
        '013-lote-set': loteSetMigration(),
        '014-dashboard-tenants': dashboardTenantsMigration(dialect),
        '015-outbox-enviando': outboxEnviandoMigration(),
        '016-outbox-storage': outboxStorageMigration(dialect),
        '017-webhook-recuperacao': webhookRecuperacaoMigration(),
        '018-outbox-status': outboxStatusMigration(dialect),
        '019-crm-mudancas-escopo': crmMudancasEscopoMigration(dialect),
        '020-chaves-binarias': chavesBinariasMigration(dialect),
        '021-set-retencao': setRetencaoMigration(dialect),
        '022-mensagens-conexao': mensagensConexaoMigration(),
        '023-retencao-historico': retencaoHistoricoMigration(dialect),
        '024-set-registro-em-voo': setRegistroEmVooMigration(dialect),
        '025-mensagens-registro': mensagensRegistroMigration(dialect),
        '026-webhook-registros': webhookRegistrosMigration(dialect),
        '027-execucoes-chave-binaria': execucoesChaveBinariaMigration(dialect),
        '028-execucoes-hot': execucoesHotMigration(dialect),
        '029-execucoes-sem-coluna-gerada': execucoesSemColunaGeradaMigration(dialect),
      }),
    },
  });
}

/**
 * Migrations renumbered after main had applied them under another name, never in a release: `027-mensagens-registro`
 * became `025-mensagens-registro` and `027-webhook-registros` became `026-webhook-registros` (no gap in the unreleased
 * list). A database migrated in between records the old name, which Kysely refuses as unknown (a NewerSchemaError
 * advising a newer version) while the new name's up() would create its index or table a second time. Only these known
 * pairs are renamed, and only when the new name is not recorded; every path that migrates (up, to, down) renames first.
 */
const RENUMBERED: readonly { from: string; to: string }[] = [
  { from: '027-mensagens-registro', to: '025-mensagens-registro' },
  { from: '027-webhook-registros', to: '026-webhook-registros' },
];

async function renameRenumbered(database: CrmDatabase, m: Migrator): Promise<void> {
  // No migration applied: kysely_migration may not exist yet, and nothing was recorded under an old name.
  if (!(await m.getMigrations()).some((known) => known.executedAt !== undefined)) return;
  for (const { from, to } of RENUMBERED) {
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration WHERE name IN (${from}, ${to})`.execute(database.db);
    const names = rows.map((row) => row.name);
    if (names.includes(from) && !names.includes(to)) {
      await sql`UPDATE kysely_migration SET name = ${to} WHERE name = ${from}`.execute(database.db);
    }
  }
}

/** Brings the CRM database to the latest schema; returns the names of the migrations applied now. */
export async function migrateToLatest(database: CrmDatabase): Promise<string[]> {
  const m = migrator(database);
  await renameRenumbered(database, m);
  const { error, results }: MigrationResultSet = await m.migrateToLatest();
  if (error) {
    const unknown = UNKNOWN_EXECUTED.exec((error as Error).message)?.[1];
    if (unknown) throw new NewerSchemaError(unknown, { cause: error });
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * For the apps that do not migrate (workers, the dashboard): refuses a database a newer version migrated
 * (NewerSchemaError) or one this version's migrations have not reached yet (SchemaBehindError), before any job or page
 * works on columns that are not what the code expects.
 */
export async function assertSchemaCurrent(database: CrmDatabase): Promise<void> {
  const { pending, unknown } = await migrationStatus(database);
  if (unknown[0] !== undefined) throw new NewerSchemaError(unknown[0]);
  if (pending.length > 0) throw new SchemaBehindError(pending);
}

/** What `integrador migrate --status` shows: the migrations applied (with when), those pending, and unknown ones. */
export interface MigrationStatus {
  applied: { name: string; executedAt: Date }[];
  pending: string[];
  /** Applied by a newer version of the hub (a downgrade): this version would refuse the database. */
  unknown: string[];
}

/** Reads the database's migration state without applying anything (and without creating Kysely's tables). */
export async function migrationStatus(database: CrmDatabase): Promise<MigrationStatus> {
  const known = await migrator(database).getMigrations();
  const applied = known.flatMap((m) => (m.executedAt === undefined ? [] : [{ name: m.name, executedAt: m.executedAt }]));
  const pending = known.filter((m) => m.executedAt === undefined).map((m) => m.name);
  let unknown: string[] = [];
  if (applied.length > 0) {
    const names = new Set(known.map((m) => m.name));
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(database.db);
    // A renumbered migration's old name is no newer hub's: `migrate` renames it (its new name is listed as pending).
    unknown = rows.map((r) => r.name).filter((name) => !names.has(name) && !RENUMBERED.some(({ from }) => from === name));
  }
  return { applied, pending, unknown };
}

/** Migrates up or down to the named migration (tests: a database as an older version of the hub left it). */
export async function migrateTo(database: CrmDatabase, name: string): Promise<void> {
  const m = migrator(database);
  await renameRenumbered(database, m);
  const { error } = await m.migrateTo(name);
  if (error) throw new MigrationError(`migration to ${name} failed: ${(error as Error).message}`, { cause: error });
}

/** Rolls back every migration (tests and `integrador migrate --down`). */
export async function migrateDownAll(database: CrmDatabase): Promise<void> {
  const m = migrator(database);
  await renameRenumbered(database, m);
  for (;;) {
    const { error, results } = await m.migrateDown();
    if (error) throw new MigrationError(`migration rollback failed: ${(error as Error).message}`, { cause: error });
    if (!results?.length) return;
  }
}
