import { Secret } from '@integrador/connections';
import { connectionSecrets, createSecretMasker, ECHO_MASK, MIN_MASKED_SECRET_LENGTH } from './secret-mask';

describe('createSecretMasker', () => {
  it('masks every copy of a secret, and its JSON-escaped, XML-escaped and percent-encoded forms', () => {
    const mask = createSecretMasker(['p@ss"<wörd>']);
    expect(mask.text('a p@ss"<wörd> b')).toBe(`a ${ECHO_MASK} b`);
    expect(mask.text('{"e":"p@ss\\"<wörd>"}')).toBe('{"e":"***"}');
    expect(mask.text('<e>p@ss&quot;&lt;wörd&gt;</e>')).toBe('<e>***</e>');
    expect(mask.text('/x?p=p%40ss%22%3Cw%C3%B6rd%3E')).toBe('/x?p=***');
  });

  it(`leaves secrets shorter than ${MIN_MASKED_SECRET_LENGTH} characters alone, but not the forms built around them`, () => {
    const mask = createSecretMasker(connectionSecrets({ kind: 'api', auth: { type: 'bearer', token: new Secret('x') } } as never));
    expect(mask.text('x marks the spot')).toBe('x marks the spot');
    expect(mask.text('got Bearer x')).toBe('got ***');
    expect(createSecretMasker(['ab']).text('abab')).toBe('abab');
    expect(createSecretMasker(['abc']).text('abcabc')).toBe('******');
  });

  it('masks the Basic header, its base64, the decoded user:password and the password', () => {
    const secrets = connectionSecrets({ kind: 'api', auth: { type: 'basic', user: 'u', password: new Secret('s3nh4') } } as never);
    const mask = createSecretMasker(secrets);
    const b64 = Buffer.from('u:s3nh4').toString('base64');
    expect(mask.text(`Basic ${b64} | ${b64} | u:s3nh4 | s3nh4`)).toBe('*** | *** | *** | ***');
  });

  it('masks only the values of a parsed answer that equal a secret, never keys, and returns the same object when none does', () => {
    const mask = createSecretMasker(['segredo', 'admin']);
    const clean = { a: [1, { b: 'é segredo' }], segredo: 2, admin: 3, c: 'administração', n: null };
    expect(mask.value(clean)).toBe(clean);
    expect(mask.value({ a: [1, { b: 'segredo' }], segredo: 'admin', c: 'administração' })).toEqual({
      a: [1, { b: '***' }],
      segredo: '***',
      c: 'administração',
    });
    expect(mask.text('administração')).toBe('***istração');
  });

  it('takes every secret of a database connection: url, connection string and password', () => {
    const secrets = connectionSecrets({
      kind: 'database',
      driver: 'postgres',
      url: new Secret('postgres://u:pw-db-1@h/db'),
      password: new Secret('pw-db-2'),
      options: {},
    } as never);
    expect(createSecretMasker(secrets).text('x postgres://u:pw-db-1@h/db y pw-db-2')).toBe('x *** y ***');
  });
});
