import { ConfigError, loadConfig } from './load-config';

describe('seed 003 endpoint limits', () => {
  it('default to the seed: 1000 records and 3 minutes per call', () => {
    expect(loadConfig({}).endpoint).toEqual({ maxRecords: 1000, timeoutMs: 180000, maxResponseBytes: 32 * 1024 * 1024 });
  });

  it('can be shortened (tests) or changed by the operator', () => {
    const config = loadConfig({ ENDPOINT_MAX_RECORDS: '50', ENDPOINT_TIMEOUT_MS: '250', ENDPOINT_MAX_RESPONSE_BYTES: '4096' });
    expect(config.endpoint).toEqual({ maxRecords: 50, timeoutMs: 250, maxResponseBytes: 4096 });
  });

  it.each([
    ['ENDPOINT_MAX_RECORDS', '0'],
    ['ENDPOINT_TIMEOUT_MS', 'três minutos'],
    ['ENDPOINT_MAX_RESPONSE_BYTES', '10'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`invalid environment variable ${name}: expected`));
  });
});
