import type { MessageParams } from '@integrador/i18n';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ApiEntry, DatabaseEntry, WebServiceEntry } from './connections-schema';
import { type ConnectionsProblemCode, problemText } from './messages';
import type { ConnectionKind } from './tipo-conexao';

export interface FieldProblem {
  field: string;
  message: string;
  code?: ConnectionsProblemCode;
  params?: MessageParams;
}

interface Annotated {
  'x-expected'?: string;
  'x-expected-pt'?: string;
  'x-secret'?: boolean;
  properties?: Record<string, { const?: unknown }>;
  oneOf?: Annotated[];
}

const SCHEMAS = { webservice: WebServiceEntry, database: DatabaseEntry, api: ApiEntry };
const validators = new Map<ConnectionKind, ValidateFunction>();
let ajv: Ajv | undefined;

/** Compiled on first use: compiling costs start-up time to processes that never read a connections file. */
function validatorFor(kind: ConnectionKind): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    if (!ajv) {
      ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true });
      ajv.addVocabulary(['x-expected', 'x-expected-pt', 'x-secret']);
    }
    validate = ajv.compile(SCHEMAS[kind]);
    validators.set(kind, validate);
  }
  return validate;
}

/** Validates an entry (tipo already normalized) against its kind's schema; at most one problem per field. */
export function validateEntry(kind: ConnectionKind, entry: unknown): FieldProblem[] {
  const validate = validatorFor(kind);
  if (validate(entry)) return [];
  const byField = new Map<string, FieldProblem>();
  for (const error of validate.errors ?? []) {
    const problem = describe(error);
    if (!byField.has(problem.field)) byField.set(problem.field, problem);
  }
  return [...byField.values()];
}

function describe(error: ErrorObject): FieldProblem {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = (...more: string[]) => [...path, ...more].join('.');
  const schema = (error.parentSchema ?? {}) as Annotated;
  switch (error.keyword) {
    case 'required':
      return { field: at(error.params.missingProperty), ...problemText('MISSING_FIELD') };
    case 'additionalProperties':
      return {
        field: at(error.params.additionalProperty),
        ...problemText('UNKNOWN_FIELD', { expected: Object.keys(schema.properties ?? {}).join(', ') }),
      };
    case 'discriminator': {
      const tags = (schema.oneOf ?? []).map((branch) => branch.properties?.[error.params.tag]?.const);
      return {
        field: at(error.params.tag),
        ...problemText('EXPECTED_GOT', {
          expected: `one of ${tags.join(', ')}`,
          expectedPt: `um de ${tags.join(', ')}`,
          ...preview(error.params.tagValue),
        }),
      };
    }
    default: {
      const expected = {
        expected: schema['x-expected'] ?? error.message ?? 'a valid value',
        ...(schema['x-expected-pt'] === undefined ? {} : { expectedPt: schema['x-expected-pt'] }),
      };
      return {
        field: at(),
        ...(schema['x-secret'] ? problemText('EXPECTED', expected) : problemText('EXPECTED_GOT', { ...expected, ...preview(error.data) })),
      };
    }
  }
}

/** The received value as `got` (shortened), or `gotKind` nothing when there is none. */
function preview(value: unknown): { got: string } | { gotKind: 'nothing' } {
  if (value === undefined) return { gotKind: 'nothing' };
  const text = JSON.stringify(value);
  return { got: text.length > 80 ? `${text.slice(0, 77)}...` : text };
}
