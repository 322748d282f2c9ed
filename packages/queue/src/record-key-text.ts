/**
 * A prepared SET record's key as a reader reads it, in every text that names one (a failure's reason, a job log line,
 * the CLI): `id1` (its row's id) → `id 1`; an index key (`0`) as it is. A list ("id1, id3") word by word.
 */
export function recordKeyText(keys: string): string {
  return keys
    .split(', ')
    .map((key) => key.replace(/^id(?=\S)/, 'id '))
    .join(', ');
}
