/**
 * How long a worker app's cluster primary (WORKER_PROCESSES > 1) waits for its processes beyond their own
 * SHUTDOWN_TIMEOUT_MS before it exits anyway; whoever stops a primary (the fleet) waits longer than this.
 */
export const CLUSTER_STOP_MARGIN_MS = 5000;
