import type { SyncState } from '@integrador/store';

export type CursorType = NonNullable<SyncState['cursor_tipo']>;

/** A cursor value as stored: text (ISO for dates) and its type. */
export interface CursorValue {
  text: string;
  type: CursorType;
}

/** The stored form of a value read from the source's cursor column; null for NULL (such rows never move the cursor). */
export function cursorOf(value: unknown): CursorValue | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : { text: value.toISOString(), type: 'date' };
  if (typeof value === 'number' || typeof value === 'bigint') return { text: String(value), type: 'number' };
  if (Buffer.isBuffer(value)) return { text: value.toString('utf8'), type: 'text' };
  return { text: String(value), type: 'text' };
}

/**
 * A test for "this source value is at the cursor" (cursorOf(value).text === cursor.text) that does not make text of
 * every row: a Date is compared by its time (what its ISO text stands for), anything else by cursorOf.
 */
export function atCursor(cursor: CursorValue): (value: unknown) => boolean {
  if (cursor.type === 'date') {
    const ms = Date.parse(cursor.text);
    return (value) => (value instanceof Date ? value.getTime() === ms : cursorOf(value)?.text === cursor.text);
  }
  return (value) => cursorOf(value)?.text === cursor.text;
}

/** The value bound for `cursor >= ?`: a Date for dates (date literal syntax differs per database), a number when it fits. */
export function cursorParameter(cursor: CursorValue): unknown {
  if (cursor.type === 'date') return new Date(cursor.text);
  if (cursor.type === 'number') {
    const n = Number(cursor.text);
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(cursor.text) ? n : cursor.text;
  }
  return cursor.text;
}

/** The saved cursor of a sync state, or null. */
export function savedCursor(state: Pick<SyncState, 'cursor_valor' | 'cursor_tipo'>): CursorValue | null {
  return state.cursor_valor === null || state.cursor_tipo === null ? null : { text: state.cursor_valor, type: state.cursor_tipo };
}
