import { InvalidIntegrationError, TransientTransportError } from '@integrador/transports';
import { requestsUnlessUnreachable } from './run-info';

const records = ['1', '2', '3'].map((key) => ({ key, values: { id: key }, body: { codCli: key } }));

describe('requestsUnlessUnreachable (the dashboard preview with the ERP down)', () => {
  it('asks the receptor once: after the first unreachable record the rest are unavailable without another call', async () => {
    const asked: string[] = [];
    const shown = await requestsUnlessUnreachable(records, async (record) => {
      asked.push(record.key);
      throw new TransientTransportError('could not reach the WSDL within 3000 ms');
    });
    expect(asked).toEqual(['1']);
    expect(shown.map((r) => [r.key, r.request, r.requestUnavailable])).toEqual([
      ['1', null, true],
      ['2', null, true],
      ['3', null, true],
    ]);
  });

  it('fails on an error of the integration (not the ERP’s): the preview says it failed, not “unreachable”', async () => {
    const invalid = new InvalidIntegrationError('porta_ws', null, 'a web-service integration needs porta_ws');
    await expect(requestsUnlessUnreachable(records, async () => Promise.reject(invalid))).rejects.toBe(invalid);
  });

  it('keeps each request the receptor builds', async () => {
    const shown = await requestsUnlessUnreachable(records, async (record) => ({ url: `/clientes/${record.key}` }));
    expect(shown.map((r) => r.request)).toEqual([{ url: '/clientes/1' }, { url: '/clientes/2' }, { url: '/clientes/3' }]);
    expect(shown.some((r) => r.requestUnavailable)).toBe(false);
  });
});
