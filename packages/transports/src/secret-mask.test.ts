import { Secret } from '@integrador/connections';
import { connectionSecrets, createSecretMasker, ECHO_MASK, MAX_MIXED_FORM_LENGTH, MIN_MASKED_SECRET_LENGTH } from './secret-mask';

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

  it('masks a base64 value of a secret written back padded or not', () => {
    const mask = createSecretMasker(['abcd']);
    const base64 = Buffer.from('abcd').toString('base64');
    expect(base64).toBe('YWJjZA==');
    expect(mask.value({ a: base64, b: 'YWJjZA', c: Buffer.from('abcd').toString('base64url'), d: 'YWJjZA==x' })).toEqual({
      a: '***',
      b: '***',
      c: '***',
      d: 'YWJjZA==x',
    });
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

describe('createSecretMasker: the forms a receptor writes a secret in', () => {
  const password = 'senha/Caçador9';
  const mask = createSecretMasker(
    connectionSecrets({ kind: 'api', auth: { type: 'basic', user: 'apiuser', password: new Secret(password) } } as never),
  );
  const hex = (text: string, upper: boolean) =>
    [...text].map((c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')[upper ? 'toUpperCase' : 'toLowerCase']()}`).join('');

  it.each([
    ['PHP json_encode (\\/)', JSON.stringify(password).slice(1, -1).replace(/\//g, '\\/')],
    ['Python json.dumps (\\u00e7)', 'senha/Ca\\u00e7ador9'],
    ['every character \\u-escaped, upper-case hex', hex(password, true)],
    ['every character \\u-escaped, lower-case hex', hex(password, false)],
    ['base64', Buffer.from(password).toString('base64')],
    ['base64url', Buffer.from(password).toString('base64url')],
    ['base64 of user:password, url-safe', Buffer.from(`apiuser:${password}`).toString('base64url')],
    ['percent-encoded twice', encodeURIComponent(encodeURIComponent(password))],
    ['percent-encoded, lower-case hex', encodeURIComponent(password).replace(/%[0-9A-F]{2}/g, (byte) => byte.toLowerCase())],
    ['HTML decimal references', [...password].map((c) => `&#${c.codePointAt(0)};`).join('')],
    ['XML hex references, leading zeros', [...password].map((c) => `&#x00${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()};`).join('')],
  ])('%s', (_, form) => {
    expect(form).not.toBe(password);
    expect(mask.text(`{"erro":"senha ${form}."}`)).toBe('{"erro":"senha ***."}');
  });

  it('a masked JSON answer still parses, and what it gives holds no secret', () => {
    const answer = `{"erro":"senha ${hex('senha/', false)}Ca\\u00E7ador9","b":"${Buffer.from(password).toString('base64')}"}`;
    expect(JSON.parse(mask.text(answer))).toEqual({ erro: 'senha ***', b: '***' });
  });

  it('masks a surrogate pair and a space written as +', () => {
    const emoji = createSecretMasker(['chave😀 x']);
    expect(emoji.text('a chave\\ud83d\\ude00+x b')).toBe('a *** b');
  });

  it('a secret of backslashes against a text of backslashes: no backtracking blow-up', () => {
    const slashes = createSecretMasker([`${'\\'.repeat(30)}x`]);
    const started = performance.now();
    expect(slashes.text('\\'.repeat(20000))).toBe('\\'.repeat(20000));
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it(`a long secret costs no more than its first ${MAX_MIXED_FORM_LENGTH} characters, and is still masked whole`, () => {
    // Every position of the text nearly matches: without the cap this took 26 s.
    const near = createSecretMasker([`${'a'.repeat(500)}b`]);
    const started = performance.now();
    // Its first characters are secret too: they are masked even where the rest does not follow.
    expect(near.text('a'.repeat(100_000)).startsWith(ECHO_MASK)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);

    const secret = `${'k9/Q"x&'.repeat(10)}çZ-${'0123456789'.repeat(4)}`;
    const long = createSecretMasker([secret]);
    expect(long.text(`a ${secret} b`)).toBe('a *** b');
    expect(long.text(JSON.stringify({ e: `a ${secret} b` }))).toBe('{"e":"a *** b"}');
    expect(long.text(JSON.stringify({ e: secret }).replace(/\//g, '\\/'))).toBe('{"e":"***"}');
    expect(long.text(`<e>${secret.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}</e>`)).toBe('<e>***</e>');
    expect(long.text(`?p=${encodeURIComponent(secret)}&q=1`)).toBe('?p=***&q=1');
    // A 20,000-character secret (a key file, a long token): no expression grows with it.
    const huge = `${'k9/Q"x&'.repeat(3000)}!`;
    expect(createSecretMasker([huge]).text(`x ${JSON.stringify(huge)} y`)).toBe('x "***" y');
    // Its head in any mixed form is masked; a tail past the cap in a mixed form is left (documented).
    const head = [...secret].slice(0, MAX_MIXED_FORM_LENGTH).join('');
    expect(long.text(`${head.replace(/"/g, '\\u0022')}${secret.slice(head.length).replace('ç', '\\u00e7')}`)).toBe(
      `***${secret.slice(head.length).replace('ç', '\\u00e7')}`,
    );
  });

  it('never cuts an escape in two: masked JSON and XML answers still parse', () => {
    // A plain & before a secret is no character reference: it stays.
    expect(createSecretMasker(['abcdef']).text('?x=1&abcdef&y=2')).toBe('?x=1&***&y=2');
    const bareAmpersand = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#[xX][0-9a-fA-F]+);)/;
    const cases: [secret: string, said: string, written?: string][] = [
      ['u00e9xyz', 'caféxyz', '{"erro":"caf\\u00e9xyz","n":1}'],
      ['abc\\', 'got abc\\'],
      ['abc\\', 'abc\\"quoted'],
      ['abc\\', 'abc\\u0041'],
      ['nabc', 'x\nabc'],
      ['nabc', 'x\\\nabc'],
      ['abc&', 'got abc&'],
      ['amp;xyz', 'a &xyz'],
      ['lt;xyz', 'a <xyz'],
      ['#38;xyz', 'a &#38;xyz'],
      ['abc%', 'abc%'],
      ['s3nh4', 's3nh4'],
    ];
    for (const [secret, said, written] of cases) {
      const mask = createSecretMasker([secret]);
      const json = written ?? JSON.stringify({ erro: said, n: 1 });
      const maskedJson = mask.text(json);
      expect(JSON.parse(maskedJson)).toEqual({ erro: expect.any(String), n: 1 });
      expect(JSON.parse(maskedJson).erro).not.toContain(secret);

      const xml = `<erro>${said
        .replace(/&(?!#38;)/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/"/g, '&quot;')}</erro>`;
      expect(bareAmpersand.test(xml)).toBe(false);
      const maskedXml = mask.text(xml);
      // Each case has its secret in the JSON or the XML text, and it is masked there.
      expect([secret, `${maskedJson} ${maskedXml}`]).toEqual([secret, expect.stringContaining(ECHO_MASK)]);
      expect([secret, bareAmpersand.test(maskedXml), maskedXml.includes(secret), maskedJson.includes(secret)]).toEqual([
        secret,
        false,
        false,
        false,
      ]);
    }
  });

  it('shows a redirect URL with its secret masked whatever the case of its host', () => {
    const token = createSecretMasker(['TokEcoXyZ9AbQ', 'senhadopabx']);
    expect(token.url('http://TokEcoXyZ9AbQ.example.com/x')).toBe('http://***.example.com/x');
    expect(token.url('http://SENHADOPABX.pbx.example/senhadopabx/x?k=1')).toBe('http://***.pbx.example/***/x?k=***');
    expect(token.text('http://TOKECOXYZ9ABQ.example.com/x')).toBe('http://TOKECOXYZ9ABQ.example.com/x');
  });

  it(`looks for no form of a secret shorter than ${MIN_MASKED_SECRET_LENGTH} characters`, () => {
    const short = createSecretMasker(['ab']);
    expect(short.text(`ab ${Buffer.from('ab').toString('base64')} &#97;&#98;`)).toBe(
      `ab ${Buffer.from('ab').toString('base64')} &#97;&#98;`,
    );
  });
});
