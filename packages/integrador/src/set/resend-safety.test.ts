import { TransientTransportError } from '@integrador/transports';
import { carriesReceptorKey, markNotSent, receptorUntouched, wasNotSent } from './resend-safety';

const exchange = (statusCode: number | null) => ({ url: 'http://erp/ws', request: '<x/>', response: null, statusCode, durationMs: 1 });

describe('carriesReceptorKey', () => {
  it('is true when every entry carries ideExt, cgcCpf or codCli', () => {
    expect(carriesReceptorKey({ dadosGeraisCliente: { nomCli: 'A', ideExt: 'crm-1' } })).toBe(true);
    expect(carriesReceptorKey({ dadosGeraisCliente: [{ cgcCpf: '123' }, { codCli: 1001 }] })).toBe(true);
    expect(carriesReceptorKey({ nome: 'A', ideExt: 'crm-1' })).toBe(true);
  });

  it('is false when an entry has none, or only blank ones', () => {
    expect(carriesReceptorKey({ dadosGeraisCliente: { nomCli: 'A', cgcCpf: '  ', ideExt: null } })).toBe(false);
    expect(carriesReceptorKey({ dadosGeraisCliente: [{ ideExt: 'crm-1' }, { nomCli: 'B' }] })).toBe(false);
    expect(carriesReceptorKey({ nome: 'A', documento: '1' })).toBe(false);
  });
});

describe('receptorUntouched', () => {
  it('is true for a refused connection, a 429, a 503 and a soap:Server fault, also wrapped as a cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(receptorUntouched(new TransientTransportError('could not reach', exchange(null), undefined, { cause: refused }))).toBe(true);
    const throttled = new TransientTransportError('HTTP 429', exchange(429));
    expect(receptorUntouched(throttled)).toBe(true);
    expect(receptorUntouched(new Error('delayed', { cause: throttled }))).toBe(true);
    expect(receptorUntouched(new TransientTransportError('HTTP 503', exchange(503)))).toBe(true);
    expect(receptorUntouched(new TransientTransportError('maintenance', exchange(500), undefined, { serverFault: true }))).toBe(true);
  });

  it('is true for an error raised before anything was sent (a limits delay), and only for that one', () => {
    const delayed = markNotSent(new Error('rate limited: try in 200 ms'));
    expect(wasNotSent(delayed)).toBe(true);
    expect(receptorUntouched(delayed)).toBe(true);
    expect(wasNotSent(new Error('rate limited: try in 200 ms'))).toBe(false);
  });

  it('is false for a 500 without a fault and a proxy’s 502 or 504: the receptor may have processed the request', () => {
    for (const status of [500, 502, 504])
      expect(receptorUntouched(new TransientTransportError(`HTTP ${status}`, exchange(status)))).toBe(false);
  });

  it('is false for a timeout, a reset and anything else', () => {
    expect(receptorUntouched(new TransientTransportError('no answer within 3000 ms', exchange(null)))).toBe(false);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(receptorUntouched(new TransientTransportError('could not reach', exchange(null), undefined, { cause: reset }))).toBe(false);
    expect(receptorUntouched(new Error('bug'))).toBe(false);
  });
});
