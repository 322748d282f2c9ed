/** Every key the fleet writes itself (besides BullMQ's) shares the prefix and so its Cluster hash tag. */
export function statsKey(prefix: string, queue: string): string {
  return `${prefix}:stats:${queue}`;
}
