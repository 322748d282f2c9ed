import { createHash, randomBytes } from 'node:crypto';
import { type CtiConfiguracoesTable, type Database, isUniqueViolation, timestampValue } from '@integrador/store';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { CtiError } from '../cti-error';

export type PbxAuth = 'nenhuma' | 'basic' | 'header' | 'token_url';
export const PBX_AUTH_MODES: readonly PbxAuth[] = ['nenhuma', 'basic', 'header', 'token_url'];

/** A tenant's CTI settings, as the engine uses them. */
export interface CtiSettings {
  empresaId: number;
  /** EMPRESA in EMPRESA.<CTI_DOMAIN>, lower case; null = no host-name form. */
  hostLabel: string | null;
  /** True when a /t/<token>/ path secret is set (only its hash is stored). */
  hasToken: boolean;
  /** Addresses / CIDR ranges the PBX may call from; empty = any. */
  allowlist: string[];
  pbx: {
    method: string;
    /** URL with {ramal_origem} {numero_origem} {numero_destino} {ramal_destino}; null = click-to-call not configured. */
    urlTemplate: string | null;
    auth: PbxAuth;
    user: string | null;
    /** ${NOME}: resolved from CTI_SECRET_<empresaId>_<NOME> by the worker. */
    secretRef: string | null;
    /** header: the header's name; token_url: the query parameter's name. */
    paramName: string | null;
  };
  /** Seed 002: a tone or 0 dialled before every number except internal extensions. */
  dialPrefix: string;
  /** Numbers with at most this many digits are internal extensions. */
  ramalLength: number;
  /** Operator's decision: the PBX is on the customer's LAN (loopback / private addresses allowed). */
  allowPrivateNetwork: boolean;
}

/** What `integrador cti configure` may change; undefined = unchanged. */
export type CtiSettingsPatch = Partial<{
  hostLabel: string | null;
  allowlist: string[];
  pbxMethod: string;
  pbxUrlTemplate: string | null;
  pbxAuth: PbxAuth;
  pbxUser: string | null;
  pbxSecretRef: string | null;
  pbxParamName: string | null;
  dialPrefix: string;
  ramalLength: number;
  allowPrivateNetwork: boolean;
  /**
   * Not stored: the operator's explicit yes to a host label with no allowlist (`--allow-any`). Without it, a save that
   * sets a host label or the allowlist and leaves the label with no allowlist is refused (HOST_LABEL_OPEN).
   */
  allowAnyOrigin: boolean;
}>;

/**
 * The one rule for the host-label form: the label (a company name, guessable) names the tenant and authenticates
 * nothing, so a label with no allowlist accepts call events from anyone who knows it. The path token form is
 * authenticated by its secret. Save refusal, the ingress's start warning and config lint all ask this.
 */
export function hostLabelIsOpen(settings: Pick<CtiSettings, 'hostLabel' | 'allowlist'>): boolean {
  return settings.hostLabel !== null && settings.allowlist.length === 0;
}

/** A tenant whose host label has no allowlist (hostLabelIsOpen), for the start warning and config lint. */
export interface OpenHostLabel {
  /** cti_configuracoes.id */
  rowId: number;
  empresaId: number;
  hostLabel: string;
}

/** Every tenant (or only `empresaId`'s) whose host label accepts any address (hostLabelIsOpen), by empresa. */
export async function listOpenHostLabels(db: Kysely<Database>, empresaId: number | null = null): Promise<OpenHostLabel[]> {
  let query = db.selectFrom('cti_configuracoes').selectAll().where('rotulo_host', 'is not', null);
  if (empresaId !== null) query = query.where('empresa_id', '=', empresaId);
  const rows = await query.orderBy('empresa_id').execute();
  return rows.flatMap((row) => {
    const settings = toSettings(row);
    return hostLabelIsOpen(settings) ? [{ rowId: row.id, empresaId: row.empresa_id, hostLabel: settings.hostLabel as string }] : [];
  });
}

function toSettings(row: Selectable<CtiConfiguracoesTable>): CtiSettings {
  let allowlist: string[] = [];
  try {
    const parsed = JSON.parse(row.enderecos_permitidos ?? '[]') as unknown;
    if (Array.isArray(parsed)) allowlist = parsed.map(String);
  } catch {
    // A hand-edited, unreadable allowlist allows nothing rather than everything.
    allowlist = ['0.0.0.0/32'];
  }
  return {
    empresaId: row.empresa_id,
    hostLabel: row.rotulo_host,
    hasToken: row.token_hash !== null,
    allowlist,
    pbx: {
      method: row.pbx_metodo,
      urlTemplate: row.pbx_url_modelo,
      auth: (PBX_AUTH_MODES as readonly string[]).includes(row.pbx_autenticacao) ? (row.pbx_autenticacao as PbxAuth) : 'nenhuma',
      user: row.pbx_usuario,
      secretRef: row.pbx_segredo_ref,
      paramName: row.pbx_nome_parametro,
    },
    dialPrefix: row.prefixo_discagem,
    ramalLength: Number(row.tamanho_ramal),
    allowPrivateNetwork: Number(row.permitir_rede_privada) === 1,
  };
}

/** SHA-256 (hex) of a listener path token. */
export function hashListenerToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The settings of one empresa, or undefined when CTI is not configured for it. */
export async function findCtiSettings(db: Kysely<Database>, empresaId: number): Promise<CtiSettings | undefined> {
  const row = await db.selectFrom('cti_configuracoes').selectAll().where('empresa_id', '=', empresaId).executeTakeFirst();
  return row ? toSettings(row) : undefined;
}

/** The settings whose host label is this one (EMPRESA of EMPRESA.<domain>). */
export async function findCtiSettingsByHostLabel(db: Kysely<Database>, label: string): Promise<CtiSettings | undefined> {
  const row = await db.selectFrom('cti_configuracoes').selectAll().where('rotulo_host', '=', label.toLowerCase()).executeTakeFirst();
  return row ? toSettings(row) : undefined;
}

/** The settings whose listener path token is this one (looked up by hash; the token is never stored). */
export async function findCtiSettingsByToken(db: Kysely<Database>, token: string): Promise<CtiSettings | undefined> {
  const row = await db.selectFrom('cti_configuracoes').selectAll().where('token_hash', '=', hashListenerToken(token)).executeTakeFirst();
  return row ? toSettings(row) : undefined;
}

function patchColumns(patch: CtiSettingsPatch) {
  const columns: Partial<Insertable<CtiConfiguracoesTable>> = {};
  if (patch.hostLabel !== undefined) columns.rotulo_host = patch.hostLabel?.toLowerCase() ?? null;
  if (patch.allowlist !== undefined) columns.enderecos_permitidos = JSON.stringify(patch.allowlist);
  if (patch.pbxMethod !== undefined) columns.pbx_metodo = patch.pbxMethod.toUpperCase();
  if (patch.pbxUrlTemplate !== undefined) columns.pbx_url_modelo = patch.pbxUrlTemplate;
  if (patch.pbxAuth !== undefined) columns.pbx_autenticacao = patch.pbxAuth;
  if (patch.pbxUser !== undefined) columns.pbx_usuario = patch.pbxUser;
  if (patch.pbxSecretRef !== undefined) columns.pbx_segredo_ref = patch.pbxSecretRef;
  if (patch.pbxParamName !== undefined) columns.pbx_nome_parametro = patch.pbxParamName;
  if (patch.dialPrefix !== undefined) columns.prefixo_discagem = patch.dialPrefix;
  if (patch.ramalLength !== undefined) columns.tamanho_ramal = patch.ramalLength;
  if (patch.allowPrivateNetwork !== undefined) columns.permitir_rede_privada = patch.allowPrivateNetwork ? 1 : 0;
  return columns;
}

/** The refusal of a host label another empresa holds (the caller words it from `params.label`; no table names). */
function hostLabelTaken(label: string, cause?: unknown): CtiError {
  return new CtiError('HOST_LABEL_TAKEN', true, `host label ${label} is used by another empresa`, cause ? { cause } : undefined, { label });
}

/**
 * Creates or changes an empresa's CTI settings; returns them as saved. A host label another empresa uses is refused
 * with CtiError HOST_LABEL_TAKEN; a save that leaves a host label with no allowlist, without allowAnyOrigin, with
 * HOST_LABEL_OPEN (hostLabelIsOpen). The label is checked first, and the unique index's violation (two saves racing) answers the same
 * when another empresa holds the label; two first saves of one empresa racing both succeed (the loser updates).
 */
export async function saveCtiSettings(db: Kysely<Database>, empresaId: number, patch: CtiSettingsPatch): Promise<CtiSettings> {
  const columns = patchColumns(patch);
  const label = columns.rotulo_host;
  if (label) {
    const holder = await findCtiSettingsByHostLabel(db, label);
    if (holder && holder.empresaId !== empresaId) throw hostLabelTaken(label);
  }
  // Only a save that sets the label or the allowlist is checked: an existing open configuration keeps working and
  // other changes to it still save (the start warning and config lint keep reporting it).
  if (!patch.allowAnyOrigin && (label || patch.allowlist !== undefined)) {
    const current = await findCtiSettings(db, empresaId);
    const after = {
      hostLabel: patch.hostLabel !== undefined ? (label ?? null) : (current?.hostLabel ?? null),
      allowlist: patch.allowlist ?? current?.allowlist ?? [],
    };
    if (hostLabelIsOpen(after)) {
      throw new CtiError(
        'HOST_LABEL_OPEN',
        true,
        `host label ${after.hostLabel} without an allowlist accepts call events from any address; give the PBX addresses or allowAnyOrigin`,
        undefined,
        { label: after.hostLabel as string },
      );
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await writeCtiSettings(db, empresaId, columns);
      break;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Which key it was: the label (another empresa took it meanwhile), or the empresa's own row (another first save
      // of the same empresa won the insert) — then this save is the update it would have been.
      if (label) {
        const holder = await findCtiSettingsByHostLabel(db, label);
        if (holder && holder.empresaId !== empresaId) throw hostLabelTaken(label, err);
      }
      if (attempt > 1 || !(await findCtiSettings(db, empresaId))) throw err;
    }
  }
  return (await findCtiSettings(db, empresaId)) as CtiSettings;
}

async function writeCtiSettings(db: Kysely<Database>, empresaId: number, columns: ReturnType<typeof patchColumns>): Promise<void> {
  const exists = await db.selectFrom('cti_configuracoes').select('id').where('empresa_id', '=', empresaId).executeTakeFirst();
  if (exists) {
    await db
      .updateTable('cti_configuracoes')
      .set({ ...columns, atualizado_em: timestampValue(db, new Date()) })
      .where('empresa_id', '=', empresaId)
      .execute();
  } else {
    await db
      .insertInto('cti_configuracoes')
      .values({ ...columns, empresa_id: empresaId })
      .execute();
  }
}

/** Issues a new listener path token for the empresa (the old one stops working); returns it — shown once. */
export async function issueListenerToken(db: Kysely<Database>, empresaId: number): Promise<string> {
  const token = `ctk_${randomBytes(24).toString('base64url')}`;
  await saveCtiSettings(db, empresaId, {});
  await db
    .updateTable('cti_configuracoes')
    .set({ token_hash: hashListenerToken(token) })
    .where('empresa_id', '=', empresaId)
    .execute();
  return token;
}

/**
 * At the ingress's start (with CTI_DOMAIN set, the host-label form served): one warning per tenant whose host label
 * has no allowlist, so a configuration saved before the refusal (or with allowAnyOrigin) is not forgotten. Never throws.
 */
export async function warnOpenHostLabels(
  db: Kysely<Database>,
  logger: { warn(fields: Record<string, unknown>, message: string): void },
): Promise<number> {
  const open = await listOpenHostLabels(db);
  for (const { empresaId, hostLabel } of open) {
    logger.warn(
      { empresaId, hostLabel },
      'cti: host label without an allowlist accepts call events from any address that knows the label; set the PBX addresses (integrador cti configure <empresaId> --allow …) or use the /t/<token>/ path',
    );
  }
  return open.length;
}
