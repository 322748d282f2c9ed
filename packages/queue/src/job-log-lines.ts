import { defineCatalogue, type Locale } from '@integrador/i18n';
import { recordKeyText } from './record-key-text';

/**
 * The lines our handlers write to a job's log (job.log, read back by getJobLogs): a code and its values as JSON, worded
 * in the reader's language where they are shown. `error` is the transport's or the receptor's own text, kept as given
 * and shown apart (`detail`): worded into the line, an English transport error made a pt-BR line speak two languages.
 */
const JOB_LOG_TEXTS = defineCatalogue({
  SET_RECORD_SENT: { 'pt-BR': 'Registro {recordKey}: enviado a {url}.', en: 'Record {recordKey}: sent to {url}.' },
  SET_RECORD_FAILED: {
    'pt-BR': 'Registro {recordKey}: o envio a {url} falhou.',
    en: 'Record {recordKey}: sending to {url} failed.',
  },
  SET_RECORD_NOT_SENT: { 'pt-BR': 'Registro {recordKey}: não enviado.', en: 'Record {recordKey}: not sent.' },
  SET_RECORD_NOT_WRITTEN_BACK: {
    'pt-BR':
      'Registro {recordKey}: aceito pelo receptor; sql_update não executado: a resposta não trouxe {keys} (indice_valor_retorno), nada foi gravado no CRM. Para não duplicá-lo no receptor, não será reenviado sozinho: corrija indice_valor_retorno / sql_update, ou reprocesse o job que o retiver.',
    en: 'Record {recordKey}: accepted by the receptor; sql_update not run: the answer lacks {keys} (indice_valor_retorno), nothing was written to the CRM. Not to duplicate it in the receptor, it will not be sent again on its own: correct indice_valor_retorno / sql_update, or retry the job that holds it.',
  },
  // A record not held back (known by its position only, or its hold released): a later run may send it again.
  SET_RECORD_NOT_WRITTEN_BACK_UNHELD: {
    'pt-BR':
      'Registro {recordKey}: aceito pelo receptor; sql_update não executado: a resposta não trouxe {keys} (indice_valor_retorno), nada foi gravado no CRM. Ele não está retido: uma próxima execução pode reenviá-lo; confira no receptor se ele já existe e corrija indice_valor_retorno / sql_update.',
    en: 'Record {recordKey}: accepted by the receptor; sql_update not run: the answer lacks {keys} (indice_valor_retorno), nothing was written to the CRM. It is not held back: a later run may send it again; check the receptor for it and correct indice_valor_retorno / sql_update.',
  },
  SET_RECORD_HELD: {
    'pt-BR':
      'Registro {recordKey}: não reenviado: o receptor já o aceitou no job {jobId} e nada foi gravado no CRM (faltou {keys}); corrija indice_valor_retorno / sql_update ou reprocesse este job para reenviá-lo.',
    en: 'Record {recordKey}: not sent again: the receptor already accepted it in job {jobId} and nothing was written to the CRM ({keys} missing); correct indice_valor_retorno / sql_update or retry this job to send it again.',
  },
});

export type JobLogCode = keyof typeof JOB_LOG_TEXTS.table;

/**
 * One log line as the reader sees it: ours worded in their language, with the failure's own text (`detail`, as the
 * transport or the receptor gave it) apart; anything else (a library's) as written.
 */
export type ShownJobLogLine = { code: JobLogCode; text: string; detail?: string } | { code: null; text: string };

interface SetAttemptLine {
  recordKey: string;
  url: string | null;
  error: string | null;
}

/** The code and values of one SET attempt's line. */
function setAttemptEntry({ recordKey, url, error }: SetAttemptLine): { code: JobLogCode; params: Record<string, string> } {
  if (error === null) return { code: 'SET_RECORD_SENT', params: { recordKey, url: url ?? '—' } };
  if (url === null) return { code: 'SET_RECORD_NOT_SENT', params: { recordKey, error } };
  return { code: 'SET_RECORD_FAILED', params: { recordKey, url, error } };
}

/** The code of a not-written-back line or note: whether the record holds back new pushes of it (retido) says which. */
const notWrittenBackCode = (held: boolean): JobLogCode => (held ? 'SET_RECORD_NOT_WRITTEN_BACK' : 'SET_RECORD_NOT_WRITTEN_BACK_UNHELD');

/** The log line of a record the receptor accepted whose sql_update did not run: the return keys its answer left out. */
export function setNotWrittenBackLogLine(recordKey: string, keys: readonly string[], held: boolean): string {
  return JSON.stringify({ code: notWrittenBackCode(held), params: { recordKey, keys: keys.join(', ') } });
}

/**
 * The note of an outbox row the receptor accepted whose sql_update did not run, in the reader's language: the same
 * words as its job's log line, from the keys the row keeps (retorno_ausente) and whether it still holds the record back.
 */
export function notWrittenBackNote(locale: Locale, recordKey: string, keys: readonly string[], held: boolean): string {
  return JOB_LOG_TEXTS.message(locale, notWrittenBackCode(held), { recordKey: recordKeyText(recordKey), keys: keys.join(', ') });
}

/** The log line of a record held back: an earlier push of it was accepted and nothing was written back. */
export function setHeldLogLine(recordKey: string, keys: readonly string[], jobId: string | null): string {
  return JSON.stringify({ code: 'SET_RECORD_HELD', params: { recordKey, keys: keys.join(', '), jobId: jobId ?? '?' } });
}

/** The log line of one SET attempt: which record went where and how it ended (the exchange itself is in the outbox). */
export function setAttemptLogLine(attempt: SetAttemptLine): string {
  return JSON.stringify(setAttemptEntry(attempt));
}

const isText = (value: unknown): value is string => typeof value === 'string';
const isTextOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';

/** A line's code and values when it is one of ours: coded, or the bare {recordKey, url, error} written before codes. */
function entryOf(line: string): { code: JobLogCode; params: Record<string, string> } | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { code, params, recordKey, url, error } = parsed as Record<string, unknown>;
  if (isText(code) && JOB_LOG_TEXTS.has(code) && params !== null && typeof params === 'object' && !Array.isArray(params)) {
    const values = Object.entries(params as Record<string, unknown>).filter((entry): entry is [string, string] => isText(entry[1]));
    return { code, params: Object.fromEntries(values) };
  }
  if (isText(recordKey) && isTextOrNull(url) && isTextOrNull(error) && Object.keys(parsed).length === 3)
    return setAttemptEntry({ recordKey, url, error });
  return undefined;
}

/** A job log line in the reader's language when it is ours; any other line as written, with `code: null`. */
export function showJobLogLine(locale: Locale, line: string): ShownJobLogLine {
  const entry = entryOf(line);
  if (!entry) return { code: null, text: line };
  const values =
    entry.params.recordKey === undefined ? entry.params : { ...entry.params, recordKey: recordKeyText(entry.params.recordKey) };
  const text = JOB_LOG_TEXTS.message(locale, entry.code, values);
  return entry.params.error ? { code: entry.code, text, detail: entry.params.error } : { code: entry.code, text };
}
