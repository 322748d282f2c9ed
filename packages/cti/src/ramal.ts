import { RAMAL_MAX_LENGTH, RAMAL_PATTERN } from '@integrador/jobs';

/**
 * What a ramal (extension) may be — one rule for the PBX listeners, the API (pop tokens, click-to-call, the call-log
 * filter), the CLI and the cti job payloads: digits, and the letters and signs some PBXs put in extension names, up to
 * usuarios.ramal's 20. Written in @integrador/jobs (its payload schemas check it; cti depends on jobs), exported here.
 */
export { RAMAL_MAX_LENGTH, RAMAL_PATTERN };

const RAMAL = new RegExp(RAMAL_PATTERN);

export function isRamal(value: string): boolean {
  return RAMAL.test(value);
}

/** What a ramal takes, for a message naming a refused one. */
export const RAMAL_TAKES = {
  'pt-BR': `até ${RAMAL_MAX_LENGTH} caracteres entre letras, dígitos, *, # e -`,
  en: `up to ${RAMAL_MAX_LENGTH} letters, digits, *, # or -`,
} as const;
