import { type Static, type TSchema, Type } from '@sinclair/typebox';

// Annotations read when a value is rejected: `x-expected` is the sentence after "expected" (`x-expected-pt` the same
// in pt-BR, after "esperado"), `x-secret` keeps the received value out of the message.

/** The `x-expected` phrase and its pt-BR twin (every `x-expected` has one; a test checks it). */
export interface Expected {
  'x-expected': string;
  'x-expected-pt': string;
}

function expected(en: string, pt: string): Expected {
  return { 'x-expected': en, 'x-expected-pt': pt };
}

export const DATABASE_DRIVERS = ['postgres', 'mysql', 'mssql', 'oracle', 'firebird', 'sqlite', 'odbc'] as const;
export type DatabaseDriver = (typeof DATABASE_DRIVERS)[number];

/** One `enum` keyword rather than a union of literals, so ajv reports one error instead of one per member. */
function StringEnum<T extends string>(values: readonly T[]) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...expected(`one of ${values.join(', ')}`, `um de ${values.join(', ')}`) });
}

/** A oneOf that ajv's `discriminator` validates against the matching branch only (clear errors, no branch noise). */
function TaggedUnion<T extends TSchema[]>(tag: string, branches: [...T], said: Expected) {
  return Type.Unsafe<Static<T[number]>>({
    type: 'object',
    discriminator: { propertyName: tag },
    oneOf: branches,
    ...said,
    'x-secret': true,
  });
}

const NonEmpty = (said = expected('a non-empty string', 'um texto não vazio')) => Type.String({ minLength: 1, ...said });
// YAML reads an unquoted 0123 as a number, hence the hint.
const SecretText = Type.String({
  minLength: 1,
  'x-secret': true,
  ...expected('a non-empty string (quote it if it looks like a number)', 'um texto não vazio (entre aspas se parecer um número)'),
});
const HttpUrl = Type.String({ pattern: '^https?://[^\\s/?#]+\\S*$', ...expected('an http(s) URL', 'uma URL http(s)') });
const TimeoutMs = Type.Integer({
  minimum: 1,
  maximum: 600_000,
  ...expected('milliseconds from 1 to 600000', 'milissegundos de 1 a 600000'),
});
const EmpresaId = Type.Integer({ minimum: 1, ...expected('a positive integer (the empresa id)', 'um inteiro positivo (o id da empresa)') });
// Off by default so an integration row cannot aim the worker at internal services (cloud metadata, the hub's own Redis…).
const AllowPrivateNetwork = Type.Boolean(expected('true or false', 'true ou false'));
// A SET push's retries of transient failures on this connection (default 12 attempts from 2 s, doubling, at most 5 min).
const Retry = Type.Object(
  {
    attempts: Type.Integer({
      minimum: 1,
      maximum: 25,
      ...expected('an integer from 1 to 25 (attempts in all)', 'um inteiro de 1 a 25 (tentativas ao todo)'),
    }),
    backoffMs: Type.Integer({
      minimum: 100,
      maximum: 3_600_000,
      ...expected(
        'milliseconds from 100 to 3600000 (the first wait; each next one doubles)',
        'milissegundos de 100 a 3600000 (a primeira espera; cada seguinte dobra)',
      ),
    }),
    maxDelayMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 86_400_000,
        ...expected(
          'milliseconds from 100 to 86400000 (the longest wait between two attempts)',
          'milissegundos de 100 a 86400000 (a maior espera entre duas tentativas)',
        ),
      }),
    ),
  },
  {
    additionalProperties: false,
    ...expected('a mapping with attempts, backoffMs and optionally maxDelayMs', 'um mapa com attempts, backoffMs e, opcional, maxDelayMs'),
  },
);

export const WebServiceEntry = Type.Object(
  {
    tipo: Type.Literal('webservice'),
    baseUrl: HttpUrl,
    user: NonEmpty(),
    password: SecretText,
    encryption: Type.Optional(
      Type.Integer({
        minimum: 0,
        ...expected('a non-negative integer (0 = no encryption)', 'um inteiro não negativo (0 = sem criptografia)'),
      }),
    ),
    timeoutMs: Type.Optional(TimeoutMs),
    empresaId: Type.Optional(EmpresaId),
    allowPrivateNetwork: Type.Optional(AllowPrivateNetwork),
    retry: Type.Optional(Retry),
  },
  { additionalProperties: false },
);

export const DatabaseEntry = Type.Object(
  {
    tipo: Type.Literal('database'),
    driver: StringEnum(DATABASE_DRIVERS),
    url: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z][A-Za-z0-9+.-]*:\\S+$',
        'x-secret': true,
        ...expected(
          'a database URL such as postgres://user:password@host:5432/db',
          'uma URL de banco como postgres://user:password@host:5432/db',
        ),
      }),
    ),
    // driver odbc: the whole ODBC connection string (its PWD too) is a secret; or a DSN of odbc.ini.
    connectionString: Type.Optional(
      Type.String({
        minLength: 1,
        'x-secret': true,
        ...expected(
          'an ODBC connection string such as DRIVER={…};SERVER=…;UID=…;PWD=…',
          'uma connection string ODBC como DRIVER={…};SERVER=…;UID=…;PWD=…',
        ),
      }),
    ),
    dsn: Type.Optional(NonEmpty(expected('a data source name of odbc.ini', 'um nome de fonte de dados do odbc.ini'))),
    host: Type.Optional(NonEmpty(expected('a host name or address', 'um nome de host ou endereço'))),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, ...expected('an integer from 1 to 65535', 'um inteiro de 1 a 65535') })),
    database: Type.Optional(
      NonEmpty(expected('a database name (the file path for sqlite)', 'um nome de banco (o caminho do arquivo para sqlite)')),
    ),
    user: Type.Optional(NonEmpty()),
    password: Type.Optional(SecretText),
    options: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), expected('a mapping of driver options', 'um mapa de opções do driver')),
    ),
    empresaId: Type.Optional(EmpresaId),
    allowPrivateNetwork: Type.Optional(AllowPrivateNetwork),
    retry: Type.Optional(Retry),
  },
  { additionalProperties: false },
);

const NoneAuth = Type.Object({ type: Type.Literal('none') }, { additionalProperties: false });
const BasicAuth = Type.Object({ type: Type.Literal('basic'), user: NonEmpty(), password: SecretText }, { additionalProperties: false });
const BearerAuth = Type.Object({ type: Type.Literal('bearer'), token: SecretText }, { additionalProperties: false });
// For APIs that take a key in a header of their own (X-Api-Key…): `headers` are not secret, this is.
const HeaderAuth = Type.Object(
  { type: Type.Literal('header'), name: NonEmpty(expected('a header name', 'um nome de cabeçalho')), value: SecretText },
  { additionalProperties: false },
);

export const ApiEntry = Type.Object(
  {
    tipo: Type.Literal('api'),
    baseUrl: HttpUrl,
    auth: Type.Optional(
      TaggedUnion(
        'type',
        [NoneAuth, BasicAuth, BearerAuth, HeaderAuth],
        expected('an object with type none, basic, bearer or header', 'um objeto com type none, basic, bearer ou header'),
      ),
    ),
    headers: Type.Optional(
      Type.Record(
        Type.String(),
        Type.String(expected('a string', 'um texto')),
        expected('a mapping of header names to strings', 'um mapa de nomes de cabeçalho para textos'),
      ),
    ),
    timeoutMs: Type.Optional(TimeoutMs),
    empresaId: Type.Optional(EmpresaId),
    allowPrivateNetwork: Type.Optional(AllowPrivateNetwork),
    retry: Type.Optional(Retry),
  },
  { additionalProperties: false },
);

export type WebServiceEntry = Static<typeof WebServiceEntry>;
export type DatabaseEntry = Static<typeof DatabaseEntry>;
export type ApiEntry = Static<typeof ApiEntry>;
