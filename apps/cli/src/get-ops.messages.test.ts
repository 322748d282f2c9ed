import type { ScheduleEntry } from '@integrador/integrador';
import { getOpsMessages } from './get-ops.messages';

// L5 (trial): `schedules list` printed a GET run's stored status ("concluido") rather than its word in the language.
describe('schedules list: the last run', () => {
  const entry = (status: 'executando' | 'concluido' | 'falhou'): ScheduleEntry => ({
    integracaoId: 3,
    empresaId: 2,
    nome: 'GET-BD-CLIENTES',
    cron: '*/15 * * * *',
    tz: 'America/Sao_Paulo',
    status: 'scheduled',
    nextRunAt: null,
    lastRun: {
      jobId: '7',
      trigger: 'schedule',
      status,
      mode: 'full',
      startedAt: '2026-12-06T16:30:00.000Z',
      finishedAt: '2026-12-06T16:30:00.000Z',
      rowsRead: 3,
      rowsWritten: 3,
      rowsSkipped: 0,
      rowsMarkedDeleted: 0,
      error: null,
      errorReason: null,
      errorDetail: null,
    },
  });

  it('words its status as the dashboard does, in each language', () => {
    const tz = 'America/Sao_Paulo';
    expect(getOpsMessages('pt-BR').scheduleLine(entry('concluido'), tz)).toContain('última: concluído em 2026-12-06 13:30:00 GMT-3');
    expect(getOpsMessages('pt-BR').scheduleLine(entry('executando'), tz)).toContain('última: em execução em ');
    expect(getOpsMessages('en').scheduleLine(entry('concluido'), tz)).toContain('last: completed at 2026-12-06 13:30:00 GMT-3');
  });
});
