import { parseConnections } from '@integrador/connections';
import { createLogger } from '@integrador/logging';
import { createEmpresa, createFilial, createServicoEndpoint, issueApiKey } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { startTestIngress, type TestIngress } from '../support/test-ingress';
import { HOSTILE_STRINGS, HOSTILE_VALUES, mutate, pick, prng, type Random, type Schema, valid } from './generators';

const LONG = process.env.FUZZ_LONG === '1';
const PER_ROUTE = LONG ? 1500 : 60;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const _logger = createLogger({ name: 'fuzz', level: 'silent' });
// biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} secret reference of the connections file
const PASSWORD_REF = '${FUZZ_PASSWORD}';

/** encodeURIComponent, or for a lone surrogate (which it refuses) the bytes of one: invalid UTF-8 in the URL, on purpose. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

/** What a body may never show: stack frames, source paths, driver or Redis internals. */
const LEAKS =
  /\n\s+at |node_modules|\/work\/|\/home\/|\.ts:\d+|\.js:\d+|ReplyError|WRONGTYPE|out of range for type|syntax error at|SQLITE_|\bER_[A-Z_]+|ECONNREFUSED 127/;

interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string; required?: boolean; schema?: Schema }[];
  body?: Schema;
}

interface Outcome {
  route: string;
  request: string;
  status: number;
  body: string;
}

/** Every operation of the OpenAPI document, plus the hidden operational routes. */
function operations(document: {
  paths: Record<
    string,
    Record<string, { parameters?: Operation['parameters']; requestBody?: { content?: Record<string, { schema?: Schema }> } }>
  >;
}): Operation[] {
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      found.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) found.push({ method: 'GET', path, parameters: [] });
  return found;
}

/**
 * Walks the ingress's own OpenAPI document — so routes other branches add are fuzzed without touching this file — and
 * sends each operation schema-shaped and hostile inputs (path tricks, ids out of range, BullMQ key names, bad
 * percent-encoding, NUL and unicode, huge and wrongly typed values, broken JSON, odd headers), on a PostgreSQL CRM and
 * a real Redis. No answer may be a 500, leak a stack trace or internal path, or be an error without the error body.
 */
describe('OpenAPI fuzz of the ingress', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let ingress: TestIngress;
  const keys: string[] = [];
  const known: Record<string, string[]> = { id: [], queue: ['set', 'get', 'cti', 'webhook'], name: ['erp_pg', 'ws_senior', 'nope'] };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const connections = parseConnections(
      JSON.stringify({
        connections: {
          erp_pg: { tipo: 'database', driver: 'postgres', url: 'postgres://u@127.0.0.1:1/x' },
          ws_senior: { tipo: 'webservice', baseUrl: 'http://127.0.0.1:1/g5-senior-services', user: 'u', password: PASSWORD_REF },
        },
      }),
      'json',
      { FUZZ_PASSWORD: 'fuzz-secret' },
      'fuzz',
    );
    ingress = await startTestIngress(database, {
      deps: {
        connections,
        endpoints: { limits: { maxRecords: 10, timeoutMs: 500, maxResponseBytes: 1 << 16 }, env: {}, validateTimeoutMs: 500 },
      },
    });
    ({ app } = ingress);
    const a = await createEmpresa(database.db, 'Fuzz A');
    const b = await createEmpresa(database.db, 'Fuzz B');
    keys.push(
      await issueApiKey(database.db, a, null, 'a'),
      await issueApiKey(database.db, a, await createFilial(database.db, a, 'F2'), 'a2'),
    );
    keys.push(await issueApiKey(database.db, b, null, 'b'));
    await database.db
      .insertInto('integracao')
      .values([
        {
          nome: 'SET-F',
          tipo_servico: 'SET',
          empresa_id: a,
          empresa_filial_id: null,
          ordem: 1,
          tabela: 'contas',
          sql_consulta: 'SELECT id FROM contas WHERE id = #id#',
        },
        { nome: 'GET-F', tipo_servico: 'GET', empresa_id: a, empresa_filial_id: null, ordem: 2, tabela: 'contas' },
        { nome: 'INFO-F', tipo_servico: 'INFO', empresa_id: a, empresa_filial_id: null, ordem: 3 },
        { nome: 'SET-B', tipo_servico: 'SET', empresa_id: b, empresa_filial_id: null, ordem: 1 },
      ])
      .execute();
    for (const row of await database.db.selectFrom('integracao').select('id').execute()) known.id?.push(String(row.id));
    const servico = await createServicoEndpoint(
      database,
      { empresaId: a, filialId: null },
      {
        nome: 'fuzz',
        urlBase: 'http://127.0.0.1:1',
        autenticacao: 'nenhuma',
        usuario: null,
        segredoRef: null,
        ativo: true,
        eventos: [{ tipo: 'contato', url: 'http://127.0.0.1:1/c' }],
      },
    );
    known.id?.push(String(servico.id));
    const ping = await app.inject({
      method: 'POST',
      url: '/v1/ping',
      headers: { authorization: `Bearer ${keys[0]}` },
      payload: { queue: 'set' },
    });
    known.jobId = [ping.json().jobId, 'repeat:get-e1-i1:1700000000000'];
  }, 120_000);

  afterAll(async () => {
    await ingress?.close();
    await database?.drop();
  });

  const paramValue = (random: Random, name: string): string => {
    const roll = random();
    const choices = known[name] ?? known[name === 'id' ? 'id' : 'jobId'] ?? [];
    if (roll < 0.4 && choices.length) return encode(pick(random, choices));
    if (roll < 0.5) return pick(random, ['0', '-1', '2147483647', '2147483648', '1e3', '0x10', '01', '1.0', ' 1', '1%20']);
    const hostile = pick(random, HOSTILE_STRINGS).slice(0, 3000);
    // Raw or encoded: a raw '%', '/', '?' or '#' reshapes the URL itself, which is part of the test.
    return random() < 0.5 ? encode(hostile) : hostile.replace(/\s/g, encodeURIComponent).replaceAll(String.fromCharCode(0), '%00');
  };

  const queryString = (random: Random, operation: Operation): string => {
    const parts: string[] = [];
    for (const parameter of operation.parameters.filter((p) => p.in === 'query')) {
      if (random() < 0.5) continue;
      const value = random() < 0.5 ? valid(parameter.schema, random) : pick(random, HOSTILE_VALUES);
      parts.push(`${encode(parameter.name)}=${encode(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))}`);
    }
    if (random() < 0.3)
      parts.push(`${encode(pick(random, HOSTILE_STRINGS).slice(0, 200))}=${pick(random, ['1', '%', '%ZZ', 'a'.repeat(5000), '[]'])}`);
    if (random() < 0.1) parts.push('a=1&a=2&a[]=3&a[b]=4');
    return parts.length ? `?${parts.join('&')}` : '';
  };

  const headersFor = (random: Random): Record<string, string> => {
    const headers: Record<string, string> = {};
    const auth = random();
    if (auth < 0.8) headers.authorization = `Bearer ${pick(random, keys)}`;
    else if (auth < 0.9)
      headers.authorization = pick(random, ['Bearer ', 'Bearer igk_x_y', 'Basic YTpi', `Bearer ${'k'.repeat(5000)}`, 'bearer igk_']);
    if (random() < 0.3) headers['accept-language'] = pick(random, ['en', 'pt-BR', 'xx', '*', 'en;q=bad', 'é'.repeat(100)]);
    if (random() < 0.3) headers['idempotency-key'] = pick(random, ['k1', 'k1', ' ', 'x'.repeat(250), 'ã', '%00', 'a:b']);
    return headers;
  };

  const bodyFor = (random: Random, operation: Operation): { payload?: string; contentType?: string } => {
    if (!['POST', 'PUT', 'PATCH'].includes(operation.method) || random() < 0.1) return {};
    const roll = random();
    if (roll < 0.1)
      return {
        payload: pick(random, ['{', '[]', 'null', '"x"', '{"a":', '\u0000', '{"__proto__":{"x":1}}', '']),
        contentType: 'application/json',
      };
    if (roll < 0.15)
      return {
        payload: 'a=1&b=2',
        contentType: pick(random, [
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'multipart/form-data; boundary=x',
        ]),
      };
    const shaped = valid(operation.body, random);
    const value = roll < 0.55 ? shaped : mutate(shaped, random);
    return {
      payload: JSON.stringify(value) ?? 'null',
      contentType: pick(random, ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON']),
    };
  };

  it(
    'answers every route with no 500, no leak and the error body; oversized bodies 413',
    async () => {
      const document = (await app.inject('/openapi.json')).json();
      const ops = operations(document);
      expect(ops.length).toBeGreaterThan(20);
      const random = prng(SEED);
      const failures: Outcome[] = [];
      const table: Record<string, Record<string, number>> = {};
      let total = 0;
      for (const operation of ops) {
        const route = `${operation.method} ${operation.path}`;
        const counts: Record<string, number> = {};
        table[route] = counts;
        for (let i = 0; i < PER_ROUTE; i++) {
          const url =
            operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => paramValue(random, name)) + queryString(random, operation);
          const { payload, contentType } = bodyFor(random, operation);
          const request: InjectOptions = {
            method: operation.method as InjectOptions['method'],
            url,
            headers: { ...headersFor(random), ...(contentType ? { 'content-type': contentType } : {}) },
            ...(payload !== undefined ? { payload } : {}),
          };
          const res = await app.inject(request);
          total++;
          const klass = `${String(res.statusCode)[0]}xx`;
          counts[klass] = (counts[klass] ?? 0) + 1;
          const record = () =>
            failures.push({
              route,
              request: `${request.method} ${url.slice(0, 200)} ${String(payload ?? '').slice(0, 200)}`,
              status: res.statusCode,
              body: res.body.slice(0, 400),
            });
          if (res.statusCode === 500 || res.statusCode > 503) record();
          else if (LEAKS.test(res.body)) record();
          else if (res.statusCode >= 400 && !/"error":\{"code":"[^"]+","message":"/.test(res.body)) record();
        }
        if (['POST', 'PUT', 'PATCH'].includes(operation.method)) {
          const big = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encode(known[name]?.[0] ?? '1'));
          const res = await app.inject({
            method: operation.method as InjectOptions['method'],
            url: big,
            headers: { authorization: `Bearer ${keys[0]}`, 'content-type': 'application/json' },
            payload: JSON.stringify({ parametros: { x: 'y'.repeat(2 * 1024 * 1024) } }),
          });
          counts['413'] = (counts['413'] ?? 0) + (res.statusCode === 413 ? 1 : 0);
          if (res.statusCode !== 413)
            failures.push({ route, request: 'oversized body (2 MiB)', status: res.statusCode, body: res.body.slice(0, 200) });
        }
      }
      const lines = Object.entries(table).map(
        ([route, counts]) =>
          `  ${route.padEnd(52)} ${Object.entries(counts)
            .map(([k, n]) => `${k}:${n}`)
            .join(' ')}`,
      );
      process.stdout.write(
        `[fuzz] seed ${SEED}, ${total} requests over ${ops.length} routes, ${failures.length} failures\n${lines.join('\n')}\n`,
      );
      // One example per (route, status, error code): the whole list would drown the one that matters.
      const kinds = new Map<string, Outcome>();
      for (const failure of failures) {
        const code = /"code":"([^"]+)"/.exec(failure.body)?.[1] ?? '?';
        const kind = `${failure.route} → ${failure.status} ${code}`;
        if (!kinds.has(kind)) kinds.set(kind, failure);
      }
      expect(Object.fromEntries(kinds)).toEqual({});
      // The ingress is still healthy after all of it.
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    },
    LONG ? 1_800_000 : 120_000,
  );
});
