/** One queue per kind of work; each has its own worker app so it scales on its own. */
export const QUEUE_NAMES = ['set', 'get', 'cti', 'webhook'] as const;

export type QueueName = (typeof QUEUE_NAMES)[number];

/** True when the text names one of the fleet's queues. */
export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}
