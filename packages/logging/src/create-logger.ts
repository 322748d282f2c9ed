import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import { REDACT_PATHS, REDACTED, redactSecrets } from './redact';
import { shownRequestTarget } from './request-target';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The deployable's name, e.g. "ingress" or "worker-set". */
  name: string;
  level?: string;
  /** Where lines go; stdout by default (tests pass a stream to read them). */
  destination?: DestinationStream;
  /** Human-readable lines through pino-pretty (LOG_PRETTY=1); JSON, with one warning line, when it is not installed. */
  pretty?: boolean;
}

/** The one pino factory of the fleet: JSON lines, ISO time, secrets redacted by key name and in URLs. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { pid: process.pid },
      serializers: { err: (err: Error) => redactSecrets(err), error: (err: Error) => redactSecrets(err), req: serializeRequest },
      // Fastify's req/res skip the formatter (a copy made there would reach their serializers as {}); the req serializer
      // below scrubs the URL (a CTI token in the path, a credential in the query) of every request, matched by a route
      // or not; pino's redact paths cover the request's credential headers; everything else is redacted by key name.
      formatters: { log: redactExceptRequest },
      redact: { paths: [...REDACT_PATHS, 'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: REDACTED },
      hooks: {
        // Free-text messages may carry a URL with credentials too.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? (redactSecrets(arg) as string) : arg));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? (options.pretty ? prettyStream() : undefined),
  );
}

/**
 * pino-pretty, loaded only when asked for: it is a development dependency, so a production install may lack it. Run
 * in this thread (not as a pino transport) so lines keep their order with stderr and nothing is lost at exit.
 */
function prettyStream(): DestinationStream | undefined {
  try {
    const pretty = createRequire(__filename)('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
    return pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    process.stderr.write('LOG_PRETTY=1 needs pino-pretty (npm install --save-dev pino-pretty); logging JSON lines instead\n');
    return undefined;
  }
}

/**
 * A request as log lines show it: Fastify's fields (its own serializer is replaced by this one, which takes precedence
 * over it) with the URL through shownRequestTarget (only values that may be secrets masked). A plain object logged as `req` keeps its keys, its `url` scrubbed.
 */
function serializeRequest(req: unknown): unknown {
  if (req === null || typeof req !== 'object') return req;
  const request = req as Record<string, unknown> & { headers?: Record<string, unknown>; socket?: { remotePort?: number } };
  const shown: Record<string, unknown> =
    Object.getPrototypeOf(request) === Object.prototype
      ? { ...request }
      : {
          method: request.method,
          url: request.url,
          version: request.headers?.['accept-version'],
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        };
  if (typeof shown.url === 'string') shown.url = shownRequestTarget(shown.url);
  return shown;
}

function redactExceptRequest(object: Record<string, unknown>): Record<string, unknown> {
  const { req, res, ...rest } = object;
  const out = redactSecrets(rest) as Record<string, unknown>;
  if (req !== undefined) out.req = req;
  if (res !== undefined) out.res = res;
  return out;
}
