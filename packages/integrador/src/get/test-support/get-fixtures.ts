import { randomUUID } from 'node:crypto';
import type { DatabaseDriver } from '@integrador/connections';
import type { GetRunResult } from '@integrador/jobs';
import { openSourceReader, type SourceReader } from '@integrador/sources';
import { createScratchSource, type ScratchSource } from '@integrador/sources/testing';
import type { CrmDatabase, Database, IntegracaoTable } from '@integrador/store';
import type { Insertable, Kysely } from 'kysely';
import { admitRun } from '../../runs/admit-run';
import { getDefinitionOf } from '../get-definition';
import { type GetRunContext, runGet } from '../run-get';

/** Senior G5's E085CLI read into contas: aliases are the CRM column names (DATALT is the cursor only). */
export const E085CLI_TO_CONTAS = `SELECT CODCLI AS id_erp, NOMCLI AS nome, APECLI AS fantasia, CGCCPF AS cnpj, TIPCLI AS tipo_pessoa,
  CEPCLI AS cep, ENDCLI AS endereco, FONCLI AS telefone, INTNET AS email_geral, SITCLI AS status, DATALT FROM E085CLI`;

/** A conexao_integracao row for the source and a GET integracao of the empresa; returns the integracao id. */
export async function seedGetIntegracao(
  db: Kysely<Database>,
  empresaId: number,
  source: Pick<ScratchSource, 'driver' | 'connection'>,
  fields: Partial<Insertable<IntegracaoTable>> = {},
): Promise<number> {
  const conexao = await db
    .insertInto('conexao_integracao')
    .values({ tipo_conexao: 'BD', nome_conexao: source.connection.name, empresa_id: empresaId })
    .executeTakeFirst();
  const conexaoId =
    conexao.insertId !== undefined
      ? Number(conexao.insertId)
      : (await db.selectFrom('conexao_integracao').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id;
  await db
    .insertInto('integracao')
    .values({
      nome: `GET-CLIENTES-${empresaId}-${randomUUID().slice(0, 6)}`,
      tipo_servico: 'GET',
      empresa_id: empresaId,
      empresa_filial_id: null,
      tabela: 'contas',
      conexao_integracao_id: conexaoId,
      sql_consulta: E085CLI_TO_CONTAS,
      campo_cursor: 'DATALT',
      ...fields,
    })
    .execute();
  const row = await db
    .selectFrom('integracao')
    .select('id')
    .where('empresa_id', '=', empresaId)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface RunOptions {
  parametros?: Record<string, unknown>;
  jobId?: string;
  owner?: string;
  signal?: AbortSignal;
  onProgress?: GetRunContext['onProgress'];
  onWarning?: GetRunContext['onWarning'];
  /** Runs between the admission and the run: a change the run meets that admission did not see. */
  afterAdmission?: () => Promise<unknown>;
}

/** Runs a GET integracao in this process, as the worker would (its own lease owner per call). */
export async function runGetOnce(
  crm: CrmDatabase,
  reader: SourceReader,
  empresaId: number,
  integracaoId: number,
  options: RunOptions = {},
): Promise<GetRunResult> {
  const tenant = { empresaId, filialId: null, nome: '' };
  const definition = getDefinitionOf(await admitRun(crm.db, { tenant, integracaoId, parametros: {}, checkParameters: false }));
  await options.afterAdmission?.();
  const jobId = options.jobId ?? randomUUID();
  return runGet({
    db: crm.db,
    dialect: crm.dialect,
    definition,
    reader,
    tenant,
    parametros: options.parametros ?? {},
    jobId,
    trigger: 'api',
    owner: options.owner ?? `${jobId}:${randomUUID()}`,
    takeOverPrefix: `${jobId}:`,
    leaseMs: 30000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
}

/** A reader of the scratch source. */
export function readerOf(source: { connection: ScratchSource['connection'] }): Promise<SourceReader> {
  return openSourceReader(source.connection);
}

export type { DatabaseDriver };

/**
 * A throw-away PostgreSQL ERP of `rows` customers and its reader, for a describe block: opened before its tests, closed
 * and dropped after them. Read `source` and `reader` inside the tests (they exist once beforeAll ran).
 */
export function usePostgresScratchErp(rows: number): { readonly source: ScratchSource; readonly reader: SourceReader } {
  let source: ScratchSource | undefined;
  let reader: SourceReader | undefined;
  beforeAll(async () => {
    source = await createScratchSource('postgres', rows);
    reader = await readerOf(source);
  });
  afterAll(async () => {
    await reader?.close();
    await source?.drop();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('usePostgresScratchErp: read source/reader inside a test');
    return value;
  };
  return {
    get source() {
      return opened(source);
    },
    get reader() {
      return opened(reader);
    },
  };
}
