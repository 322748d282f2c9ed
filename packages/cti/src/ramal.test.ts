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

  it("drops only Asterisk's own channel suffix: an extension name holding a '-' stays whole", () => {
    const read = (values: string[]) => values.map((value) => [value, ramalOf(value)]);
    expect(
      read([
        'SIP/SIP-200',
        'PJSIP/SIP-200-0000001a',
        'SIP/SIP-200-0000001A',
        'PJSIP/ramal-201-0000001a',
        'PJSIP/201-0000001a',
        'PJSIP/201-ffffffff',
        'IAX2/201-12345',
        'DAHDI/201-1',
        'Local/201@ctx',
        'Local/201@from-internal-00000001;1',
        'Local/SIP-200@from-internal-0000002b;2',
        'SIP/201@pbx.example.com',
        'SIP-200',
        'PJSIP/201-000001a',
      ]),
    ).toEqual([
      ['SIP/SIP-200', 'SIP-200'],
      ['PJSIP/SIP-200-0000001a', 'SIP-200'],
      ['SIP/SIP-200-0000001A', 'SIP-200'],
      ['PJSIP/ramal-201-0000001a', 'ramal-201'],
      ['PJSIP/201-0000001a', '201'],
      ['PJSIP/201-ffffffff', '201'],
      ['IAX2/201-12345', '201'],
      ['DAHDI/201-1', '201'],
      ['Local/201@ctx', '201'],
      ['Local/201@from-internal-00000001;1', '201'],
      ['Local/SIP-200@from-internal-0000002b;2', 'SIP-200'],
      ['SIP/201@pbx.example.com', '201'],
      ['SIP-200', 'SIP-200'],
      // Seven hex digits are no Asterisk suffix: part of the peer's name.
      ['PJSIP/201-000001a', '201-000001a'],
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
