import { inspect } from 'node:util';
import { Secret } from './secret';

describe('Secret', () => {
  it('gives its value only through reveal()', () => {
    const secret = new Secret('hunter2');
    expect(secret.reveal()).toBe('hunter2');
    expect(JSON.stringify({ password: secret })).toBe('{"password":"[REDACTED]"}');
    expect(`${secret}`).toBe('[REDACTED]');
    expect(inspect({ password: secret })).toBe('{ password: [REDACTED] }');
    expect(Object.keys(secret)).toEqual([]);
  });
});
