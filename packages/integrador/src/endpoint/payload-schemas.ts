import type { TipoEventoEndpoint } from '@integrador/store';

/**
 * Seed 003's attribute types. The seed's own examples send integers and booleans as text ("numero": "342",
 * "canhoto": "0") and "" for dates they do not have, so normalisation (payload-normalize.ts) accepts exactly that before
 * ajv checks the strict types below; nothing else is loosened.
 */
export type FieldKind =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'object'
  | 'objectOrArray'
  | 'date'
  | 'dateTime'
  | 'telefone'
  | 'email'
  | 'cep'
  | 'cpf'
  | 'year'
  | 'emails'
  | 'telefones'
  | 'deficiencias'
  | 'assinaturas';

export interface FieldSpec {
  kind: FieldKind;
  required?: boolean;
  /** The CRM column's size, for texts that land in one. */
  maxLength?: number;
}

/** Seed 003's contato structure. telefonePrincipal / emailPrincipal: at least one (checked by the schema's anyOf). */
export const CONTATO_FIELDS: Record<string, FieldSpec> = {
  codigo: { kind: 'string', required: true, maxLength: 50 },
  nome: { kind: 'string', required: true, maxLength: 200 },
  nomeSocial: { kind: 'string' },
  dataNascimento: { kind: 'date' },
  telefonePrincipal: { kind: 'telefone' },
  emailPrincipal: { kind: 'email', maxLength: 200 },
  emails: { kind: 'emails' },
  telefones: { kind: 'telefones' },
  cpf: { kind: 'cpf' },
  endereco: { kind: 'string' },
  cep: { kind: 'cep' },
  numero: { kind: 'integer' },
  bairro: { kind: 'string' },
  cidade: { kind: 'string' },
  uf: { kind: 'string' },
  genero: { kind: 'string' },
  canhoto: { kind: 'boolean' },
  profissao: { kind: 'string' },
  aluno: { kind: 'boolean' },
  exaluno: { kind: 'boolean' },
  anoFormacao: { kind: 'year' },
  deficiencias: { kind: 'deficiencias' },
  outrasDeficiencias: { kind: 'string' },
  estadoCivil: { kind: 'integer' },
  cor: { kind: 'integer' },
  grauInstrucao: { kind: 'integer' },
  camposPersonalizados: { kind: 'object' },
  baseLegal: { kind: 'integer', required: true },
  assinaturas: { kind: 'assinaturas' },
  origem: { kind: 'integer' },
};

/** Seed 003's evento structure (an event of a contato already in the CRM, found by codContato). */
export const EVENTO_FIELDS: Record<string, FieldSpec> = {
  descricao: { kind: 'string' },
  data: { kind: 'dateTime' },
  codRegistro: { kind: 'string', maxLength: 95 },
  tipoData: { kind: 'string', maxLength: 50 },
  compareceuAtividade: { kind: 'boolean' },
  notaEnem: { kind: 'integer' },
  formaIngresso: { kind: 'string' },
  dataVencimento: { kind: 'dateTime' },
  codContato: { kind: 'string', required: true, maxLength: 50 },
  codOferta: { kind: 'string' },
  codCurso: { kind: 'string' },
  codLocalOferta: { kind: 'string' },
  // The seed's table says array[], its example sends an object: both are accepted and kept as they came.
  camposPersonalizados: { kind: 'objectOrArray' },
  selecionouAgendamento: { kind: 'integer' },
};

export const FIELDS_OF: Record<TipoEventoEndpoint, Record<string, FieldSpec>> = { contato: CONTATO_FIELDS, evento: EVENTO_FIELDS };

/** The formats seed 003 writes as "Padrão: …", as a reader sees them in a message. */
export const FORMAT_PATTERNS: Record<string, string> = {
  data: 'YYYY-MM-DD',
  'data-hora': 'YYYY-MM-DD hh:mm:ss',
  telefone: 'xx(xx) xxxxxxxxx',
  cep: 'xxxxx-xxx',
  cpf: 'xxxxxxxxxxx (11 dígitos)',
  email: 'nome@dominio',
};

const integer = { type: 'integer' };
const text = (max?: number) => ({ type: 'string', ...(max ? { maxLength: max } : {}) });

function propertySchema(spec: FieldSpec): Record<string, unknown> {
  switch (spec.kind) {
    case 'string':
      return text(spec.maxLength);
    case 'integer':
      return integer;
    case 'boolean':
      return { type: 'boolean' };
    case 'object':
      return { type: 'object' };
    case 'objectOrArray':
      return { type: ['object', 'array'] };
    case 'date':
      return { type: 'string', format: 'data' };
    case 'dateTime':
      return { type: 'string', format: 'data-hora' };
    case 'telefone':
      return { type: 'string', format: 'telefone' };
    case 'email':
      return { type: 'string', format: 'email', ...(spec.maxLength ? { maxLength: spec.maxLength } : {}) };
    case 'cep':
      return { type: 'string', format: 'cep' };
    case 'cpf':
      return { type: 'string', format: 'cpf' };
    case 'year':
      return { type: 'integer', minimum: 1900, maximum: 2100 };
    case 'emails':
      return { type: 'array', items: { type: 'string', format: 'email' } };
    case 'telefones':
      return { type: 'array', items: { type: 'string', format: 'telefone' } };
    case 'deficiencias':
      return {
        type: 'array',
        items: { type: 'object', required: ['id'], properties: { id: integer, tipos: { type: 'array', items: integer } } },
      };
    case 'assinaturas':
      return { type: 'array', items: { type: 'object', required: ['id'], properties: { id: integer } } };
  }
}

/** The JSON Schema (for ajv) of one structure; attributes the seed does not list are ignored, not refused. */
export function structureSchema(tipo: TipoEventoEndpoint): Record<string, unknown> {
  const fields = FIELDS_OF[tipo];
  const schema: Record<string, unknown> = {
    type: 'object',
    required: Object.entries(fields)
      .filter(([, spec]) => spec.required)
      .map(([name]) => name),
    properties: Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, propertySchema(spec)])),
  };
  if (tipo === 'contato') schema.anyOf = [{ required: ['telefonePrincipal'] }, { required: ['emailPrincipal'] }];
  return schema;
}
