/** A decimal number as its digits, so rounding and formatting never go through binary floating point. */
export interface DecimalDigits {
  negative: boolean;
  /** At least one digit, no leading zeros. */
  integer: string;
  fraction: string;
}

const PLAIN = /^([+-]?)(\d*)(?:[.,](\d*))?$/;
/** pt-BR with thousands dots: `1.234,56`. */
const GROUPED = /^([+-]?)(\d{1,3}(?:\.\d{3})+),(\d+)$/;
/** pt-BR thousands without decimals needs two dots at least: `1.234` alone reads as one point two three four. */
const GROUPED_INTEGER = /^([+-]?)(\d{1,3}(?:\.\d{3}){2,})$/;

function digits(sign: string, integer: string, fraction: string): DecimalDigits | null {
  if (integer === '' && fraction === '') return null;
  return { negative: sign === '-', integer: integer.replace(/^0+(?=\d)/, '') || '0', fraction };
}

/** The plain decimal text of a finite number (`1e-7` → `0.0000001…`, `1e21` → `1000…`). */
function numberText(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return Math.abs(value) < 1 ? value.toFixed(20) : BigInt(value).toString();
}

/**
 * Reads a number, a bigint or a numeric text: `1234.5`, `1234,5` (one separator is the decimal one), `1.234,56` and
 * `1.234.567` (pt-BR thousands), an optional sign. Null for anything else (NaN, Infinity, `1e5`, `12a`, `''`).
 */
export function readDecimal(value: unknown): DecimalDigits | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    text = numberText(value);
  } else if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'string') text = value.trim();
  else return null;
  const grouped = GROUPED.exec(text) ?? GROUPED_INTEGER.exec(text);
  if (grouped) return digits(grouped[1] ?? '', (grouped[2] ?? '').replaceAll('.', ''), grouped[3] ?? '');
  const plain = PLAIN.exec(text);
  return plain ? digits(plain[1] ?? '', plain[2] ?? '', plain[3] ?? '') : null;
}

/** Text with exactly `places` decimals (half away from zero, as PHP's number_format), no thousands separator. */
export function formatDecimal(decimal: DecimalDigits, places: number, separator: string): string {
  let { integer, fraction } = decimal;
  if (fraction.length > places) {
    let kept = integer + fraction.slice(0, places);
    if ((fraction[places] ?? '0') >= '5') kept = (BigInt(kept) + 1n).toString().padStart(kept.length, '0');
    integer = kept.slice(0, kept.length - places);
    fraction = kept.slice(kept.length - places);
  } else fraction = fraction.padEnd(places, '0');
  integer = integer.replace(/^0+(?=\d)/, '') || '0';
  const sign = decimal.negative && /[1-9]/.test(integer + fraction) ? '-' : '';
  return `${sign}${integer}${places > 0 ? separator + fraction : ''}`;
}

/** The JavaScript number closest to the decimal. */
export function decimalToNumber(decimal: DecimalDigits): number {
  const value = Number(`${decimal.integer}.${decimal.fraction || '0'}`);
  return decimal.negative && value !== 0 ? -value : value;
}
