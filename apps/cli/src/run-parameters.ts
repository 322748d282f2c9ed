import type { Cli } from './cli-context';
import { CliError } from './cli-error';

/** The values given with -p: text, as the ingress receives them in a URL's query string. */
export type Parametros = Record<string, string>;

// The names and sizes the integration.run payload accepts (packages/jobs IntegrationRunPayload).
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_NAME = 100;
const MAX_VALUE = 10000;

/** Commander's collector for a repeatable option: every occurrence, in order (no default, so help shows none). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The `-p name=value` texts as parametros (a later name wins), or a CliError naming the malformed one. */
export function parseParameters(cli: Cli, texts: readonly string[]): Parametros {
  const parametros: Parametros = {};
  for (const text of texts) {
    const at = text.indexOf('=');
    const name = at < 0 ? '' : text.slice(0, at).trim();
    const value = at < 0 ? '' : text.slice(at + 1);
    if (!NAME.test(name) || name.length > MAX_NAME || value.length > MAX_VALUE) throw new CliError(cli.text.invalidParameter(text));
    parametros[name] = value;
  }
  return parametros;
}
