import { defineCatalogue, type Locale } from '@integrador/i18n';
import { type JobName, type JobPayload, jobDefinition, type QueueName, RETENTION, validatePayload } from '@integrador/jobs';
import { defaultRepeatStrategy, type JobSchedulerJson, type Queue } from 'bullmq';

/** A BullMQ job scheduler as the fleet reads it back. */
export interface SchedulerState {
  id: string;
  pattern: string | null;
  tz: string | null;
  /** When the scheduler produces its next job (epoch ms), null when it has none. */
  next: number | null;
  name: string;
  data: unknown;
}

/** What one scheduler should produce: a cron in a time zone and the job (validated like any enqueued job). */
export interface SchedulerSpec<Q extends QueueName, N extends JobName<Q>> {
  id: string;
  pattern: string;
  tz: string;
  name: N;
  data: JobPayload<Q, N>;
}

/**
 * A cron text BullMQ (cron-parser) refuses, or whose shape the documented syntax refuses; the message is in English
 * (cron-parser's own words, or the shape's), `problem` what a reader's language words (reason).
 */
export class InvalidCronError extends Error {
  override name = 'InvalidCronError';
  /** The common problem it is (a field count, a step, a value or range out of its field), null for another. */
  readonly problem: CronShapeProblem | null;
  constructor(
    readonly pattern: string,
    options: ErrorOptions,
    problem?: CronShapeProblem,
  ) {
    super(`invalid cron "${pattern}": ${(options.cause as Error).message}`, options);
    this.problem = problem ?? cronParserProblem(options.cause);
  }

  /** Why, in the locale: a common problem in its words, another in cron-parser's (English) words only in English. */
  reason(locale: Locale): string {
    if (this.problem) return cronShapeText(locale, this.problem);
    return locale === 'en' ? (this.cause as Error).message : CRON_UNREADABLE['pt-BR'];
  }
}

/** A cron cron-parser refuses for a reason of its own not worded here (a garbled text): said without its English. */
const CRON_UNREADABLE = { 'pt-BR': 'o agendador não entende esse texto como cron' } as const;

/**
 * cron-parser's refusals a user meets most, as problems worded in each language (its messages are English): a value
 * or a range outside its field ("Constraint error, got value 61 expected range 0-59") and characters no cron has.
 */
export function cronParserProblem(cause: unknown): CronShapeProblem | null {
  const message = cause instanceof Error ? cause.message : String(cause);
  const value = /^Constraint error, got value (\S+) expected range (\d+)-(\d+)/.exec(message);
  if (value) return { code: 'CRON_VALUE_OUT_OF_RANGE', params: { got: value[1] ?? '', min: Number(value[2]), max: Number(value[3]) } };
  const range = /^Constraint error, got range (\S+) expected range (\d+)-(\d+)/.exec(message);
  if (range) return { code: 'CRON_VALUE_OUT_OF_RANGE', params: { got: range[1] ?? '', min: Number(range[2]), max: Number(range[3]) } };
  const characters = /^Invalid characters, got value: (.*)$/.exec(message);
  if (characters) return { code: 'CRON_INVALID_CHARACTERS', params: { got: characters[1] ?? '' } };
  return null;
}

/** Each field's values, seconds first (cron-parser's constraints; weekday 7 is Sunday again). */
const CRON_FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** A cron's shape refused (cronShapeProblem): a code and the values its wording (CRON_SHAPE_TEXTS) is filled with. */
export type CronShapeProblem =
  | { code: 'CRON_FIELD_COUNT'; params: { count: number } }
  | { code: 'CRON_STEP_TOO_WIDE'; params: { step: number; min: number; max: number } }
  // cron-parser's own refusals (cronParserProblem), worded the same way.
  | { code: 'CRON_VALUE_OUT_OF_RANGE'; params: { got: string; min: number; max: number } }
  | { code: 'CRON_INVALID_CHARACTERS'; params: { got: string } };

/** The wording of each cron shape problem, in pt-BR and English ({name}: its params). */
export const CRON_SHAPE_TEXTS = defineCatalogue<CronShapeProblem['code']>({
  CRON_FIELD_COUNT: {
    'pt-BR': 'esperados 5 campos (minuto hora dia mês dia-da-semana) ou 6 com os segundos primeiro, recebidos {count}',
    en: 'expected 5 fields (minute hour day month weekday) or 6 with seconds first, got {count}',
  },
  CRON_STEP_TOO_WIDE: {
    'pt-BR': 'o passo /{step} é maior que o intervalo {min}-{max} do seu campo',
    en: "step /{step} is wider than its field's {min}-{max} range",
  },
  CRON_VALUE_OUT_OF_RANGE: {
    'pt-BR': 'o valor {got} está fora do intervalo {min}-{max} do seu campo',
    en: "value {got} is outside its field's {min}-{max} range",
  },
  CRON_INVALID_CHARACTERS: {
    'pt-BR': '"{got}" tem caracteres que um cron não usa',
    en: '"{got}" holds characters a cron does not use',
  },
});

/** A cron shape problem worded in the locale. */
export function cronShapeText(locale: Locale, problem: CronShapeProblem): string {
  return CRON_SHAPE_TEXTS.message(locale, problem.code, problem.params);
}

/**
 * What cron-parser (and so BullMQ) lets through but the documented syntax refuses: other than 5 fields (or 6 with
 * seconds first) — it silently pads fewer, so a 4-field pattern ran daily at midnight —, and a step wider than its
 * field (a minute step of 61), which cron-parser refuses only in its strict mode, unusable here (that mode wants 6
 * fields and no day of month together with day of week). Values and ranges, and its nicknames (`@daily`), are left to
 * cron-parser: callers parse with it first.
 */
export function cronShapeProblem(pattern: string): CronShapeProblem | null {
  // A nickname (@daily, @hourly…) is one fixed pattern: cron-parser, which every caller asks first, knows which exist.
  if (/^@[a-z]+$/.test(pattern.trim())) return null;
  const atoms = pattern.trim().split(/\s+/);
  if (atoms.length !== 5 && atoms.length !== 6) return { code: 'CRON_FIELD_COUNT', params: { count: atoms.length } };
  const fields = atoms.length === 5 ? CRON_FIELDS.slice(1) : CRON_FIELDS;
  for (const [index, atom] of atoms.entries()) {
    const field = fields[index];
    if (!field) continue;
    for (const part of atom.split(',')) {
      const step = /\/(\d+)$/.exec(part)?.[1];
      const width = field.max - field.min + 1;
      if (step !== undefined && Number(step) > width)
        return { code: 'CRON_STEP_TOO_WIDE', params: { step: Number(step), min: field.min, max: field.max } };
    }
  }
  return null;
}

/**
 * The next time (epoch ms) a cron fires after `from`, computed as BullMQ's schedulers do; throws InvalidCronError for a
 * text BullMQ cannot parse or that is not 5 fields (or 6 with seconds first) with steps within their fields.
 */
export function nextCronTime(pattern: string, tz: string, from = Date.now()): number | null {
  let next: number | undefined;
  try {
    next = defaultRepeatStrategy(from, { pattern, tz });
  } catch (err) {
    throw new InvalidCronError(pattern, { cause: err });
  }
  // cron-parser's own reason first (a garbled text); then what it pads or lets through.
  const shape = cronShapeProblem(pattern);
  if (shape !== null) throw new InvalidCronError(pattern, { cause: new Error(cronShapeText('en', shape)) }, shape);
  return next ?? null;
}

function stateOf(s: JobSchedulerJson): SchedulerState {
  return { id: s.key, pattern: s.pattern ?? null, tz: s.tz ?? null, next: s.next ?? null, name: s.name, data: s.template?.data };
}

/** Every job scheduler of a queue. */
export async function listSchedulers(queue: Queue): Promise<SchedulerState[]> {
  return (await queue.getJobSchedulers(0, -1, true)).map(stateOf);
}

/** One job scheduler, or undefined. */
export async function getScheduler(queue: Queue, id: string): Promise<SchedulerState | undefined> {
  const found = await queue.getJobScheduler(id);
  return found ? stateOf(found) : undefined;
}

/**
 * Creates or updates a scheduler; the produced jobs get the job kind's attempts/backoff and the fleet's retention,
 * like enqueued ones. A cron BullMQ cannot parse throws InvalidCronError before anything is written.
 */
export async function upsertScheduler<Q extends QueueName, N extends JobName<Q>>(
  queue: Queue,
  queueName: Q,
  spec: SchedulerSpec<Q, N>,
): Promise<void> {
  nextCronTime(spec.pattern, spec.tz);
  const data = validatePayload(queueName, spec.name, spec.data);
  const policy = jobDefinition(queueName, spec.name)?.policy;
  await queue.upsertJobScheduler(
    spec.id,
    { pattern: spec.pattern, tz: spec.tz },
    { name: spec.name, data, opts: { attempts: policy?.attempts, backoff: policy?.backoff, ...RETENTION } },
  );
}

/** Removes a scheduler (and its pending next job); true when it existed. */
export async function removeScheduler(queue: Queue, id: string): Promise<boolean> {
  return queue.removeJobScheduler(id);
}
