import { ramalOf } from './ramal';

// The one ramal rule every entry point reads a ramal with (listener URLs, API, CLI, dashboard, click-to-call).
describe('ramalOf', () => {
  it('drops surrounding spaces and reads a PBX channel as the extension it names', () => {
    const read = (values: string[]) => values.map((value) => [value, ramalOf(value)]);
    expect(
      read(['201', '201 ', '  201', 'SIP/201', 'sip/201', 'PJSIP/201-0000001a', 'IAX2/201', 'DAHDI/201', 'Local/201@from-internal']),
    ).toEqual([
      ['201', '201'],
      ['201 ', '201'],
      ['  201', '201'],
      ['SIP/201', '201'],
      ['sip/201', '201'],
      ['PJSIP/201-0000001a', '201'],
      ['IAX2/201', '201'],
      ['DAHDI/201', '201'],
      ['Local/201@from-internal', '201'],
    ]);
    // Extension names with letters and signs stay as they are.
    expect(read(['SIP-200', '*31#', 'R201'])).toEqual([
      ['SIP-200', 'SIP-200'],
      ['*31#', '*31#'],
      ['R201', 'R201'],
    ]);
  });

  it('names no ramal for spaces inside, control characters, other signs, another technology or over 20 characters', () => {
    for (const value of [
      '20 1',
      '201\n',
      '\t201',
      '201!',
      'XMPP/201',
      'SIP/',
      'SIP/20 1',
      '',
      '   ',
      '1'.repeat(21),
      `SIP/${'1'.repeat(21)}`,
    ]) {
      expect({ value, ramal: ramalOf(value) }).toEqual({ value, ramal: undefined });
    }
  });
});
