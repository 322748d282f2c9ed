import type { Command } from 'commander';
import { LOCALES, type Locale, messages } from './messages';
import { buildProgram } from './program';

/** Every command of the program, the program first. */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

// A guard over every command's help (the CLI tests run a few of them for real): one style, no internal spec names,
// no English of commander's left in pt-BR.
describe.each(LOCALES)('every command help in %s', (locale: Locale) => {
  const program = buildProgram({ locale, text: messages(locale) });
  const commands = allCommands(program).slice(1);

  it('describes each command starting in lower case (CTI aside), without a final period', () => {
    const odd = commands
      .map((command) => `${command.name()}: ${command.description()}`)
      .filter((line) => /^[\w-]+: (?!CTI|JSON)[A-Z]|\.$/.test(line));
    expect(odd).toEqual([]);
  });

  it('names no internal spec (seed 00x) and documents every option', () => {
    for (const command of commands) {
      const help = command.helpInformation();
      expect(help).not.toMatch(/seed \d{3}/);
      for (const option of command.options) expect(`${command.name()} ${option.flags}: ${option.description}`).not.toMatch(/: $/);
    }
  });

  if (locale === 'pt-BR') {
    it("shows none of commander's English words or English placeholders", () => {
      for (const command of [program, ...commands]) {
        expect(command.helpInformation()).not.toMatch(
          /\[options\]|\[command\]|<(name|queue|keyPrefix|label|list|template|method|mode|user|ref|digits|lang|tz|name=value)>/,
        );
      }
    });
  }
});
