// Seed 004 writes ids as strings, dates as `YYYY-MM-DD hh:mm` (local time of the CRM: America/Sao_Paulo) and birth
// dates as `YYYY-MM-DD`, and `null` for anything not available. These helpers keep every payload to that form.

const LOCAL_TIME = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Sao_Paulo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

type Stored = Date | string | number | null | undefined;

/** A stored timestamp read as an instant: Date, ISO text, or SQLite's `YYYY-MM-DD HH:MM:SS` (UTC). */
function instant(value: Stored): Date | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `YYYY-MM-DD hh:mm` in the CRM's local time, or null. */
export function dateTimeText(value: Stored): string | null {
  const date = instant(value);
  if (!date) return null;
  const parts = Object.fromEntries(LOCAL_TIME.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A calendar date (`date` column) as `YYYY-MM-DD`, or null. Drivers hand dates back as midnight UTC or as text. */
export function dateText(value: Stored): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/** An id as the seed writes it (a string), or null. */
export function idText(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}

/** A JSON column parsed to an object, or null when empty or not an object. */
export function jsonObject(text: string | null | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A field of the row's `dados` JSON under the seed's own name, or null. */
export function fromDados(dados: Record<string, unknown> | null, name: string): unknown {
  const value = dados?.[name];
  return value === undefined ? null : value;
}

/** A text column, or null when empty. */
export function text(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}
