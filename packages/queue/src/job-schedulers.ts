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

/** A cron text BullMQ (cron-parser) refuses; the message is cron-parser's. */
export class InvalidCronError extends Error {
  override name = 'InvalidCronError';
  constructor(
    readonly pattern: string,
    options: ErrorOptions,
  ) {
    super(`invalid cron "${pattern}": ${(options.cause as Error).message}`, options);
  }
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
  | { code: 'CRON_STEP_TOO_WIDE'; params: { step: number; min: number; max: number } };

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
  if (shape !== null) throw new InvalidCronError(pattern, { cause: new Error(cronShapeText('en', shape)) });
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
