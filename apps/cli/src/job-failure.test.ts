import { recordJobEvent } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { jobFailureReason } from './job-failure';
import { messages } from './messages';

const pt = { locale: 'pt-BR' as const, text: messages('pt-BR') };
const en = { locale: 'en' as const, text: messages('en') };
const REASON = 'could not reach http://127.0.0.1:8080/g5-senior-services/…?wsdl (ECONNREFUSED)';

describe('jobFailureReason (a failed job read back from registro_jobs)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  const failed = (
    empresaId: number,
    jobId: string,
    codigo: string | null,
    estado: 'falhou' | 'aguardando_retentativa' = 'falhou',
    mensagem = REASON,
  ) =>
    recordJobEvent(database.db, {
      empresaId,
      filialId: null,
      fila: 'set',
      jobId,
      nomeJob: 'integration.run',
      integracaoId: 1,
      parametros: null,
      estado,
      tentativas: 6,
      maxTentativas: 6,
      erro: { classe: 'TransientTransportError', codigo, mensagem },
    });

  it("words a code it knows in the CLI's language and keeps the message as the detail", async () => {
    await failed(1, 'j1', 'TRANSPORT_TRANSIENT');
    const job = { queue: 'set', jobId: 'j1', empresaId: 1 };
    expect(await jobFailureReason(pt, database.db, job, REASON)).toBe(
      `o sistema receptor não respondeu a tempo ou está indisponível: ${REASON}`,
    );
    expect(await jobFailureReason(en, database.db, job, REASON)).toBe(`the receptor did not answer in time or is unavailable: ${REASON}`);
  });

  it("keeps the message as it is for a code it does not word, another tenant's record, or no final record", async () => {
    await failed(1, 'j2', 'SOME_UNWORDED_CODE');
    await failed(2, 'j3', 'TRANSPORT_TRANSIENT');
    await failed(1, 'j4', 'TRANSPORT_TRANSIENT', 'aguardando_retentativa');
    expect(await jobFailureReason(pt, database.db, { queue: 'set', jobId: 'j2', empresaId: 1 }, REASON)).toBe(REASON);
    expect(await jobFailureReason(pt, database.db, { queue: 'set', jobId: 'j3', empresaId: 1 }, REASON)).toBe(REASON);
    expect(await jobFailureReason(pt, database.db, { queue: 'set', jobId: 'j4', empresaId: 1 }, REASON)).toBe(REASON);
  });

  it('words a failed attempt from its record (a retry to come), not from a record of another state', async () => {
    await failed(1, 'j6', 'TRANSPORT_TRANSIENT', 'aguardando_retentativa');
    const job = { queue: 'set', jobId: 'j6', empresaId: 1 };
    expect(await jobFailureReason(pt, database.db, job, REASON, 'aguardando_retentativa')).toBe(
      `o sistema receptor não respondeu a tempo ou está indisponível: ${REASON}`,
    );
    // A record of another state (here the job's final failure) is not this attempt's.
    await failed(1, 'j7', 'TRANSPORT_TRANSIENT', 'falhou');
    expect(await jobFailureReason(en, database.db, { ...job, jobId: 'j7' }, REASON, 'aguardando_retentativa')).toBe(REASON);
  });

  it("does not take an older job's record with the same id (Redis flushed, ids started again) for this job's", async () => {
    await failed(1, 'j5', 'CONNECTION_FORBIDDEN', 'falhou', 'connection "erp" is restricted to empresa 2; empresa 1 may not use it');
    expect(await jobFailureReason(pt, database.db, { queue: 'set', jobId: 'j5', empresaId: 1 }, REASON)).toBe(REASON);
  });
});
