import type { JobEvent } from '@integrador/store';

/**
 * A failed SET job's event as worker-set records it (row 19, one attempt, the receptor's refusal), with `fields`
 * over it: the rows a dashboard search or grouping test seeds registro_jobs with.
 */
export function failedJobEvent(fields: Partial<JobEvent> & Pick<JobEvent, 'empresaId' | 'jobId'>): JobEvent {
  return {
    filialId: null,
    fila: 'set',
    nomeJob: 'integration.run',
    integracaoId: 19,
    parametros: null,
    estado: 'falhou',
    tentativas: 1,
    maxTentativas: 1,
    erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'recusado' },
    ...fields,
  };
}
