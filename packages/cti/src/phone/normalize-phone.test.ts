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

  it("reads 00 + country code + number back as that country's number, unless a carrier code reading is valid too", () => {
    const wrong = WORLD.filter(({ cc, national, e164 }) => reading(`00${cc}${national}`) !== `internacional ${e164}`);
    // Ambiguous: the digits after 00 start with a carrier code (22, 99) and what follows is another country's valid
    // number; the carrier code reading wins (the rule of the next suite). Only these two examples in the whole world.
    expect(wrong.map(({ country }) => country)).toEqual(['GN', 'TJ']);
    for (const { cc, national } of wrong) expect(validBehindCarrierCode(`00${cc}${national}`)).toBe(true);
  });
});

describe("normalizePhone with '00' + a foreign country code", () => {
  it.each([
    ['0034 91 123 45 67', '+34911234567'], // Spain, once read as a Brazilian mobile (+5534911234567)
    ['0032 2 555 12 34', '+3225551234'], // Belgium (Brussels)
    ['0047 22 12 34 56', '+4722123456'], // Norway
    ['0045 3344 5566', '+4533445566'], // Denmark
    ['0053 7 832 1234', '+5378321234'], // Cuba
    ['00359 2 912 3456', '+35929123456'], // Bulgaria
    ['0041 44 668 1800', '+41446681800'], // Switzerland: '44 668 1800' behind carrier code 41 is no British number
  ])("reads %s as that country's, before the national readings", (text, e164) => {
    expect(reading(text)).toBe(`internacional ${e164}`);
  });

  it("reads '00' + DDD (outside-line 0 + trunk 0) as national only when no foreign reading is valid", () => {
    expect(reading('0011 98765 4321')).toBe('nacional +5511987654321');
    expect(reading('0021 2345 6789')).toBe('nacional +552123456789');
    // '47 3210 0123' is a valid Norwegian number as well as Joinville's: a foreign reading comes first.
    expect(reading('0047 3210 0123')).toBe('internacional +4732100123');
    expect(reading('0055 47 3210 0123')).toBe('nacional +554732100123');
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
