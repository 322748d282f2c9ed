import { type Config, loadConfig } from '@integrador/config';
import { type CrmDatabase, createDatabase } from '@integrador/store';
import { CliError } from './cli-error';
import type { Locale, Messages } from './messages';

/** What every command gets: the chosen language and its texts. */
export interface Cli {
  locale: Locale;
  text: Messages;
}

/** Writes one line to stdout. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a value as indented JSON to stdout. */
export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Writes one line to stderr. */
export function printError(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Opens the CRM database of the configuration (loaded from the environment unless given), runs `work` and always destroys the handle
 * (an open PostgreSQL or MySQL pool would keep the process alive).
 */
export async function withDatabase<T>(work: (database: CrmDatabase) => Promise<T>, config: Config = loadConfig()): Promise<T> {
  const database = createDatabase(config.databaseUrl, { poolSize: 2, applicationName: 'integrador-cli' });
  try {
    return await work(database);
  } finally {
    // The command's own error, if any, is the one worth reporting.
    await database.destroy().catch(() => undefined);
  }
}

/** A positive integer id argument, or a CliError naming it. */
export function parseId(cli: Cli, label: string, value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(id) || id < 1) throw new CliError(cli.text.invalidId(label, value));
  return id;
}

/** A trimmed, non-empty text of at most `max` characters (the column's size), or a CliError naming it. */
export function requireText(cli: Cli, label: string, value: string, max: number): string {
  const text = value.trim();
  if (text === '' || text.length > max) throw new CliError(cli.text.invalidText(label, max));
  return text;
}
