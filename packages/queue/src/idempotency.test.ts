import { createHash } from 'node:crypto';
import { requestFingerprint } from './idempotency';

// The fingerprint walks the body without recursion: a body nested 20000 levels (JSON.parse takes it, < 1 MB) is
// fingerprinted, not a stack overflow (a 500 at the ingress).
describe('requestFingerprint', () => {
  const nested = (depth: number, leaf: unknown): unknown => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
  };
  const request = (body: unknown) => ({ method: 'POST', route: '/v1/x', params: { id: '1' }, query: {}, body });

  it('fingerprints a body nested 20000 levels; the same body in another key order is the same request', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`);
    expect(requestFingerprint(request(deep))).toBe(requestFingerprint(request(nested(20000, 1))));
    expect(requestFingerprint(request(deep))).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint(request(deep))).not.toBe(requestFingerprint(request(nested(20000, 2))));
    // Keys sorted, undefined left out, arrays kept in order: the canonical text the bindings already in Redis hold.
    const one = { b: [1, { y: 'x', x: null }], a: { d: true, c: 'é' }, u: undefined };
    const other = { a: { c: 'é', d: true }, b: [1, { x: null, y: 'x' }] };
    expect(requestFingerprint(request(one))).toBe(requestFingerprint(request(other)));
    expect(requestFingerprint(request(one))).not.toBe(requestFingerprint(request({ ...other, b: [{ x: null, y: 'x' }, 1] })));
    expect(requestFingerprint(request([]))).not.toBe(requestFingerprint(request({})));
    const text =
      '{"body":{"a":{"c":"é","d":true},"b":[1,{"x":null,"y":"x"}]},"method":"POST","params":{"id":"1"},"query":{},"route":"/v1/x"}';
    expect(requestFingerprint(request(one))).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
