import { parseApiKey } from '@integrador/store';
import { type Cli, print } from './cli-context';

/**
 * Shows a freshly issued key once, on its own line, with the warning that it cannot be shown again; a filial's key says
 * whose it is and what it reaches (only the filial's data), and how to get the whole empresa's.
 */
export function printIssuedKey(cli: Cli, name: string, apiKey: string, owner?: { empresaId: number; filialId: number | null }): void {
  const prefix = parseApiKey(apiKey)?.prefix ?? '?';
  const filialId = owner?.filialId ?? null;
  print(filialId === null ? cli.text.keyIssued(name, prefix) : cli.text.filialKeyIssued(name, prefix, filialId));
  print(apiKey);
  if (filialId !== null && owner) print(cli.text.filialKeyScope(owner.empresaId));
  print(cli.text.keyWarning);
}

/** The prefix of a key given as the prefix itself, as "igk_<prefix>" or as the whole key. */
export function keyPrefixOf(text: string): string {
  const trimmed = text.trim();
  return parseApiKey(trimmed)?.prefix ?? trimmed.replace(/^igk_/, '');
}
