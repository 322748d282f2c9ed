import { parseApiKey } from '@integrador/store';
import { type Cli, print } from './cli-context';

/** Shows a freshly issued key once, on its own line, with the warning that it cannot be shown again. */
export function printIssuedKey(cli: Cli, name: string, apiKey: string): void {
  print(cli.text.keyIssued(name, parseApiKey(apiKey)?.prefix ?? '?'));
  print(apiKey);
  print(cli.text.keyWarning);
}

/** The prefix of a key given as the prefix itself, as "igk_<prefix>" or as the whole key. */
export function keyPrefixOf(text: string): string {
  const trimmed = text.trim();
  return parseApiKey(trimmed)?.prefix ?? trimmed.replace(/^igk_/, '');
}
