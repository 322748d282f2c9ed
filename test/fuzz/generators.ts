/** Inputs for the OpenAPI fuzz suite: a seeded PRNG, values shaped by a JSON Schema, and hostile values of every kind. */

/** mulberry32: small, fast and reproducible (FUZZ_SEED replays a run). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
export const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

/** A JSON Schema as @fastify/swagger writes it (the parts the generator reads). */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  additionalProperties?: boolean | Schema;
  default?: unknown;
}

/** Strings no parser, database or key space should choke on. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%00',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '../../etc/passwd',
  '..\\..\\windows',
  "' OR 1=1 --",
  "'; DROP TABLE integracao; --",
  '#id#',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret-reference lookalike, hostile on purpose
  '${HOME}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\u202e\u0644\u0627',
  '😀'.repeat(50),
  '\ud800',
  'ñ'.repeat(300),
  'x'.repeat(10_000),
  'x'.repeat(300_000),
  'events',
  'failed',
  'stalled-check',
  'repeat:x:1',
  'de:x',
  'meta',
  '__proto__',
  'constructor',
  'null',
  'true',
  '-1',
  '0',
  '1e309',
  'NaN',
  '2147483648',
  '9007199254740993',
  '99999999999999999999999',
  'http://127.0.0.1:1/%',
  'http://[::ffff:127.0.0.1]/',
  'http://2130706433/',
  'http://0177.0.0.1/',
  'http://localhost./',
  'http://169.254.169.254/latest/meta-data/',
];

/** Values of every JSON type, including the ones schemas forbid. */
export const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2147483648,
  -2147483649,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  [],
  [null],
  {},
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  { constructor: { prototype: { polluted: true } } },
  Array.from({ length: 2000 }, (_, i) => i),
  nest(200),
  ...HOSTILE_STRINGS,
];

function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function typeOf(schema: Schema, random: Random): string | undefined {
  if (Array.isArray(schema.type)) return pick(random, schema.type);
  return schema.type;
}

/** A value that satisfies the schema most of the time (the schema-driven half of the fuzz). */
export function valid(schema: Schema | undefined, random: Random, depth = 0): unknown {
  if (!schema || depth > 6) return undefined;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return pick(random, schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return valid(pick(random, alternatives), random, depth + 1);
  if (schema.default !== undefined && random() < 0.2) return schema.default;
  switch (typeOf(schema, random)) {
    case 'integer': {
      const min = schema.minimum ?? 0;
      const max = Math.min(schema.maximum ?? min + 1000, min + 1000);
      return min + Math.floor(random() * (max - min + 1));
    }
    case 'number':
      return (schema.minimum ?? 0) + random() * 100;
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    case 'array': {
      const n = Math.floor(random() * 3);
      return Array.from({ length: n }, () => valid(schema.items, random, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || random() < 0.5) out[key] = valid(property, random, depth + 1);
      }
      return out;
    }
    default: {
      const length = Math.max(schema.minLength ?? 1, Math.min(schema.maxLength ?? 12, 12));
      return Array.from({ length }, () => pick(random, 'abcdefghijklmnopqrstuvwxyz0123456789'.split(''))).join('');
    }
  }
}

/** A copy of a valid value with one part made hostile: a field replaced, removed, added or its type changed. */
export function mutate(value: unknown, random: Random): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || random() < 0.15) return pick(random, HOSTILE_VALUES);
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = random();
  if (roll < 0.15 && keys.length) delete copy[pick(random, keys)];
  else if (roll < 0.3) copy[pick(random, ['extra', '__proto__', 'constructor', 'a'.repeat(300), '\u0000'])] = pick(random, HOSTILE_VALUES);
  else if (keys.length) {
    const key = pick(random, keys);
    copy[key] = random() < 0.3 ? mutate(copy[key], random) : pick(random, HOSTILE_VALUES);
  } else copy.extra = pick(random, HOSTILE_VALUES);
  return copy;
}
