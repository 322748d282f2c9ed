import { defineCatalogue, type Locale } from '@integrador/i18n';

/** BullMQ's job states as a sentence in each language says them (the English ones are BullMQ's own names). */
const JOB_STATES = defineCatalogue({
  completed: { 'pt-BR': 'concluído', en: 'completed' },
  failed: { 'pt-BR': 'falhou', en: 'failed' },
  active: { 'pt-BR': 'em execução', en: 'active' },
  waiting: { 'pt-BR': 'na fila', en: 'waiting' },
  prioritized: { 'pt-BR': 'na fila (priorizado)', en: 'prioritized' },
  'waiting-children': { 'pt-BR': 'aguardando os jobs de que depende', en: 'waiting-children' },
  delayed: { 'pt-BR': 'adiado', en: 'delayed' },
  unknown: { 'pt-BR': 'desconhecido (não existe mais ou nunca existiu)', en: 'unknown' },
});

/** A BullMQ job state in a locale, for a sentence in that locale (an unknown state stays as BullMQ named it). */
export function jobStateName(locale: Locale, state: string): string {
  return JOB_STATES.has(state) ? JOB_STATES.message(locale, state) : state;
}
