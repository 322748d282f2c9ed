import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { createLogger } from './create-logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level: 'debug', destination }) };
}

describe('createLogger', () => {
  it('never writes passwords, tokens, Authorization headers or connection strings', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        connection: { host: 'erp', user: 'crm', password: 'S3nh@Forte', senha: 'outra-senha', segredo: 'seg-42', credenciais: 'cred-43' },
        req: { headers: { authorization: 'Bearer igk_abc_supersecret', 'x-request-id': 'r1' } },
        connectionString: 'Server=x;Password=hunter2',
        redisUrl: 'redis://:redispass@cache:6379',
        target: 'postgres://crm:pgpass@db:5432/crm',
        apiKey: 'igk_live_123',
      },
      'connecting',
    );
    logger.error({ err: new Error('login failed for mysql://root:rootpass@db/x') }, 'failed');
    logger.warn('calling http://admin:adminpass@erp:8080/ws with Bearer abc.def.ghi');
    const text = lines.join('');
    for (const secret of [
      'S3nh@Forte',
      'outra-senha',
      'supersecret',
      'hunter2',
      'redispass',
      'pgpass',
      'igk_live_123',
      'rootpass',
      'adminpass',
      'abc.def.ghi',
      'seg-42',
      'cred-43',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('"host":"erp"');
    expect(text).toContain('"x-request-id":"r1"');
    expect(text).toContain('postgres://db:5432/crm');
    expect(lines).toHaveLength(3);
  });

  it('masks query values and token-looking path segments of any URL in any logged string, causes included', () => {
    const { lines, logger } = capture();
    const cause = new Error('Invalid WSDL URL: http://erp:8080/g5/svc?wsdl&token=S3CRET Code: 404');
    logger.error(
      { err: new Error('soap client failed', { cause }), hook: 'https://hooks.slack.com/services/T1/B2/bqXQ8x2yPp0Z1FqkAE1c2Rwo' },
      'failed',
    );
    const text = lines.join('');
    expect(text).not.toContain('S3CRET');
    expect(text).not.toContain('bqXQ8x2yPp0Z1FqkAE1c2Rwo');
    expect(text).toContain('http://erp:8080/g5/svc?wsdl&token=***');
  });

  it('logs a 100 KB adversarial message without catastrophic backtracking', () => {
    const { lines, logger } = capture();
    for (const text of [`${'a.'.repeat(50000)}://x`, `${'/=/('.repeat(25000)}?token=S3CRET`, `${'x://'.repeat(25000)}`]) {
      const started = performance.now();
      logger.warn({ detail: text }, 'receptor answered');
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(lines.join('')).not.toContain('S3CRET');
  });

  it('keeps ordinary context intact', () => {
    const { lines, logger } = capture();
    logger.info({ jobId: '42', tenant: 7, queue: 'set' }, 'job completed');
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({ jobId: '42', tenant: 7, queue: 'set', msg: 'job completed', name: 'test' });
  });
});

describe('createLogger with pretty: true (LOG_PRETTY=1)', () => {
  it('prints readable lines through pino-pretty, secrets still redacted', () => {
    const script = `require('./create-logger').createLogger({ name: 'worker-set', pretty: true }).info({ jobId: '42', password: 'S3nh@' }, 'job started')`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: __dirname,
      encoding: 'utf8',
    });
    expect(run.stdout).toMatch(/INFO.*\(worker-set\).*job started/);
    expect(run.stdout).toContain('jobId: "42"');
    expect(run.stdout).not.toContain('S3nh@');
    expect(() => JSON.parse(run.stdout.split('\n')[0] ?? '')).toThrow();
  });
});

describe('createLogger request lines', () => {
  it('scrubs the URL of every logged request, a framework request object or a plain one', () => {
    const { lines, logger } = capture();
    const token = 'ctk_iBo5eAgE2tQx_jVXPAHYX_AUrPjdi9EZ';
    class FrameworkRequest {
      headers = { 'accept-version': undefined };
      get method() {
        return 'PUT';
      }
      get url() {
        return `/t/${token}/wconnect/x.php?ramal=201`;
      }
    }
    logger.info({ req: new FrameworkRequest() }, 'incoming request');
    logger.info({ req: { method: 'POST', url: '/cti/pop?token=cpt_Ab1Ab1Ab1Ab1Ab1Ab1Ab1Ab1Ab1Ab1', id: 'r2' } }, 'incoming request');
    const [framework, plain] = lines.map((line) => JSON.parse(line).req);
    expect(framework).toMatchObject({ method: 'PUT', url: '/t/ctk_[redacted]/wconnect/x.php?ramal=201' });
    expect(plain).toEqual({ method: 'POST', url: '/cti/pop?token=***', id: 'r2' });
  });

  // L6 (trial): `?lang=***`, `?feito=***` hid what an operator reads a log for; only values that may be secrets are masked.
  it('shows plain query values and masks secret-named, token-looking or unusual ones', () => {
    const { lines, logger } = capture();
    const urls = [
      '/dashboard/falhas?lang=en&empresa=2',
      '/dashboard/jobs/set/5?feito=retry',
      '/x?senha=abc&api_key=1&k=a1B2c3D4e5F6g7H8i9&next=/dashboard%3Fa%3D1&lista=set,get',
    ];
    for (const url of urls) logger.info({ req: { method: 'GET', url } }, 'incoming request');
    expect(lines.map((line) => JSON.parse(line).req.url)).toEqual([
      '/dashboard/falhas?lang=en&empresa=2',
      '/dashboard/jobs/set/5?feito=retry',
      '/x?senha=***&api_key=***&k=***&next=***&lista=set,get',
    ]);
  });
});
