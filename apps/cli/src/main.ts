import { outboundLoopbackAllowed, preferredLocale } from '@integrador/config';
import { allowLoopbackOutbound } from '@integrador/connections';
import { CommanderError } from 'commander';
import type { Cli } from './cli-context';
import { printError } from './cli-context';
import { describeError } from './describe-error';
import { DEFAULT_LOCALE, type Locale, localeFromArgv, messages } from './messages';
import { buildProgram } from './program';

/** The language of the run: --lang, else the environment's (INTEGRADOR_LANG, LC_ALL, LC_MESSAGES, LANG), else pt-BR. */
function chooseLocale(argv: string[]): Locale {
  return localeFromArgv(argv) ?? preferredLocale() ?? DEFAULT_LOCALE;
}

/** Runs the CLI; failures print one line to stderr and give exit code 1 (usage errors 2), never a stack trace. */
async function run(argv: string[]): Promise<void> {
  let cli: Cli = { locale: DEFAULT_LOCALE, text: messages(DEFAULT_LOCALE) };
  try {
    const locale = chooseLocale(argv.slice(2));
    cli = { locale, text: messages(locale) };
    // The operator's OUTBOUND_ALLOW_LOOPBACK, for the commands that reach a connection from this process.
    allowLoopbackOutbound(outboundLoopbackAllowed());
    await buildProgram(cli).parseAsync(argv);
  } catch (err) {
    // Commander already printed its message (or the help); only the exit code is left to set.
    if (err instanceof CommanderError) {
      // Help and --version end with 0; a usage error (unknown command or option, missing argument) with 2, as is usual.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    printError(`${cli.text.errorPrefix}: ${describeError(err, cli.text, cli.locale)}`);
    process.exitCode = 1;
  }
}

run(process.argv).catch((err: unknown) => {
  printError(String(err));
  process.exitCode = 1;
});
