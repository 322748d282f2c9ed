import { shownUrl, withUrlShown } from './shown-url';

describe('shownUrl', () => {
  it('keeps scheme, host, port, path and the query names; masks every query value', () => {
    expect(shownUrl('https://erp.example.com:8443/g5/services?token=s3cr3t&apikey=abc&wsdl')).toBe(
      'https://erp.example.com:8443/g5/services?token=***&apikey=***&wsdl',
    );
    expect(shownUrl('http://erp.example.com/a%20b/c?x=1&x=2')).toBe('http://erp.example.com/a%20b/c?x=***&x=***');
    expect(shownUrl('https://erp.example.com')).toBe('https://erp.example.com/');
  });

  it('drops userinfo and fragment', () => {
    const shown = shownUrl('https://user:pass@erp.example.com/path?token=s3cr3t#frag-secret');
    expect(shown).toBe('https://erp.example.com/path?token=***');
    expect(shown).not.toMatch(/user|pass|s3cr3t|frag/);
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
    expect(shownUrl('/relative/path?token=s3cr3t&wsdl#f')).toBe('/relative/path?token=***&wsdl');
    expect(shownUrl('//evil.example/x?token=s3cr3t')).toBe('//evil.example/x');
    expect(shownUrl('POST /api/clientes?token=s3cr3t')).toBe('POST /api/clientes');
    expect(shownUrl('http://[::1/x?token=s3cr3t')).toBe('http://[::1/x');
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

describe('withUrlShown', () => {
  it('replaces every copy of the URL in a text by its shown form', () => {
    const url = 'https://u:p@h.example/wsdl?token=s3cr3t';
    expect(withUrlShown(`Invalid WSDL URL: ${url} Code: 404 (${url})`, url)).toBe(
      'Invalid WSDL URL: https://h.example/wsdl?token=*** Code: 404 (https://h.example/wsdl?token=***)',
    );
    expect(withUrlShown('connect ECONNREFUSED 127.0.0.1:1', url)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });
});
