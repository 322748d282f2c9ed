import type { FastifyBaseLogger } from 'fastify';

/** Why the listener refused a PBX request (a label of integrador_cti_listener_refused_total and of the warn line). */
export type ListenerRefusal = 'unknown-file' | 'unknown-tenant' | 'address-not-allowed' | 'bad-parameters' | 'unsupported-media';

/** What a refusal's warn line may say: never the path (it may hold a tenant's token) nor a parameter's value. */
export interface ListenerRefusalDetails {
  empresaId?: number | undefined;
  /** The PBX's address as the allowlist saw it (the reason for address-not-allowed). */
  address?: string | undefined;
  host?: string | undefined;
  /** How the request named its tenant: a path token (never logged) or the Host's label. */
  via?: 'path' | 'host';
  /** The parameters that failed (their names only). */
  fields?: string[];
}

/**
 * The listener's refusals, made visible to the operator setting a PBX up (trial CTI 3, finding 7): PBXs show no HTTP
 * answer, so a wrong token, an allowlist typo or parameters the listener does not take made calls stop silently. Each
 * refusal is counted (onRefused: the Prometheus counter) and logged at warn — at most one line per reason and tenant
 * every `intervalMs`, with how many were left out since, so a PBX hammering a wrong URL cannot flood the log.
 */
export class ListenerRefusals {
  private readonly lastLine = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly onRefused: ((reason: ListenerRefusal, empresaId: number | undefined) => void) | undefined,
    private readonly intervalMs = 60_000,
  ) {}

  note(reason: ListenerRefusal, details: ListenerRefusalDetails, now = Date.now()): void {
    this.onRefused?.(reason, details.empresaId);
    const key = `${reason}:${details.empresaId ?? ''}`;
    const last = this.lastLine.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    // Bounded: a key is one reason and one tenant; an unknown tenant is one key whatever the token or host.
    if (this.lastLine.size > 10_000) this.lastLine.clear();
    this.lastLine.set(key, { at: now, suppressed: 0 });
    this.log.warn(
      { reason, ...details, ...(last?.suppressed ? { suppressed: last.suppressed } : {}) },
      'cti listener refused a pbx request',
    );
  }
}
