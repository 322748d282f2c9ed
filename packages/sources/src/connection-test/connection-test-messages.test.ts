import { failureMessage, successMessage } from './connection-test-messages';

// The connection test's words, through its catalogues: a value the test could not learn reads as "?" (never "{port}"),
// and a web service gets the hints that fit it, a database the others.
describe('connection test messages', () => {
  it('reads a value the test could not learn as ?, in both languages', () => {
    expect(failureMessage('PORT_CLOSED', 'pt-BR', { host: 'erp' }, 'database')).toBe(
      'o servidor erp recusou a conexão na porta ?: confira a porta, se o serviço do banco está no ar e se o firewall libera o acesso',
    );
    expect(successMessage('version', 'en', { version: undefined })).toBe('server version: ?');
    expect(successMessage('login', 'pt-BR', { user: 'crm', database: 'erp' })).toBe('login aceito para o usuário "crm" no banco "erp"');
  });

  it("gives a web service its own hints where it has them, the database's otherwise", () => {
    expect(failureMessage('TLS_FAILED', 'en', { host: 'api', detail: 'bad cert' }, 'http')).toBe(
      "the TLS handshake with api failed (bad cert): check that the connection's URL should be https and the service's certificate",
    );
    expect(failureMessage('TLS_FAILED', 'en', { host: 'erp', detail: 'bad cert' }, 'database')).toBe(
      "the TLS handshake with erp failed (bad cert): check the connection's TLS/certificate options (ssl, encrypt, trustServerCertificate)",
    );
    expect(failureMessage('CONNECTION_FAILED', 'pt-BR', { host: 'api', detail: 'x' }, 'http')).toBe('a conexão com api falhou (x)');
  });
});
