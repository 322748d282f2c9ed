import { type Database, whereReadableBy } from '@integrador/store';
import type { Kysely } from 'kysely';
import { withWallClocks } from './crm-wall-clock';
import { type Gatilho, isConcluida, tableOf, type WebhookTable } from './gatilhos';
import { dateText, dateTimeText, fromDados, idText, jsonObject, text } from './payload-format';
import {
  agendamentoOf,
  assinaturasOf,
  basesLegaisOf,
  contatosOf,
  cursoOf,
  cursosOf,
  dateTimeOf,
  deficienciasOf,
  flagOf,
  origensOf,
  phoneListOf,
  phoneOf,
  refOf,
  statusLabelOf,
  tagsOf,
  textListOf,
  textOf,
  tipoEventoOf,
} from './payload-shapes';
import { keptCriacao } from './record-dates.repository';

// Seed 004's four structures, built from the CRM rows. A field comes from its column when the CRM has one, else from
// the row's `dados` JSON under the seed's own name (what seed 003's endpoints and the CRM put there), else null; every
// field typed as seed 004's example has it (payload-shapes.ts), whichever form `dados` stored it in.
// The builders are pure (row + references → payload) so the test button sends a sample through the same code.

type Row = Record<string, unknown>;

/** What a payload refers to besides its own row: the responsible user, the contato, the account's contatos. */
export interface PayloadRefs {
  usuario?: { id: unknown; nome: unknown; email: unknown } | undefined;
  contato?: { id: unknown; codigo: unknown } | undefined;
  contatosDaConta?: { id: unknown; codigo: unknown }[] | undefined;
  /** The change being published: its gatilho and when it happened (an oportunidade's dates fall back to it). */
  mudanca?: { gatilho: Gatilho; em: Date } | undefined;
  /** The dates the record's latest earlier body carried: a body is the record's whole state, so it keeps them. */
  anterior?: { criacao: string | null; ultimaAlteracaoStatus: string | null } | undefined;
}

const responsavel = (refs: PayloadRefs) =>
  refs.usuario ? { id: idText(refs.usuario.id), nome: text(refs.usuario.nome), email: text(refs.usuario.email) } : null;
const contatoRef = (refs: PayloadRefs) => (refs.contato ? { id: idText(refs.contato.id), codigo: text(refs.contato.codigo) } : null);

/** Secondary e-mails or phones: seed 003's plain list, or seed 004's `{secundarios}` as the CRM stores it. */
function secundariosOf(value: unknown): string[] | null {
  if (Array.isArray(value)) return textListOf(value);
  return value !== null && typeof value === 'object' ? textListOf((value as Row).secundarios) : null;
}

/** Seed 004's contato: every field typed as the seed's example (payload-shapes.ts). */
export function contatoPayload(row: Row): Row {
  const d = jsonObject(row.dados as string | null);
  const celular = text(row.celular);
  const telefone = text(row.telefone);
  const field = (name: string) => fromDados(d, name);
  const str = (name: string) => textOf(field(name));
  return {
    id: idText(row.id),
    codigo: text(row.codigo),
    nome: text(row.nome),
    nomeSocial: str('nomeSocial'),
    imagem: str('imagem'),
    cpf: text(row.cpf) ?? str('cpf'),
    dataNascimento: dateText(row.data_nascimento as string | null),
    endereco: str('endereco'),
    numero: str('numero'),
    bairro: str('bairro'),
    cidade: str('cidade'),
    uf: str('uf'),
    genero: str('genero'),
    canhoto: flagOf(field('canhoto')),
    profissao: str('profissao') ?? text(row.cargo),
    aluno: flagOf(field('aluno')),
    exaluno: flagOf(field('exaluno')),
    anoFormacao: str('anoFormacao'),
    estadoCivil: refOf(field('estadoCivil')),
    cor: refOf(field('cor')),
    grauInstrucao: refOf(field('grauInstrucao')),
    outrasDeficiencias: str('outrasDeficiencias'),
    deficiencias: deficienciasOf(field('deficiencias')),
    origens: origensOf(d),
    emails: { principal: text(row.email), secundarios: secundariosOf(field('emails')) },
    telefones: {
      principal: phoneOf(telefone ?? celular),
      secundarios: phoneListOf(secundariosOf(field('telefones')) ?? (telefone && celular ? [celular] : null)),
    },
    tagsRDStation: tagsOf(field('tagsRDStation')),
    camposPersonalizados: jsonObject(row.campos_personalizados as string | null),
    assinaturas: assinaturasOf(field('assinaturas')),
    basesLegais: basesLegaisOf(d),
  };
}

/**
 * The `criacao` an oportunidade's creation body carries: `dados.criacao` when the CRM stores one, else when the creation
 * was published (`em`); null when neither is known. publishChange keeps it (webhook_registros) for later bodies.
 */
export function creationDateOf(row: Row, em: Date | undefined): string | null {
  return dateTimeOf(fromDados(jsonObject(row.dados as string | null), 'criacao')) ?? (em ? dateTimeText(em) : null);
}

/** Seed 004's registro de processo (an oportunidade). */
export function oportunidadePayload(row: Row, refs: PayloadRefs): Row {
  const d = jsonObject(row.dados as string | null);
  const field = (name: string) => fromDados(d, name);
  const str = (name: string) => textOf(field(name));
  const ref = (name: string) => refOf(field(name));
  // The CRM links an oportunidade to a conta: its contatos, the oldest as the principal one, unless `dados` says who.
  const contatos =
    contatosOf(field('contatos')) ??
    (refs.contatosDaConta?.length
      ? refs.contatosDaConta.map((c, i) => ({ id: idText(c.id), codigo: text(c.codigo), principal: i === 0 ? '1' : '0', tipo: null }))
      : null);
  // The hub knows when the change happened: a creation is the oportunidade's criacao (the table has no creation
  // column), a status change its ultimaAlteracaoStatus, when `dados` does not say; the other date is the one the
  // record's earlier body sent (a receiver upserting bodies must not have a status change wipe its criacao).
  const changedAt = (gatilho: Gatilho) => (refs.mudanca?.gatilho === gatilho ? dateTimeText(refs.mudanca.em) : null);
  return {
    id: idText(row.id),
    processo: ref('processo'),
    contatos,
    cursos: cursosOf(field('cursos')),
    responsavel: responsavel(refs),
    criacao: dateTimeOf(field('criacao')) ?? changedAt('oportunidade.criada') ?? refs.anterior?.criacao ?? null,
    origem: ref('origem'),
    modalidade: ref('modalidade'),
    dataAtividade: dateTimeOf(field('dataAtividade')),
    compareceuAtividade: flagOf(field('compareceuAtividade')),
    notaEnem: str('notaEnem'),
    formaIngresso: str('formaIngresso'),
    resumoAtual: ref('resumoAtual'),
    localOferta: ref('localOferta'),
    unidade: ref('unidade'),
    status: statusLabelOf(row.status),
    ultimaAlteracaoStatus:
      dateTimeOf(field('ultimaAlteracaoStatus')) ??
      changedAt('oportunidade.status_alterado') ??
      refs.anterior?.ultimaAlteracaoStatus ??
      null,
    objecao: ref('objecao'),
    observacaoPerda: str('observacaoPerda'),
    concorrente: ref('concorrente'),
    camposPersonalizados: jsonObject(row.campos_personalizados as string | null),
  };
}

/** Seed 004's atividade. */
export function atividadePayload(row: Row, refs: PayloadRefs): Row {
  const d = jsonObject(row.dados as string | null);
  const field = (name: string) => fromDados(d, name);
  return {
    id: idText(row.id),
    contato: contatoRef(refs),
    vencimento: dateTimeText((row.fim ?? row.inicio) as string | null),
    duracao: textOf(field('duracao')),
    descricao: text(row.descricao) ?? text(row.assunto),
    registroProcesso: textOf(field('registroProcesso')) ?? refOf(field('registroProcesso'))?.id ?? null,
    curso: cursoOf(d),
    responsavel: responsavel(refs),
    resumoAtual: refOf(field('resumoAtual')),
    concluido: isConcluida(row.status as string | null) ? '1' : '0',
    formaContato: textOf(field('formaContato')),
  };
}

/** Seed 004's evento. */
export function eventoPayload(row: Row, refs: PayloadRefs): Row {
  const d = jsonObject(row.dados as string | null);
  const field = (name: string) => fromDados(d, name);
  // Seed 003's `data` (the evento's own date: the prova, the entrevista) is when it is scheduled; its dataVencimento
  // belongs to an atividade the evento may generate, so it stands in only when there is no data.
  const agendado = dateTimeText(row.data as string | null) ?? dateTimeText(row.data_vencimento as string | null);
  return {
    id: idText(row.id),
    tipo: tipoEventoOf(field('tipo')) ?? { id: null, codigo: null, nome: text(row.tipo) },
    descricao: text(row.descricao),
    contato: contatoRef(refs) ?? (row.cod_contato ? { id: null, codigo: text(row.cod_contato) } : null),
    contatosSecundarios: textListOf(field('contatosSecundarios')),
    curso: cursoOf(d),
    dataAgendamento: agendamentoOf(field('dataAgendamento')) ?? (agendado ? { data: agendado, tipo: null } : null),
  };
}

async function usuarioOf(db: Kysely<Database>, empresaId: number, id: unknown) {
  if (id === null || id === undefined) return undefined;
  return db
    .selectFrom('usuarios')
    .select(['id', 'nome', 'email'])
    .where('empresa_id', '=', empresaId)
    .where('id', '=', Number(id))
    .executeTakeFirst();
}

async function contatoOf(db: Kysely<Database>, empresaId: number, id: unknown) {
  if (id === null || id === undefined) return undefined;
  return db
    .selectFrom('contatos')
    .select(['id', 'codigo'])
    .where('empresa_id', '=', empresaId)
    .where('id', '=', Number(id))
    .executeTakeFirst();
}

async function contatosDaConta(db: Kysely<Database>, empresaId: number, contaId: unknown) {
  if (contaId === null || contaId === undefined) return undefined;
  return db
    .selectFrom('contatos')
    .select(['id', 'codigo'])
    .where('empresa_id', '=', empresaId)
    .where('conta_id', '=', Number(contaId))
    .orderBy('id')
    .limit(50)
    .execute();
}

/**
 * The criacao and ultimaAlteracaoStatus the oportunidade's earlier bodies sent: its latest stored body's, the criacao
 * else as kept when its creation was published (webhook_registros: the bodies go with the retention purge, the kept
 * date does not); undefined when none was sent (null in the body then: "not available", seed 004).
 */
async function datasAnteriores(db: Kysely<Database>, empresaId: number, id: unknown) {
  const last = await latestBodyDates(db, empresaId, id);
  const kept = last?.criacao ? undefined : await keptCriacao(db, empresaId, 'oportunidades', String(id));
  if (!last && kept === undefined) return undefined;
  return { criacao: last?.criacao ?? kept ?? null, ultimaAlteracaoStatus: last?.ultimaAlteracaoStatus ?? null };
}

/** The criacao and ultimaAlteracaoStatus the oportunidade's latest stored body sent; undefined when none is stored. */
async function latestBodyDates(db: Kysely<Database>, empresaId: number, id: unknown) {
  const row = await db
    .selectFrom('webhook_mensagens')
    .select('payload')
    .where('empresa_id', '=', empresaId)
    .where('tabela', '=', 'oportunidades')
    .where('registro_id', '=', String(id))
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  try {
    const [body] = JSON.parse(row.payload) as Row[];
    const dateOf = (value: unknown) => (typeof value === 'string' ? value : null);
    return { criacao: dateOf(body?.criacao), ultimaAlteracaoStatus: dateOf(body?.ultimaAlteracaoStatus) };
  } catch {
    return undefined;
  }
}

/** The row of a webhook table (bound to the tenant), its zone-less dates as the CRM wrote them; undefined when gone. */
export async function loadTableRow(
  db: Kysely<Database>,
  empresaId: number,
  table: WebhookTable,
  registroId: string | number,
  filialId: number | null = null,
) {
  const id = Number(registroId);
  if (!Number.isSafeInteger(id)) return undefined;
  // The filial rule of packages/store (the one a SET run's tenant binding applies): a filial caller sees its filial's
  // rows and the empresa-wide ones only.
  const row = (await db
    .selectFrom(table)
    .selectAll()
    .where('empresa_id', '=', empresaId)
    .where('id', '=', id)
    .where(whereReadableBy({ empresaId, filialId }))
    .executeTakeFirst()) as Row | undefined;
  return row && withWallClocks(db, table, row);
}

/** Seed 004's payload of a change (a JSON array of one structure), or undefined when its row is gone. */
export async function buildPayload(
  db: Kysely<Database>,
  empresaId: number,
  gatilho: Gatilho,
  registroId: string | number,
): Promise<Row[] | undefined> {
  const row = await loadTableRow(db, empresaId, tableOf(gatilho), registroId);
  return row && payloadOfRow(db, empresaId, gatilho, row);
}

/** Seed 004's payload of a loaded row: the structure of the gatilho's table, with the rows it refers to. */
export async function payloadOfRow(db: Kysely<Database>, empresaId: number, gatilho: Gatilho, row: Row, em?: Date): Promise<Row[]> {
  switch (tableOf(gatilho)) {
    case 'contatos':
      return [contatoPayload(row)];
    case 'oportunidades':
      return [
        oportunidadePayload(row, {
          usuario: await usuarioOf(db, empresaId, row.usuario_id),
          contatosDaConta: await contatosDaConta(db, empresaId, row.conta_id),
          mudanca: em && { gatilho, em },
          anterior: await datasAnteriores(db, empresaId, row.id),
        }),
      ];
    case 'atividades':
      return [
        atividadePayload(row, {
          usuario: await usuarioOf(db, empresaId, row.usuario_id),
          contato: await contatoOf(db, empresaId, row.contato_id),
        }),
      ];
    case 'eventos':
      return [eventoPayload(row, { contato: await contatoOf(db, empresaId, row.contato_id) })];
  }
}
