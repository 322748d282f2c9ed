/** The Redis key of a BullMQ job: `<prefix>:<queue>:<id>` (how parentKey and getChildrenValues name jobs). */
export function jobKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:${jobId}`;
}

/** Splits a job key of this prefix into queue and id; undefined for a key of another prefix. */
export function parseJobKey(prefix: string, key: string): { queue: string; jobId: string } | undefined {
  if (!key.startsWith(`${prefix}:`)) return undefined;
  const rest = key.slice(prefix.length + 1);
  const at = rest.indexOf(':');
  return at > 0 ? { queue: rest.slice(0, at), jobId: rest.slice(at + 1) } : undefined;
}
