import { defineCatalogue, type Locale } from '@integrador/i18n';

/**
 * BullMQ's job states as a sentence in each language says them, plus `blocked` (a flow step waiting on a failed
 * prerequisite) and `unknown` (BullMQ's answer for a job that is gone). The API's stateLabel and the CLI use these.
 */
const JOB_STATES = defineCatalogue({
  waiting: { 'pt-BR': 'aguardando', en: 'waiting' },
  active: { 'pt-BR': 'em execução', en: 'active' },
  delayed: { 'pt-BR': 'adiado', en: 'delayed' },
  prioritized: { 'pt-BR': 'aguardando', en: 'waiting' },
  completed: { 'pt-BR': 'concluído', en: 'completed' },
  failed: { 'pt-BR': 'falhou', en: 'failed' },
  'waiting-children': { 'pt-BR': 'aguardando dependências', en: 'waiting for its prerequisites' },
  blocked: { 'pt-BR': 'bloqueado', en: 'blocked' },
  unknown: { 'pt-BR': 'desconhecido (não existe mais ou nunca existiu)', en: 'unknown (gone, or never existed)' },
});

/** A job state in a locale, for a sentence in that locale (a state not listed stays as BullMQ named it). */
export function jobStateName(locale: Locale, state: string): string {
  return JOB_STATES.has(state) ? JOB_STATES.message(locale, state) : state;
}
