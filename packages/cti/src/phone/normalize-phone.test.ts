import examples from 'libphonenumber-js/examples.mobile.json';
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { normalizePhone } from './normalize-phone';

/** Brazilian carrier codes (CSP) that dial abroad: 00 + CSP + country code. */
const CARRIERS = ['12', '14', '15', '21', '23', '25', '31', '41', '43', '65'];

/** libphonenumber-js's example mobile of every country but Brazil. */
const WORLD = getCountries().flatMap((country) => {
  const example = getExampleNumber(country, examples);
  if (!example || example.countryCallingCode === '55') return [];
  return [{ country, cc: example.countryCallingCode, national: example.nationalNumber, e164: example.number }];
});

/** What the text reads as, in one comparable line. */
function reading(text: string): string {
  const phone = normalizePhone(text);
  return 'e164' in phone ? `${phone.kind} ${phone.e164}` : phone.kind;
}

/** Whether the digits, dialled the Brazilian way (00 + carrier code + country code), are a valid foreign number too. */
function validBehindCarrierCode(digits: string): boolean {
  const parsed = parsePhoneNumberFromString(digits, 'BR');
  return parsed?.isValid() === true && parsed.countryCallingCode !== '55';
}

/**
 * The Brazilian E.164 behind an outside-line 0, by libphonenumber-js's BR validity: trunk 0 (+ carrier code) + DDD +
 * number as written, or a pre-2016 mobile (subscriber part starting 6–9) with the ninth digit.
 */
function brazilianBehindOutsideLine(digits: string): string | undefined {
  const written = parsePhoneNumberFromString(digits.slice(1), 'BR');
  if (written?.isValid() && written.countryCallingCode === '55') return written.number;
  const national = digits.slice(2);
  if (national.length !== 10 || !/^\d\d[6-9]/.test(national)) return undefined;
  const mobile = parsePhoneNumberFromString(`${national.slice(0, 2)}9${national.slice(2)}`, 'BR');
  return mobile?.isValid() && mobile.countryCallingCode === '55' && mobile.getType() === 'MOBILE' ? mobile.number : undefined;
}

describe('normalizePhone on every country’s example number', () => {
  it('has the whole world to check', () => {
    expect(WORLD.length).toBeGreaterThan(200);
  });

  it.each(CARRIERS)("reads 00 + carrier code %s + country code + number back as that country's number", (carrier) => {
    const wrong = WORLD.map(({ country, cc, national, e164 }) => ({ country, text: `00${carrier}${cc}${national}`, e164 })).filter(
      ({ text, e164 }) => reading(text) !== `internacional ${e164}`,
    );
    expect(wrong.map(({ country, text }) => `${country} ${text} → ${reading(text)}`)).toEqual([]);
  });

  it("reads 00 + country code + number back as that country's number, unless a carrier code or a national reading is valid", () => {
    const misread = WORLD.filter(({ cc, national, e164 }) => reading(`00${cc}${national}`) !== `internacional ${e164}`);
    // Ambiguous examples, derived from libphonenumber-js rather than listed: the digits after 00 start with a carrier
    // code and what follows is another country's valid number (the carrier code reading wins: the rule of the next
    // suite), or they are outside-line 0 + trunk 0 + DDD + a valid Brazilian number (the national reading wins).
    const ambiguous = WORLD.filter(({ cc, national }) => {
      const digits = `00${cc}${national}`;
      return validBehindCarrierCode(digits) || brazilianBehindOutsideLine(digits) !== undefined;
    });
    expect(misread.map(({ country }) => country)).toEqual(ambiguous.map(({ country }) => country));
    expect(misread.length).toBeLessThan(WORLD.length / 4);
    for (const { cc, national } of misread) {
      const digits = `00${cc}${national}`;
      const carrier = parsePhoneNumberFromString(digits, 'BR');
      const expected = validBehindCarrierCode(digits)
        ? `internacional ${carrier?.number}`
        : `nacional ${brazilianBehindOutsideLine(digits)}`;
      expect(`${digits} → ${reading(digits)}`).toBe(`${digits} → ${expected}`);
    }
  });
});

describe("normalizePhone with '00' + a foreign country code", () => {
  it.each([
    ['0041 44 668 1800', '+41446681800'], // Switzerland: '44 668 1800' behind carrier code 41 is no British number
    ['0044 20 7946 0958', '+442079460958'], // United Kingdom: 0 + 44 (Maringá) + 10 digits is no Brazilian number
    ['0033 1 42 68 53 00', '+33142685300'], // France
    ['001 212 555 1234', '+12125551234'], // United States: DDD 01 does not exist
  ])("reads %s as that country's when no national reading is valid", (text, e164) => {
    expect(brazilianBehindOutsideLine(text.replace(/\D/g, ''))).toBeUndefined();
    expect(reading(text)).toBe(`internacional ${e164}`);
  });

  it.each([
    // Joinville / Blumenau (DDD 47, Norway's code): a landline and a pre-2016 mobile (ninth digit inserted).
    ['004733229900', '+554733229900', '+4733229900'],
    ['004799123456', '+5547999123456', '+4799123456'],
    ['006232101234', '+556232101234', '+6232101234'], // Goiânia (DDD 62, Indonesia's code)
    // Uberlândia's mobile, not Spain's Madrid number: the trade-off — Spain is dialled '+34…' or '00' + carrier code.
    ['0034 91 123 45 67', '+5534911234567', '+34911234567'],
    ['0011 98765 4321', '+5511987654321', 'no number (no country code 11)'], // São Paulo
  ])('reads %s (outside-line 0 + trunk 0 + DDD) as the Brazilian %s, not as %s', (text, national, foreign) => {
    const digits = text.replace(/\D/g, '');
    // Both readings are valid: the rule decides, not validity.
    expect(parsePhoneNumberFromString(`+${digits.slice(2)}`)?.isValid() ?? false).toBe(foreign.startsWith('+'));
    expect(validBehindCarrierCode(digits)).toBe(false);
    expect(reading(text)).toBe(`nacional ${national}`);
    if (foreign.startsWith('+')) expect(reading(`+${digits.slice(2)}`)).toBe(`internacional ${foreign}`);
  });

  it("keeps the carrier code reading before the national one, and '+' forms foreign", () => {
    expect(reading('0021 1 212 555 0100')).toBe('internacional +12125550100');
    expect(reading('+47 3322 9900')).toBe('internacional +4733229900');
    expect(reading('0055 47 3322 9900')).toBe('nacional +554733229900');
  });
});

describe("normalizePhone when '00' + carrier code + country code and '00' + country code are both valid", () => {
  it.each([
    // Sercomtel's 43 before New York, not Vienna (+43 1 2125550100).
    ['0043 1 212 555 0100', '+12125550100', '+4312125550100'],
    // Sercomtel's 43 before a Spanish mobile, not Austria's; GVT's 25 before a Danish number, not Kenya's.
    ['0043 34 612 345 678', '+34612345678', '+4334612345678'],
    ['0025 45 3441 2345', '+4534412345', '+254534412345'],
  ])('%s is the carrier code reading %s (not %s)', (text, carrierReading, countryReading) => {
    const digits = text.replace(/\D/g, '');
    // Both readings are valid numbers: the rule decides, not validity.
    expect(parsePhoneNumberFromString(`+${digits.slice(2)}`)?.isValid()).toBe(true);
    expect(validBehindCarrierCode(digits)).toBe(true);
    expect(reading(text)).toBe(`internacional ${carrierReading}`);
    expect(reading(`+${digits.slice(2)}`)).toBe(`internacional ${countryReading}`);
  });

  it("keeps '00' + country code when the number behind the carrier code is not valid", () => {
    // 43 + '1 2125550100' holds no valid number of country 1 (10 digits after it, one too many here): Vienna.
    expect(validBehindCarrierCode('0043121255501001')).toBe(false);
    expect(reading('0043 1 21255 50100 1')).toBe('internacional +43121255501001');
    // Austria's own mobile: '664 123456' behind carrier 43 is no Thai number.
    expect(reading('0043 664 123456')).toBe('internacional +43664123456');
  });
});

// The documented trade-off (README, CTI numbers): '00' + a DDD that is also a carrier code (Rio's 21, Belo Horizonte's
// 31, Curitiba's 41…) + a Brazilian number whose digits are a valid foreign number behind that carrier code reads as
// foreign. The other order is worse for the example numbers of the world: derived here, not listed.
describe("normalizePhone when '00' + carrier code + country code and '00' + DDD are both valid", () => {
  /** The Brazilian reading of the digits after an outside-line 0, only as trunk 0 + DDD + 8 or 9 digits. */
  const dddReading = (digits: string) => {
    const national = digits.slice(2);
    const parsed = national.length >= 10 && national.length <= 11 ? parsePhoneNumberFromString(national, 'BR') : undefined;
    return parsed?.isValid() && parsed.countryCallingCode === '55' ? parsed.number : undefined;
  };
  const carrierForms = WORLD.flatMap(({ country, cc, national }) =>
    CARRIERS.map((carrier) => ({ country, digits: `00${carrier}${cc}${national}` })),
  );

  it('reads 0021 3529 2029 as Luxembourg’s, not Rio’s (the carrier-code reading wins); 0 + DDD and +55 stay Rio’s', () => {
    expect(dddReading('002135292029')).toBe('+552135292029');
    expect(validBehindCarrierCode('002135292029')).toBe(true);
    expect(reading('0021 3529 2029')).toBe('internacional +35292029');
    expect(reading('021 3529 2029')).toBe('nacional +552135292029');
    expect(reading('+55 21 3529 2029')).toBe('nacional +552135292029');
    expect(reading('0021 95845 5327')).toBe('internacional +958455327');
  });

  it('the national reading first would misread more carrier-coded foreign numbers (192 of 2440 examples)', () => {
    // Every carrier-coded form reads back as its country's today (the suite above); a national reading first would take
    // those that are also a valid Brazilian number behind an outside-line 0, with or without a carrier code.
    const nationalFirst = carrierForms.filter(({ digits }) => brazilianBehindOutsideLine(digits) !== undefined);
    expect([nationalFirst.length, carrierForms.length]).toEqual([192, 2440]);
    // Even limited to 12–13 digits ('00' + DDD + 8 or 9), it would misread these countries' numbers.
    const shortForms = carrierForms.filter(({ digits }) => dddReading(digits) !== undefined);
    expect([...new Set(shortForms.map(({ country }) => country))]).toEqual(['AC', 'FK', 'SH']);
  });
});
