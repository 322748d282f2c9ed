import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { cliEnv, runCli } from '../test/run-cli';
import { localTime } from './local-time';

// F29: a bad --status is refused with the allowed values (it used to print nothing, exit 0); call times are local.
describe('CLI inputs and times', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnv(database.url);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('webhooks deliveries --status xyz → exit 1 naming the allowed statuses, in the chosen language', async () => {
    const pt = await runCli(['webhooks', 'deliveries', '1', '--empresa', '1', '--status', 'xyz'], env);
    expect(pt.code).toBe(1);
    expect(pt.stderr).toContain('--status inválido: xyz; use pendente, entregue, falhou ou cancelada');
    const en = await runCli(['webhooks', 'deliveries', '1', '--empresa', '1', '--status', 'xyz', '--lang', 'en'], env);
    expect(en.stderr).toContain('invalid --status: xyz; use pendente, entregue, falhou or cancelada');
  }, 120000);

  it('cti calls shows times in the configured zone with its offset (São Paulo: UTC-3)', () => {
    const at = new Date('2026-12-05T12:49:52.657Z');
    expect(localTime(at, 'America/Sao_Paulo')).toBe('2026-12-05 09:49:52 GMT-3');
    expect(localTime(at, 'UTC')).toBe('2026-12-05 12:49:52 GMT+0');
  });
});
