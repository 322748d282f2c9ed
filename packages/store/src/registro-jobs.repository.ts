import { isSecretName, maskSecretsInText, SECRET_MASK } from '@integrador/logging';
import { type Kysely, MysqlAdapter, type OnConflictBuilder, PostgresAdapter, type Selectable, SqliteAdapter, sql } from 'kysely';
import { compiledStatement } from './compiled-statement';
import { type CustomerRef, customersMatching } from './customer-search';
import { whereChangeableBy, whereReadableBy } from './filial-scope';
import { SEARCH_TEXT_MAX } from './migrations/010-dashboard';
import { pgUnnest, sameLengthColumns } from './pg-unnest';
import type { Database, EstadoRegistroJob, RegistroJobsTable } from './schema';
import { timestampValue } from './sincronizacao.repository';

type Db = Kysely<Database>;
export type RegistroJob = Selectable<RegistroJobsTable>;

/** What the worker runner knows about a job at one moment of its life. */
export interface JobEvent {
  empresaId: number;
  filialId: number | null;
  fila: string;
  jobId: string;
  nomeJob: string;
  integracaoId: number | null;
  parametros: Record<string, unknown> | null;
  estado: EstadoRegistroJob;
  tentativas: number;
  maxTentativas: number;
  /** `parametros`: the values the failure's code is worded with in any language (kept in the record's parametros). */
  erro?: { classe: string | null; codigo: string | null; mensagem: string; parametros?: FailureParams | null } | null;
  /** When the event happened (defaults to now). */
  at?: Date;
  /** When this attempt started, for a finish recorded together with its start (a batched recorder): sets iniciado_em. */
  iniciadoEm?: Date;
}

/** The values a failure's code is worded with (an endpoint sync's URL, limit, HTTP status…). */
export type FailureParams = Record<string, string | number>;

/**
 * Where a record keeps its failure's values: under this key of its parametros JSON (registro_jobs has no column of its
 * own for them), beside the job's key parameters. A run parameter's name never holds a '$' (its pattern, in ingress and
 * the dashboard, is `^[A-Za-z_][A-Za-z0-9_]*$`), so no parameter takes this key.
 */
const FAILURE_PARAMS = '$erro';
/** The key rows written before FAILURE_PARAMS kept them under: read when it holds an object (a parameter never does). */
const LEGACY_FAILURE_PARAMS = 'erroParametros';

/**
 * The key parameters as a record keeps them: a secret-named one's value (`senha`, `api_token`…, any type but null)
 * masked — the record is the copy for display and search; the worker reads the value from its job.
 */
function storedParameters(parametros: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!parametros) return parametros;
  return Object.fromEntries(Object.entries(parametros).map(([k, v]) => [k, v !== null && isSecretName(k) ? SECRET_MASK : v]));
}

function parametrosText(event: JobEvent): string | null {
  const failure = event.erro?.parametros;
  const params = failure ? { ...event.parametros, [FAILURE_PARAMS]: failure } : event.parametros;
  return params ? JSON.stringify(params) : null;
}

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** A record's parametros JSON split: the job's key parameters and its failure's values (null when none were kept). */
export function recordParameters(parametros: string | null): { key: Record<string, unknown>; failure: FailureParams | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(parametros ?? '{}');
  } catch {
    return { key: {}, failure: null };
  }
  if (!isObject(parsed)) return { key: {}, failure: null };
  const { [FAILURE_PARAMS]: failure, ...key } = parsed;
  const legacy = failure === undefined && isObject(key[LEGACY_FAILURE_PARAMS]) ? key[LEGACY_FAILURE_PARAMS] : undefined;
  if (legacy) delete key[LEGACY_FAILURE_PARAMS];
  const kept = failure ?? legacy;
  const valid = isObject(kept)
    ? Object.fromEntries(Object.entries(kept).filter(([, v]) => typeof v === 'string' || typeof v === 'number'))
    : null;
  return { key, failure: valid as FailureParams | null };
}

/**
 * The lower-case text free-text search reads: name, id, key parameters (as stored: a secret-named one's value masked,
 * whatever its type — storedParameters, idempotent, so the parameters rowOf already masked and a bench's raw ones read
 * alike), error — its secrets masked (a receptor's refusal may quote a password: searching for it must not find the
 * row), then cut to the column's size, so the cut never leaves a secret's prefix unmasked.
 */
export function searchText(event: Pick<JobEvent, 'nomeJob' | 'jobId' | 'parametros' | 'erro' | 'integracaoId'>): string {
  const stored = storedParameters(event.parametros ?? null) ?? {};
  const params = Object.entries(stored).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const parts = [event.nomeJob, `#${event.jobId}`, event.integracaoId ? `integracao=${event.integracaoId}` : '', ...params];
  if (event.erro) parts.push(event.erro.classe ?? '', event.erro.codigo ?? '', event.erro.mensagem);
  // Masking grows with the text (~20 µs for 1–2 KB; a SOAP fault's body may be far longer): only twice what is kept is
  // masked, and the mask takes a value cut by that first cut too.
  const text = parts
    .filter(Boolean)
    .join(' ')
    .slice(0, 2 * SEARCH_TEXT_MAX);
  return maskSecretsInText(text).toLowerCase().slice(0, SEARCH_TEXT_MAX);
}

/** A job event as a registro_jobs row: the insert of a first event; recordJobEvents says what a later one changes. */
function rowOf(db: Db, asRecorded: JobEvent) {
  const event = { ...asRecorded, parametros: storedParameters(asRecorded.parametros) };
  const at = timestampValue(db, event.at ?? new Date());
  const finished = event.estado === 'concluido' || event.estado === 'falhou' || event.estado === 'descartado';
  const iniciadoEm = event.iniciadoEm ? timestampValue(db, event.iniciadoEm) : null;
  const erro = event.erro ?? null;
  return {
    empresa_id: event.empresaId,
    empresa_filial_id: event.filialId,
    fila: event.fila,
    job_id: event.jobId,
    nome_job: event.nomeJob.slice(0, 60),
    integracao_id: event.integracaoId,
    parametros: parametrosText(event),
    criado_em: iniciadoEm ?? at,
    estado: event.estado,
    tentativas: event.tentativas,
    max_tentativas: event.maxTentativas,
    erro_classe: erro?.classe?.slice(0, 100) ?? null,
    erro_codigo: erro?.codigo?.slice(0, 100) ?? null,
    erro_mensagem: erro?.mensagem ?? null,
    busca: searchText(event),
    atualizado_em: at,
    // null = unchanged on an update (see recordJobEvents): a start sets iniciado_em, a finish finalizado_em.
    iniciado_em: event.estado === 'ativo' ? at : iniciadoEm,
    finalizado_em: finished ? at : null,
  };
}

/** Upserts a job's row by (fila, job_id): one statement, so recording costs one round trip. */
export async function recordJobEvent(db: Db, event: JobEvent): Promise<void> {
  await recordJobEvents(db, [event]);
}

/** Rows per statement: well under every dialect's limit of bound parameters (SQLite's 32,766). */
const ROWS_PER_STATEMENT = 200;

/**
 * The columns a later event of a job changes; the others (tenant, name, criado_em) stay as first written. parametros
 * too: the job's key parameters are the same in every event, its failure's values come and go with the failure.
 */
const CHANGED = [
  'parametros',
  'estado',
  'tentativas',
  'max_tentativas',
  'erro_classe',
  'erro_codigo',
  'erro_mensagem',
  'busca',
  'atualizado_em',
] as const;

/** registro_jobs' column types on PostgreSQL, in rowOf's order: the element types of pgInsert's arrays. */
const PG_TYPES: Record<keyof ReturnType<typeof rowOf>, string> = {
  empresa_id: 'integer',
  empresa_filial_id: 'integer',
  fila: 'varchar',
  job_id: 'varchar',
  nome_job: 'varchar',
  integracao_id: 'integer',
  parametros: 'text',
  criado_em: 'timestamptz',
  estado: 'varchar',
  tentativas: 'integer',
  max_tentativas: 'integer',
  erro_classe: 'varchar',
  erro_codigo: 'varchar',
  erro_mensagem: 'text',
  busca: 'varchar',
  atualizado_em: 'timestamptz',
  iniciado_em: 'timestamptz',
  finalizado_em: 'timestamptz',
};

const PG_COLUMNS = Object.keys(PG_TYPES) as Array<keyof typeof PG_TYPES>;

/** On a conflict the row takes the event's state; the start keeps an earlier one, a job running again has no end. */
function onConflictSets(oc: OnConflictBuilder<Database, 'registro_jobs'>) {
  return oc.columns(['fila', 'job_id']).doUpdateSet({
    ...Object.fromEntries(CHANGED.map((column) => [column, sql.ref(`excluded.${column}`)])),
    iniciado_em: sql`COALESCE(excluded.iniciado_em, registro_jobs.iniciado_em)`,
    finalizado_em: sql`CASE WHEN excluded.estado = 'ativo' THEN NULL ELSE COALESCE(excluded.finalizado_em, registro_jobs.finalizado_em) END`,
  });
}

/**
 * PostgreSQL: the rows as one array per column (pgUnnest), so a recorder's batch is the same statement text whatever
 * its size and is prepared once per connection instead of parsed and planned for every batch (18 columns × n rows);
 * built by Kysely once per database handle (compiledStatement), with one value (an array) per column.
 */
const pgUpsert = compiledStatement(PG_COLUMNS.length, (db, ...columns: unknown[][]) => {
  const unnest = PG_COLUMNS.map((column, i) => {
    const values = columns[i];
    if (values === undefined) throw new Error(`registro_jobs upsert: no values for ${column}`);
    return [values, PG_TYPES[column]] as const;
  });
  return db
    .insertInto('registro_jobs')
    .columns(PG_COLUMNS)
    .expression(sql`SELECT * FROM ${pgUnnest(unnest)} AS r (${sql.join(PG_COLUMNS.map((column) => sql.ref(column)))})`)
    .onConflict(onConflictSets);
});

/** One multi-row upsert of events of distinct jobs. */
async function upsertRows(db: Db, events: readonly JobEvent[]): Promise<void> {
  const rows = events.map((event) => rowOf(db, event));
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await db.executeQuery(pgUpsert.bind(db, ...sameLengthColumns(PG_COLUMNS.map((column) => rows.map((row) => row[column])))));
    return;
  }
  const insert = db.insertInto('registro_jobs').values(rows);
  if (db.getExecutor().adapter instanceof MysqlAdapter) {
    // VALUES(col) is the row being inserted; a bare column, the row as it is (assignments run left to right, so
    // the two dates, which read estado, use VALUES(estado)).
    const incoming = (column: string) => sql.raw(`VALUES(${column})`);
    await insert
      .onDuplicateKeyUpdate({
        ...Object.fromEntries(CHANGED.map((column) => [column, incoming(column)])),
        iniciado_em: sql`COALESCE(VALUES(iniciado_em), iniciado_em)`,
        finalizado_em: sql`CASE WHEN VALUES(estado) = 'ativo' THEN NULL ELSE COALESCE(VALUES(finalizado_em), finalizado_em) END`,
      })
      .execute();
    return;
  }
  await insert.onConflict(onConflictSets).execute();
}

/**
 * Records the events of several distinct jobs (a recorder's batch; one event per job): one multi-row upsert per
 * ROWS_PER_STATEMENT jobs, in one transaction when there are more.
 */
export async function recordJobEvents(db: Db, events: readonly JobEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (events.length <= ROWS_PER_STATEMENT) return upsertRows(db, events);
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) await upsertRows(trx, events.slice(i, i + ROWS_PER_STATEMENT));
  });
}

/** Which tenants a reader may see: every one (an admin) or a list. */
export type TenantScope = 'all' | readonly number[];

/** The failures list's and search's filters; every one optional except the tenant scope. */
export interface JobFilter {
  scope: TenantScope;
  /** A filial caller's filial: its own jobs and the empresa-wide ones (whereReadableBy); null/absent: every filial. */
  filialId?: number | null | undefined;
  /** With a filial: only the jobs that filial may change (whereChangeableBy), not the empresa-wide ones it reads. */
  changeable?: boolean | undefined;
  empresaId?: number | undefined;
  /** Only the jobs of this filial (the failures list's filial filter), within the scope above. */
  empresaFilialId?: number | undefined;
  /** null: the records of no integration (the hub's own jobs). */
  integracaoId?: number | null | undefined;
  /** Only the records of this failure code (null: those without one): a group of repeated failures (groupJobRecords). */
  codigo?: string | null | undefined;
  fila?: string | undefined;
  estados?: readonly EstadoRegistroJob[] | undefined;
  desde?: Date | undefined;
  ate?: Date | undefined;
  /** Free text: a substring of `busca`, or a customer's name or CNPJ/CPF (customersMatching) its records name. */
  texto?: string | undefined;
  /**
   * Failure codes whose worded reason, in the reader's language, holds `texto` (queue's failureCodesMatching): their
   * records match too, as the dashboard shows that wording and the search text keeps only the code and the message.
   */
  codigos?: readonly string[] | undefined;
  /** Only the jobs whose failure has this code (e.g. SET_RECORD_HELD; by its index, migration 021). */
  erroCodigo?: string | undefined;
}

/** LIKE wildcards typed by an operator are text: escaped with '!' (a backslash means different things per dialect). */
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

function filtered(db: Db, filter: JobFilter, customers: readonly CustomerRef[] = []) {
  let query = db.selectFrom('registro_jobs');
  if (filter.scope !== 'all') {
    // An operator with no tenant sees nothing, not everything.
    query = query.where('empresa_id', 'in', filter.scope.length ? [...filter.scope] : [-1]);
  }
  if (filter.filialId !== undefined && filter.filialId !== null) {
    const caller = { filialId: filter.filialId };
    query = query.where(filter.changeable ? whereChangeableBy(caller) : whereReadableBy(caller));
  }
  if (filter.empresaId !== undefined) query = query.where('empresa_id', '=', filter.empresaId);
  if (filter.empresaFilialId !== undefined) query = query.where('empresa_filial_id', '=', filter.empresaFilialId);
  if (filter.integracaoId !== undefined)
    query = query.where('integracao_id', filter.integracaoId === null ? 'is' : '=', filter.integracaoId);
  if (filter.codigo !== undefined) query = query.where('erro_codigo', filter.codigo === null ? 'is' : '=', filter.codigo);
  if (filter.fila) query = query.where('fila', '=', filter.fila);
  if (filter.estados?.length) query = query.where('estado', 'in', [...filter.estados]);
  if (filter.erroCodigo !== undefined) query = query.where('erro_codigo', '=', filter.erroCodigo);
  if (filter.desde) query = query.where('atualizado_em', '>=', timestampValue(db, filter.desde));
  if (filter.ate) query = query.where('atualizado_em', '<=', timestampValue(db, filter.ate));
  const texto = filter.texto?.trim().toLowerCase();
  if (!texto) return query;
  // MySQL/MariaDB, searching every tenant: the FULLTEXT index (migration 014) first narrows to the rows holding the
  // text's whole words. Within one tenant its index already bounds the LIKE, and a common word's FULLTEXT hits across
  // every tenant would cost more than that scan (bench/dashboard.bench.ts: 115 → 283 ms), so it is left out there.
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  const codigos = filter.codigos ?? [];
  const everyTenant = filter.scope === 'all' && filter.empresaId === undefined;
  const words = everyTenant && mysql ? fullTextWords(texto) : '';
  const like = textMatch(texto, mysql);
  const named = customerArms(customers, mysql);
  if (!words)
    return codigos.length === 0 && named.length === 0
      ? query.where(like)
      : query.where((eb) => eb.or([like, ...(codigos.length ? [eb('erro_codigo', 'in', [...codigos])] : []), ...named]));
  const byText = sql<boolean>`(MATCH(busca) AGAINST (${words} IN BOOLEAN MODE) AND ${like})`;
  // Every tenant with no empresa: no customer was looked up (customerSearchNeedsEmpresa), only the text and the codes.
  if (codigos.length === 0) return query.where(byText);
  // With failure codes as well, an OR of them keeps MariaDB/MySQL from using any index (EXPLAIN: a scan of every
  // tenant's rows). Each side gets its own indexed select instead (FULLTEXT; registro_jobs_erro_codigo, migration
  // 021), UNIONed in a derived table the planner materializes and joins back by primary key; the other filters (the
  // tenant walls among them) still apply to the rows it names.
  const arms = [
    sql`SELECT id FROM registro_jobs WHERE ${byText}`,
    sql`SELECT id FROM registro_jobs WHERE erro_codigo IN (${sql.join([...codigos])})`,
  ];
  return query.where(sql<boolean>`registro_jobs.id IN (SELECT m.id FROM (${sql.join(arms, sql` UNION `)}) AS m)`);
}

/**
 * The records naming customers a search text found (customersMatching): one condition per empresa — its rows whose
 * `busca` holds one of its customers' `contaid=<id>` / `contatoid=<id>` words (textMatch: contaId=14 never finds
 * contaId=140) — so a conta id of one tenant never matches another tenant's row naming the same number.
 */
function customerArms(customers: readonly CustomerRef[], mysql: boolean) {
  const perEmpresa = new Map<number, string[]>();
  for (const c of customers) perEmpresa.set(c.empresaId, [...(perEmpresa.get(c.empresaId) ?? []), `${c.campo.toLowerCase()}=${c.id}`]);
  return [...perEmpresa].map(
    ([empresaId, keys]) =>
      sql<boolean>`(empresa_id = ${empresaId} AND (${sql.join(
        keys.map((key) => textMatch(key, mysql)),
        sql` OR `,
      )}))`,
  );
}

/** The customers a filter's text names (none without a text): resolved once per search, before the records are read. */
async function customersOf(db: Db, filter: JobFilter): Promise<CustomerRef[]> {
  const texto = filter.texto?.trim();
  return texto ? customersMatching(db, filter, texto) : [];
}

/** A `chave=valor` word as the search text begins or ends with it (the key parameters' shape in `busca`). */
const KEY_VALUE = /^[\p{L}_][\p{L}\p{N}_]*=\S+$/u;

/**
 * The LIKE a free-text search is: a substring of `busca`, except that a `chave=valor` word at either end of the text
 * matches whole — `busca` joins its parts with one space (a key parameter is never its first part), so `contaid=14`
 * must have a space before it and a space or the end after it: contaId=14 never finds contaId=140.
 */
function textMatch(texto: string, mysql: boolean) {
  const words = texto.split(/\s+/);
  const before = KEY_VALUE.test(words[0] ?? '') ? '% ' : '%';
  // busca is lower-case already; MySQL/MariaDB's default collations would also ignore accents ("ação" finding every
  // "integracao="), so there it is compared byte for byte, as PostgreSQL and SQLite compare.
  const column = mysql ? sql`busca COLLATE utf8mb4_bin` : sql`busca`;
  const like = (pattern: string) => sql<boolean>`${column} LIKE ${pattern} ESCAPE '!'`;
  const text = `${before}${escapeLike(texto)}`;
  if (!KEY_VALUE.test(words.at(-1) ?? '')) return like(`${text}%`);
  return sql<boolean>`(${like(`${text} %`)} OR ${like(text)})`;
}

/** InnoDB's default stopwords, minimum (3) and maximum (84) token sizes: such words are not indexed, so never required. */
const FT_STOPWORDS = new Set(
  'a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www'.split(
    ' ',
  ),
);

/**
 * The boolean-mode terms a substring search may require without changing its meaning: a word of the text with a
 * separator on both sides is a whole word of every match (`+word`); the last one may be the start of a longer word
 * (`+word*`); the first may be the end of one, so it is never required. '' when nothing qualifies (LIKE alone).
 */
export function fullTextWords(texto: string): string {
  const tokens = texto.split(/[^\p{L}\p{N}_]+/u);
  const terms: string[] = [];
  tokens.forEach((token, i) => {
    const whole = i > 0; // tokens[0] is '' when the text starts with a separator: the next one then starts a word
    if (!whole || token.length < 3 || token.length > 84 || FT_STOPWORDS.has(token)) return;
    terms.push(i === tokens.length - 1 ? `+${token}*` : `+${token}`);
  });
  return terms.join(' ');
}

/** The newest job records matching the filter (the failures list and search), at most `limit`. */
export async function searchJobRecords(db: Db, filter: JobFilter, limit = 50, offset = 0): Promise<RegistroJob[]> {
  return filtered(db, filter, await customersOf(db, filter))
    .selectAll()
    .orderBy('atualizado_em', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

/**
 * How many records match the filter (the "retry all matching" confirmation and the list's total). With `cap`, counting
 * stops after cap + 1 rows (an answer above `cap` means "more than cap"): a common word over every tenant then reads
 * a bounded number of rows instead of all its matches.
 */
export async function countJobRecords(db: Db, filter: JobFilter, cap?: number): Promise<number> {
  const customers = await customersOf(db, filter);
  if (cap === undefined) {
    const row = await filtered(db, filter, customers)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
  const bounded = filtered(db, filter, customers)
    .select('id')
    .limit(cap + 1)
    .as('t');
  const row = await db
    .selectFrom(bounded)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Repeated failures of one integration with one code (the failures list grouped): how many, first and last seen. */
export interface JobRecordGroup {
  empresaId: number;
  integracaoId: number | null;
  codigo: string | null;
  n: number;
  primeiro: Date;
  ultimo: Date;
  /** The newest record of the group (its failure is worded from it). */
  ultimoId: number;
}

/**
 * The records matching the filter grouped by empresa, integration and failure code, the group last seen first, at
 * most `limit` groups from the `offset`th on (a page of them; the order is total, so pages neither skip nor repeat a
 * group while nothing new fails): a schedule failing the same way every run is one line, not a page of them.
 */
export async function groupJobRecords(db: Db, filter: JobFilter, limit = 200, offset = 0): Promise<JobRecordGroup[]> {
  const rows = await filtered(db, filter, await customersOf(db, filter))
    .select((eb) => [
      'empresa_id',
      'integracao_id',
      'erro_codigo',
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.min('atualizado_em').as('primeiro'),
      eb.fn.max('atualizado_em').as('ultimo'),
      eb.fn.max('id').as('ultimo_id'),
    ])
    .groupBy(['empresa_id', 'integracao_id', 'erro_codigo'])
    .orderBy(sql`max(atualizado_em)`, 'desc')
    .orderBy(sql`max(id)`, 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((r) => ({
    empresaId: Number(r.empresa_id),
    integracaoId: r.integracao_id === null ? null : Number(r.integracao_id),
    codigo: r.erro_codigo,
    n: Number(r.n),
    primeiro: storedDate(r.primeiro),
    ultimo: storedDate(r.ultimo),
    ultimoId: Number(r.ultimo_id),
  }));
}

/** A timestamp as a driver returns an aggregate of one (a Date, or SQLite's and some drivers' text). */
function storedDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * The (fila, job_id) pairs matching a filter, for bulk actions (bounded by `limit`), with what tells a job a retry
 * would refuse (its name and key parameters: a webhook delivery job's entregaId).
 */
export async function listJobKeys(
  db: Db,
  filter: JobFilter,
  limit: number,
): Promise<Array<Pick<RegistroJob, 'id' | 'fila' | 'job_id' | 'empresa_id' | 'erro_codigo' | 'nome_job' | 'parametros'>>> {
  return filtered(db, filter, await customersOf(db, filter))
    .select(['id', 'fila', 'job_id', 'empresa_id', 'erro_codigo', 'nome_job', 'parametros'])
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** One job's record, only within the reader's tenants (and, for a filial caller, its filial's or the empresa-wide). */
export async function findJobRecord(
  db: Db,
  scope: TenantScope,
  fila: string,
  jobId: string,
  filialId: number | null = null,
): Promise<RegistroJob | undefined> {
  // No record holds a NUL (BullMQ ids and queue names are text), and PostgreSQL refuses one in a parameter (22021).
  if (fila.includes('\u0000') || jobId.includes('\u0000')) return undefined;
  return filtered(db, { scope, filialId }).selectAll().where('fila', '=', fila).where('job_id', '=', jobId).executeTakeFirst();
}

/** Counts per tenant, integration and state since a moment (the overview). */
export async function countByState(db: Db, scope: TenantScope, desde: Date, filialId: number | null = null) {
  const rows = await filtered(db, { scope, desde, filialId })
    .select(['empresa_id', 'integracao_id', 'estado', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy(['empresa_id', 'integracao_id', 'estado'])
    .execute();
  return rows.map((r) => ({ empresaId: r.empresa_id, integracaoId: r.integracao_id, estado: r.estado, n: Number(r.n) }));
}

/** Jobs per hour and state since a moment (the overview's small charts); hours as 'YYYY-MM-DDTHH' in UTC. */
export async function countByHour(db: Db, scope: TenantScope, desde: Date, empresaId?: number, filialId: number | null = null) {
  const adapter = db.getExecutor().adapter;
  const hour =
    adapter instanceof SqliteAdapter
      ? sql<string>`substr(atualizado_em, 1, 13)`
      : adapter instanceof MysqlAdapter
        ? sql<string>`DATE_FORMAT(atualizado_em, '%Y-%m-%dT%H')`
        : sql<string>`to_char(atualizado_em AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')`;
  const rows = await filtered(db, { scope, desde, empresaId, filialId })
    .select([hour.as('hora'), 'estado', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy([hour, 'estado'])
    .execute();
  return rows.map((r) => ({ hora: String(r.hora), estado: r.estado, n: Number(r.n) }));
}

/**
 * Sets the state of records after an operator's action (retry → aguardando_retentativa, discard → descartado).
 * `onlyFrom` keeps a newer state the worker already wrote (a retried job may start before this update lands).
 */
export async function markJobRecords(
  db: Db,
  ids: readonly number[],
  estado: EstadoRegistroJob,
  onlyFrom?: EstadoRegistroJob,
): Promise<void> {
  if (!ids.length) return;
  let query = db
    .updateTable('registro_jobs')
    .set({ estado, atualizado_em: timestampValue(db, new Date()) })
    .where('id', 'in', [...ids]);
  if (onlyFrom) query = query.where('estado', '=', onlyFrom);
  await query.execute();
}
