import { maskUrlsInText, shownUrl, withUrlShown } from './shown-url';

describe('shownUrl', () => {
  it('keeps scheme, host, port, path and the query names; masks every query value', () => {
    expect(shownUrl('https://erp.example.com:8443/g5/services?token=s3cr3t&apikey=abc&wsdl')).toBe(
      'https://erp.example.com:8443/g5/services?token=***&apikey=***&wsdl',
    );
    expect(shownUrl('http://erp.example.com/a%20b/c?x=1&x=2')).toBe('http://erp.example.com/a%20b/c?x=***&x=***');
    expect(shownUrl('https://erp.example.com')).toBe('https://erp.example.com/');
  });

  it('drops userinfo; shows a fragment by the query rule (a table name stays, a value is masked)', () => {
    const shown = shownUrl('https://user:pass@erp.example.com/path?token=s3cr3t#access_token=frag-secret');
    expect(shown).toBe('https://erp.example.com/path?token=***#access_token=***');
    expect(shown).not.toMatch(/user|pass|s3cr3t|frag-secret/);
    expect(shownUrl('postgres://db.internal/crm#clientes')).toBe('postgres://db.internal/crm#clientes');
    expect(shownUrl('postgres://app:s3cr3t@db.internal:5432/crm?sslmode=require')).toBe('postgres://db.internal:5432/crm?sslmode=***');
  });

  it('shows an IPv6 host with its brackets and port', () => {
    expect(shownUrl('http://[::1]:8080/hook?key=s3cr3t')).toBe('http://[::1]:8080/hook?key=***');
    expect(shownUrl(new URL('https://u:p@[2001:db8::1]/x'))).toBe('https://[2001:db8::1]/x');
  });

  it('is idempotent: a shown URL shows the same', () => {
    const once = shownUrl('https://u:p@h.example/p?a=1&b=&c#f');
    expect(shownUrl(once)).toBe(once);
  });

  it('never throws on malformed input and never shows what may be a secret', () => {
    expect(shownUrl('not a url')).toBe('not a url');
    // A path with its query (an integration's link) keeps the names too; '//host' is not a path.
    expect(shownUrl('/relative/path?token=s3cr3t&wsdl#f')).toBe('/relative/path?token=***&wsdl#f');
    expect(shownUrl('//evil.example/x?token=s3cr3t')).toBe('//evil.example/x');
    expect(shownUrl('POST /api/clientes?token=s3cr3t')).toBe('POST /api/clientes?token=***');
    expect(shownUrl('?wsdl&token=s3cr3t')).toBe('?wsdl&token=***');
    // An authority the URL class refuses is not shown: it may be a password cut short by a '#' or '?'.
    expect(shownUrl('http://[::1/x?token=s3cr3t')).toBe('http://***');
    expect(shownUrl('https://joao:S3nh#a@hooks.example/x')).toBe('https://***');
    expect(shownUrl('https://joao:S3nh?a@hooks.example/x')).toBe('https://***');
    expect(shownUrl('https://joao#S3nh@hooks.example/x')).toBe('https://joao/#***');
    // Read by the URL class as scheme "user:" with an opaque path: only the scheme is shown.
    expect(shownUrl('user:pass@host/path')).toBe('user:***');
    expect(shownUrl('file:///var/lib/crm.db?mode=ro')).toBe('file:///var/lib/crm.db?mode=***');
    expect(shownUrl('noscheme@host')).toBe('***');
    expect(shownUrl('http://us er:pa ss@host:99999/x')).toBe('***');
    expect(shownUrl('token=s3cr3t')).toBe('***');
    expect(shownUrl('')).toBe('***');
    expect(shownUrl('x'.repeat(500))).toBe('***');
  });
});

describe('secrets in the path', () => {
  it('masks token-looking path segments (Slack, Discord, Teams webhooks), ;param values and a bare token query name', () => {
    expect(shownUrl('https://hooks.slack.com/services/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')).toBe(
      'https://hooks.slack.com/services/T024BE7LD/B024BE7LH/***',
    );
    expect(
      shownUrl('https://discord.com/api/webhooks/1234567890123456789/Xk3-Jq9_LmZ0aB7cDeF1gHiJ2kLmN-oPq3RsT_uV4wXyZ5AbC6dEf7GhI8jK9lMn0'),
    ).toBe('https://discord.com/api/webhooks/1234567890123456789/***');
    expect(
      shownUrl(
        'https://acme.webhook.office.com/webhookb2/0f8fad5b-d9cb-469f-a165-70867728950e@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/5b1f0c7e2d8a4e3fa9b6c1d2e3f4a5b6/1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      ),
    ).toBe('https://acme.webhook.office.com/webhookb2/***/IncomingWebhook/***/***');
    expect(shownUrl('https://erp.example/app/login;jsessionid=0A1B2C3D4E5F?x=1')).toBe(
      'https://erp.example/app/login;jsessionid=***?x=***',
    );
    expect(shownUrl('https://erp.example/hook?a1B2c3D4e5F6g7H8i9')).toBe('https://erp.example/hook?***');
  });

  it('keeps ordinary SOAP and REST paths readable', () => {
    for (const url of [
      'http://erp.example:8080/g5-senior-services/sapiens_Synccom_senior_g5_co_cad_clientes?wsdl',
      'https://api.example/api/v1/clientes/123',
      'https://api.example/ServiceLayerV2/IntegrationEndpoints/Clientes_Cadastro-2024',
      'https://erp.example/ws/ClienteServiceV2Port?wsdl',
      'https://erp.example/IntegracaoCRM2Service.svc',
      'https://erp.example/api/Pessoas2024Integracao/ORD20240115000123',
      'https://erp.example/api/lotes/clientes20240115',
    ]) {
      expect(shownUrl(url)).toBe(url);
    }
  });

  it('still masks keys that mix letters and digits at random, keeping a file extension', () => {
    for (const token of [
      'xoxb4f7Kq2Lm9Pz3Rt8Vw1Ys', // Slack-like
      'd41d8cd98f00b204e9800998ecf8427e', // hex digest
      'D41D8CD98F00B204E9800998ECF8427E', // upper-case hex
      'AKIA2J7QX5M3PLT4ZR8W', // AWS-style access key
      'AKIAFOCWTGA7BUJSUUNN', // AWS-style, digits in one group
      'S8APCVEQSW4FVTTV', // upper-case key, two digit groups
      'ldunjnaoj2taxf09', // lower-case key, two digit groups
      '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'.split(':')[1] ?? '', // Telegram bot token secret
    ]) {
      expect(shownUrl(`https://api.example/hook/${token}?x`)).toBe('https://api.example/hook/***?x');
    }
    expect(shownUrl('https://files.example/d41d8cd98f00b204e9800998ecf8427e.json')).toBe('https://files.example/***.json');
  });
});

describe('maskUrlsInText', () => {
  it('leaves a URL with nothing secret byte-identical and masks only the secret parts of the others, in place', () => {
    const envelope =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://services.senior.com.br"><a href="http://erp/x?a=1&amp;token=s3cr3t">';
    expect(maskUrlsInText(envelope)).toBe(envelope.replace('a=1&amp;token=s3cr3t', 'a=***&amp;token=***'));
    const preview = '"POST http://erp/api/clientes\\ncontent-type: application/json\\n\\n{\\"nome\\":\\"x\\"}"';
    expect(maskUrlsInText(preview)).toBe(preview);
    expect(maskUrlsInText('postgres://crm.internal/crm#clientes')).toBe('postgres://crm.internal/crm#clientes');
    expect(maskUrlsInText('at http://u:p@erp/Api/%7Bx%7D?k=v&k2, then')).toBe('at http://erp/Api/%7Bx%7D?k=***&k2, then');
    // A receptor echoing the request's path and query.
    expect(maskUrlsInText('<pre>Cannot POST /api/clientes?token=S3CRET&x</pre> (see "/svc?wsdl&key=S3CRET").')).toBe(
      '<pre>Cannot POST /api/clientes?token=***&x</pre> (see "/svc?wsdl&key=***").',
    );
    expect(maskUrlsInText('/usr/lib and a/b?c=d stay, //host/x?y=z too')).toBe('/usr/lib and a/b?c=d stay, //host/x?y=z too');
  });

  it('masks a path with a query right after a tag, a colon or a bracket', () => {
    expect(maskUrlsInText('<td>/api/x?token=S3CRET</td>')).toBe('<td>/api/x?token=***</td>');
    expect(maskUrlsInText('path:/api/x?token=S3CRET')).toBe('path:/api/x?token=***');
    expect(maskUrlsInText('[/api/x?token=S3CRET]')).toBe('[/api/x?token=***]');
    expect(maskUrlsInText('see http://erp:8080/x#a and /y?k=S3CRET')).toBe('see http://erp:8080/x#a and /y?k=***');
  });

  it('masks the whole authority of a URL whose password holds # or ?', () => {
    expect(maskUrlsInText('failed: https://user:p#ss@host.example/x?k=v done')).toBe('failed: https://*** done');
    expect(maskUrlsInText('failed: https://user:p?ss@host.example/x done')).toBe('failed: https://*** done');
    expect(maskUrlsInText('at http://[::1]:8080/x?k=v')).toBe('at http://[::1]:8080/x?k=***');
  });

  it("masks the whole authority of a URL whose password holds a '/', in text and alone", () => {
    expect(maskUrlsInText('failed: http://admin:s3/nh@host.example/x?k=v done')).toBe('failed: http://*** done');
    expect(shownUrl('http://admin:s3/nh@host.example/x')).toBe('http://***');
    expect(shownUrl('postgres://app:x9/x@db.internal:5432/crm')).toBe('postgres://***');
    // A host and port before the first '/': the '@' after it is the path's, as every client reads it.
    expect(shownUrl('http://pbx:8080/dial/201@from-internal?n=1')).toBe('http://pbx:8080/dial/201@from-internal?n=***');
    expect(shownUrl(new URL('http://admin:12/ss@host.example/x'))).toBe('http://admin:12/ss@host.example/x');
    // Not a password: an '@' in the path of a host without a port (a Teams webhook id), or only in the query.
    expect(shownUrl('https://hooks.example/in/ab@cd/x')).toBe('https://hooks.example/in/ab@cd/x');
    expect(shownUrl('https://hooks.example/in?from=a@b')).toBe('https://hooks.example/in?from=***');
  });

  it('stays linear on adversarial text (a guard against catastrophic backtracking)', () => {
    for (const text of [
      `${'?=/'.repeat(34000)}`,
      `${'a.'.repeat(50000)}://x`,
      `${'/=/('.repeat(25000)}?`,
      `http://x/${'.,'.repeat(50000)}y`,
      `${'a://b:'.repeat(17000)}@`,
    ]) {
      const started = performance.now();
      maskUrlsInText(text);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('masks each link of a run with several queries, after quotes and at the start of a text, and leaves the rest as it was', () => {
    expect(maskUrlsInText('/api/x?token=S3CRET failed')).toBe('/api/x?token=*** failed');
    expect(maskUrlsInText('/a?x=1?token=S3CRET')).not.toContain('S3CRET');
    expect(maskUrlsInText(`"/api/x?token=S1" '/b?key=S2' \`/c?k=S3\` /d?k=S4\\/e?k=S5`)).toBe(
      `"/api/x?token=***" '/b?key=***' \`/c?k=***\` /d?k=***\\/e?k=***`,
    );
    expect(maskUrlsInText('<?xml version="1.0"?><a>why? yes?</a>\n/a?k=S1 and /b?k=S2\u2028/c?k=S3')).toBe(
      '<?xml version="1.0"?><a>why? yes?</a>\n/a?k=*** and /b?k=***\u2028/c?k=***',
    );
    const plain = 'why? a/b?c=d host:8080/x?y=z //host/x?q=1 <?xml?> "?" é\u00a0? \ufeff?';
    expect(maskUrlsInText(plain)).toBe(plain);
  });

  it('reads each run between spaces, quotes, brackets and backslashes on its own (the whole text at once gives the same)', () => {
    // Reference: the text cut at every run end, each run masked alone (what replacing word by word did before).
    const runEnd = /([\s"'<>`\\])/;
    const runByRun = (text: string) =>
      text
        .split(runEnd)
        .map((part) => (runEnd.test(part) ? part : maskUrlsInText(part)))
        .join('');
    const tokens = [
      'a',
      'Z9',
      '/',
      '?',
      '#',
      '=',
      '&',
      ' ',
      '\n',
      '"',
      "'",
      '<',
      '>',
      '`',
      '\\',
      '.',
      ':',
      '@',
      '%',
      'https://',
      'http://h/',
      '?token=',
      'S3CRET',
      '/api/x',
      'é',
      '\u00a0',
      '\u2028',
      '\ufeff',
    ];
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let differ = 0;
    for (let i = 0; i < 20000; i += 1) {
      let text = '';
      for (let n = Math.floor(random() * 30); n > 0; n -= 1) text += tokens[Math.floor(random() * tokens.length)];
      if (maskUrlsInText(text) !== runByRun(text)) differ += 1;
    }
    expect(differ).toBe(0);
  });
});

describe('withUrlShown', () => {
  it('replaces every copy of the URL in a text by its shown form', () => {
    const url = 'https://u:p@h.example/wsdl?token=s3cr3t';
    expect(withUrlShown(`Invalid WSDL URL: ${url} Code: 404 (${url})`, url)).toBe(
      'Invalid WSDL URL: https://h.example/wsdl?token=*** Code: 404 (https://h.example/wsdl?token=***)',
    );
    expect(withUrlShown('connect ECONNREFUSED 127.0.0.1:1', url)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(withUrlShown(undefined, url)).toBe('');
    expect(withUrlShown({ reason: 'x' }, url)).toBe('[object Object]');
  });
});
