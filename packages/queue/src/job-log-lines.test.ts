import { notWrittenBackNote, setAttemptLogLine, showJobLogLine } from './job-log-lines';

describe('job log lines: ours worded per language, anything else as written', () => {
  it('words an attempt line in pt-BR and English from its code and values', () => {
    const line = setAttemptLogLine({ recordKey: '7', url: 'https://erp.example/g5', error: 'HTTP 500' });
    expect(JSON.parse(line)).toEqual({
      code: 'SET_RECORD_FAILED',
      params: { recordKey: '7', url: 'https://erp.example/g5', error: 'HTTP 500' },
    });
    // One language per line (the trial's F11): the transport's own text apart, as the detail.
    expect(showJobLogLine('pt-BR', line)).toEqual({
      code: 'SET_RECORD_FAILED',
      text: 'Registro 7: o envio a https://erp.example/g5 falhou.',
      detail: 'HTTP 500',
    });
    expect(showJobLogLine('en', line)).toMatchObject({ text: 'Record 7: sending to https://erp.example/g5 failed.', detail: 'HTTP 500' });
  });

  it('reads the bare {recordKey, url, error} lines written before the codes as the same codes', () => {
    const old = JSON.stringify({ recordKey: '8', url: 'https://erp.example/g5', error: null });
    expect(showJobLogLine('pt-BR', old)).toEqual({ code: 'SET_RECORD_SENT', text: 'Registro 8: enviado a https://erp.example/g5.' });
  });

  it('names a record by its row id as `id 14`, as the CLI and the failure reasons do (trial 4 #5)', () => {
    const line = setAttemptLogLine({ recordKey: 'id14', url: 'https://erp.example/g5', error: null });
    expect(showJobLogLine('pt-BR', line).text).toBe('Registro id 14: enviado a https://erp.example/g5.');
    expect(showJobLogLine('en', line).text).toBe('Record id 14: sent to https://erp.example/g5.');
    expect(notWrittenBackNote('pt-BR', 'id7', ['codCli'], true)).toMatch(/^Registro id 7: aceito pelo receptor/);
  });

  it.each([
    'Missing lock for job 12. moveToFinished',
    '{"recordKey":"9","url":null,"error":null,"extra":1}',
    '{"code":"SOMETHING_ELSE","params":{}}',
    '{not json',
    '[1,2]',
  ])('leaves a line that is not ours as written: %s', (line) => {
    expect(showJobLogLine('pt-BR', line)).toEqual({ code: null, text: line });
  });
});
