import { type Static, type TSchema, Type } from '@sinclair/typebox';

// Annotations read when a value is rejected: `x-expected` is the sentence after "expected",
// `x-secret` keeps the received value out of the message.

export const DATABASE_DRIVERS = ['postgres', 'mysql', 'mssql', 'oracle', 'firebird', 'sqlite', 'odbc'] as const;
export type DatabaseDriver = (typeof DATABASE_DRIVERS)[number];

/** One `enum` keyword rather than a union of literals, so ajv reports one error instead of one per member. */
function StringEnum<T extends string>(values: readonly T[]) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], 'x-expected': `one of ${values.join(', ')}` });
}

/** A oneOf that ajv's `discriminator` validates against the matching branch only (clear errors, no branch noise). */
function TaggedUnion<T extends TSchema[]>(tag: string, branches: [...T], expected: string) {
  return Type.Unsafe<Static<T[number]>>({
    type: 'object',
    discriminator: { propertyName: tag },
    oneOf: branches,
    'x-expected': expected,
    'x-secret': true,
  });
}

const NonEmpty = (expected = 'a non-empty string') => Type.String({ minLength: 1, 'x-expected': expected });
// YAML reads an unquoted 0123 as a number, hence the hint.
const SecretText = Type.String({ minLength: 1, 'x-secret': true, 'x-expected': 'a non-empty string (quote it if it looks like a number)' });
const HttpUrl = Type.String({ pattern: '^https?://[^\\s/?#]+\\S*$', 'x-expected': 'an http(s) URL' });
const TimeoutMs = Type.Integer({ minimum: 1, maximum: 600_000, 'x-expected': 'milliseconds from 1 to 600000' });
const EmpresaId = Type.Integer({ minimum: 1, 'x-expected': 'a positive integer (the empresa id)' });
// Off by default so an integration row cannot aim the worker at internal services (cloud metadata, the hub's own Redis…).
const AllowPrivateNetwork = Type.Boolean({ 'x-expected': 'true or false' });
// A SET push's retries of transient failures on this connection (default 6 attempts from 2 s, doubling).
const Retry = Type.Object(
  {
    attempts: Type.Integer({ minimum: 1, maximum: 25, 'x-expected': 'an integer from 1 to 25 (attempts in all)' }),
    backoffMs: Type.Integer({
      minimum: 100,
      maximum: 3_600_000,
      'x-expected': 'milliseconds from 100 to 3600000 (the first wait; each next one doubles)',
    }),
  },
  { additionalProperties: false, 'x-expected': 'a mapping with attempts and backoffMs' },
);

export const WebServiceEntry = Type.Object(
  {
    tipo: Type.Literal('webservice'),
    baseUrl: HttpUrl,
    user: NonEmpty(),
    password: SecretText,
    encryption: Type.Optional(Type.Integer({ minimum: 0, 'x-expected': 'a non-negative integer (0 = no encryption)' })),
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
        'x-expected': 'a database URL such as postgres://user:password@host:5432/db',
      }),
    ),
    // driver odbc: the whole ODBC connection string (its PWD too) is a secret; or a DSN of odbc.ini.
    connectionString: Type.Optional(
      Type.String({ minLength: 1, 'x-secret': true, 'x-expected': 'an ODBC connection string such as DRIVER={…};SERVER=…;UID=…;PWD=…' }),
    ),
    dsn: Type.Optional(NonEmpty('a data source name of odbc.ini')),
    host: Type.Optional(NonEmpty('a host name or address')),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, 'x-expected': 'an integer from 1 to 65535' })),
    database: Type.Optional(NonEmpty('a database name (the file path for sqlite)')),
    user: Type.Optional(NonEmpty()),
    password: Type.Optional(SecretText),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { 'x-expected': 'a mapping of driver options' })),
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
  { type: Type.Literal('header'), name: NonEmpty('a header name'), value: SecretText },
  { additionalProperties: false },
);

export const ApiEntry = Type.Object(
  {
    tipo: Type.Literal('api'),
    baseUrl: HttpUrl,
    auth: Type.Optional(
      TaggedUnion('type', [NoneAuth, BasicAuth, BearerAuth, HeaderAuth], 'an object with type none, basic, bearer or header'),
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ 'x-expected': 'a string' }), { 'x-expected': 'a mapping of header names to strings' }),
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
