import { maskSecrets, maskUrl, maskUrlsIn } from './mask';

// Rows written before the engine stored URLs as shownUrl gives them hold the full URL: masked when shown.
describe('masking stored URLs for the operator', () => {
  it('shows a stored attempt URL without query values or userinfo', () => {
    expect(maskUrl('http://user:pass@erp.example:8080/svc?wsdl&token=s3cr3t')).toBe('http://erp.example:8080/svc?wsdl&token=***');
    expect(maskUrl(null)).toBeNull();
  });

  it('masks every URL inside a message or a job log line, keeping the text around it', () => {
    expect(maskUrlsIn('could not reach http://u:pass@erp.example/svc?apikey=s3cr3t (ECONNREFUSED).')).toBe(
      'could not reach http://erp.example/svc?apikey=*** (ECONNREFUSED).',
    );
    expect(maskUrlsIn('{"recordKey":"42","url":"https://u:pass@h.example/x?token=s3cr3t#f","error":null}')).toBe(
      '{"recordKey":"42","url":"https://h.example/x?token=***","error":null}',
    );
    expect(maskUrlsIn('no address here')).toBe('no address here');
    expect(maskUrlsIn(null)).toBeNull();
  });

  it('masks the URL line of a stored REST request with the other secrets', () => {
    const shown = maskSecrets('POST https://u:pass@api.example/clientes?chave=s3cr3t\nauthorization: [REDACTED]\n\n{"senha":"x"}');
    expect(shown).toBe('POST https://api.example/clientes?chave=***\nauthorization: [REDACTED]\n\n{"senha":"••••••"}');
  });
});
