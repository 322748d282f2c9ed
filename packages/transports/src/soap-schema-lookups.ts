import type { Client } from 'soap';

type FindChild = (parent: unknown, childName: unknown, backtrace?: unknown) => unknown;

/** Child names remembered per schema object; past this, lookups of new names are made but not kept. */
const MAX_NAMES_PER_OBJECT = 1000;

/**
 * soap builds every request element by element and, for each child, searches the WSDL's schema for it
 * (`WSDL.findChildSchemaObject`, recursing through types, bases and children): about a third of the envelope's CPU,
 * paid again for every customer of a batched call. The answer depends only on the schema object, the child's name and
 * the loaded definitions, which do not change once the client exists, so this client's top-level lookups are kept per
 * (schema object, name); the recursive ones (with a backtrace) run as before. Same objects returned, same XML.
 */
export function rememberSchemaLookups(client: Client): void {
  const wsdl = (client as unknown as { wsdl?: { findChildSchemaObject?: FindChild } }).wsdl;
  const find = wsdl?.findChildSchemaObject;
  if (!wsdl || typeof find !== 'function') return;
  const lookup = find.bind(wsdl) as FindChild;
  const found = new WeakMap<object, Map<string, unknown>>();
  wsdl.findChildSchemaObject = (parent, childName, backtrace) => {
    if (backtrace !== undefined || parent === null || typeof parent !== 'object' || typeof childName !== 'string')
      return lookup(parent, childName, backtrace);
    let byName = found.get(parent);
    if (byName === undefined) {
      byName = new Map();
      found.set(parent, byName);
    }
    if (byName.has(childName)) return byName.get(childName);
    const child = lookup(parent, childName);
    if (byName.size < MAX_NAMES_PER_OBJECT) byName.set(childName, child);
    return child;
  };
}
