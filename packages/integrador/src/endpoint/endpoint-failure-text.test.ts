import { jobFailureText } from '@integrador/queue';
import { EndpointSyncError } from './endpoint-sync';

/**
 * A failed endpoint sync is recorded with its code and its message, which is already the engine's wording (pt-BR, with
 * the URL and the limit): the job failure catalogue must not put a label of its own before it (one owner, and never an
 * English label before a Portuguese detail).
 */
describe('an endpoint sync failure as the job status and the dashboard word it', () => {
  const params = { url: 'https://erp.example/contatos', seconds: 30, limit: 500, status: 401, code: 'ECONNREFUSED', id: 7, range: '10/8' };
  const codes = ['TIMEOUT', 'UNREACHABLE', 'HTTP_UNAUTHORIZED', 'HTTP_NOT_FOUND', 'HTTP_ERROR', 'NOT_JSON', 'NOT_ARRAY'];
  const more = ['TOO_MANY_RECORDS', 'TOO_LARGE', 'OUTBOUND_FORBIDDEN', 'SECRET_MISSING', 'SERVICE_INACTIVE', 'ABORTED'];

  it.each([...codes, ...more])('shows %s by its own message, in every language', (code) => {
    const error = new EndpointSyncError(code, params, true);
    expect(error.message).not.toBe(code);
    expect(jobFailureText('pt-BR', error.code, error.message)).toBe(error.message);
    expect(jobFailureText('en', error.code, error.message)).toBe(error.message);
  });
});
