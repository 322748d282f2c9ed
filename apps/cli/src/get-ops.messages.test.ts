import { getOpsMessages } from './get-ops.messages';

describe('GET run result line (pt-BR and English)', () => {
  const result = { mode: 'incremental', rowsRead: 11999, rowsWritten: 11999, rowsSkipped: 0, rowsMarkedDeleted: 4, durationMs: 1000 };

  it('says when the run was a reconcile, in both languages', () => {
    expect(getOpsMessages('pt-BR').getCompleted('7', { ...result, reconcile: true })).toBe(
      'Job 7 concluído (incremental, reconciliação): 11999 lidas, 11999 gravadas, 0 ignoradas, 4 marcadas como removidas em 1 s.',
    );
    expect(getOpsMessages('en').getCompleted('7', { ...result, reconcile: true })).toMatch(/^Job 7 completed \(incremental, reconcile\): /);
    expect(getOpsMessages('pt-BR').getCompleted('7', { ...result, reconcile: false })).toMatch(/^Job 7 concluído \(incremental\): /);
    // The configuration's word for a full refresh (modo = completo), not the API's English value.
    expect(getOpsMessages('pt-BR').getCompleted('7', { ...result, mode: 'full' })).toMatch(/^Job 7 concluído \(completo\): /);
  });

  it('counts the rows whose key the source repeated (the last one written), in both languages', () => {
    expect(getOpsMessages('pt-BR').getCompleted('7', { ...result, rowsSkipped: 1, rowsDuplicateKey: 1 })).toContain(
      '1 ignoradas (1 com chave repetida na origem: gravada a última), 4 marcadas',
    );
    expect(getOpsMessages('en').getCompleted('7', { ...result, rowsSkipped: 1, rowsDuplicateKey: 1 })).toContain(
      '1 skipped (1 with a key repeated at the source: the last one written), 4 marked',
    );
  });
});
