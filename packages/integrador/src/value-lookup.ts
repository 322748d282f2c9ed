/** The outcome of looking a name up: found (its value may be null or undefined), absent, or ambiguous by case. */
export type Lookup = { found: true; value: unknown } | { found: false; ambiguous: string[] };

/** One key of an object: the exact key first, then the only key equal ignoring case. */
function lookupKey(values: Readonly<Record<string, unknown>>, name: string): Lookup {
  if (Object.hasOwn(values, name)) return { found: true, value: values[name] };
  const lower = name.toLowerCase();
  const matches = Object.keys(values).filter((key) => key.toLowerCase() === lower);
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return { found: true, value: values[only] };
  return { found: false, ambiguous: matches };
}

/**
 * A variable's value: the exact key, then a key equal ignoring case (databases fold unquoted column names:
 * PostgreSQL returns `contaid` for `contaId`), then a dotted path through nested objects, each step exact
 * first and then ignoring case. Two keys equal ignoring case and no exact one → ambiguous, never a guess.
 */
export function lookupValue(values: Readonly<Record<string, unknown>>, name: string): Lookup {
  const direct = lookupKey(values, name);
  if (direct.found || direct.ambiguous.length > 0 || !name.includes('.')) return direct;
  let current: unknown = values;
  for (const key of name.split('.')) {
    if (!isPlainObject(current)) return { found: false, ambiguous: [] };
    const step = lookupKey(current, key);
    if (!step.found) return step;
    current = step.value;
  }
  return { found: true, value: current };
}

/** Sets an own property, even one named `__proto__` (plain assignment would replace the prototype instead). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Plain assignment creates or replaces an own data property for every other key of the plain objects built here
  // (no setters on their prototype chain), and is several times cheaper than defineProperty (this runs per leaf, per push).
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Objects built from JSON or database rows (not Dates, Buffers or other class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
