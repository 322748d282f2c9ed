import { MissingVariableError } from '../template';
import { lookupValue } from '../value-lookup';
import { PermanentError } from './permanent-error';

const VARIABLE = /#([A-Za-z_][A-Za-z0-9_.]*)#/g;
/** '[METHOD ]target': the method is kept as written, the target is what gets filled. */
const LINK = /^(\s*[A-Za-z]+\s+)?(.*)$/s;

/** The #vars# a link uses, in order of first use. */
export function linkVariables(link: string | null): string[] {
  return [...new Set([...(link ?? '').matchAll(VARIABLE)].map((match) => match[1] as string))];
}

/**
 * True when a #var# would choose the host: the link's target (after the method) does not start with '/' or '?'
 * before its first #var# — only the path and the query, appended to the connection's baseUrl, may be templated.
 */
export function linkTemplatesHost(link: string | null): boolean {
  if (linkVariables(link).length === 0) return false;
  const target = (LINK.exec(link ?? '')?.[2] ?? '').trimStart();
  return !/^[/?]/.test(target);
}

/**
 * Fills the #vars# of a REST link (seed 001's `PUT /api/clientes/#id_erp#?origem=crm`) from the record's values: a
 * value in the path is encoded as one path segment, a value in the query as a form-encoded query value, so no
 * value can add a segment, a parameter or a fragment; the rest of the link is kept as written (`?flag&x=#x#` stays
 * `?flag&x=…`). A link without #vars# is returned as written. A variable with no value (absent or null) is the campos'
 * MissingVariableError — in a path segment an empty or blank text too (it would name the collection, not the record);
 * an object value is refused (it has no text form), and so is a #var# before the path (the host is the connection's,
 * never a record's).
 */
export function fillLink(link: string, values: Readonly<Record<string, unknown>>, integracaoId: number): string {
  const names = linkVariables(link);
  if (names.length === 0) return link;
  if (linkTemplatesHost(link))
    throw new PermanentError(
      'TRANSPORT_INVALID_INTEGRATION',
      `link of integracao #${integracaoId}: a #variable# may only fill the path or the query; expected the link to start with "/" or "?" after the method`,
    );
  const [, method = '', target = ''] = LINK.exec(link) ?? [];
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const inPath = new Set(linkVariables(path));
  const missing = names.filter((name) => {
    const found = lookupValue(values, name);
    if (!found.found || found.value === null || found.value === undefined) return true;
    return inPath.has(name) && typeof found.value === 'string' && found.value.trim() === '';
  });
  if (missing[0] !== undefined) throw new MissingVariableError(missing[0], missing, Object.keys(values));
  const text = (name: string) => {
    const found = lookupValue(values, name);
    const value = found.found ? found.value : undefined;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object')
      throw new PermanentError(
        'TRANSPORT_INVALID_INTEGRATION',
        `link of integracao #${integracaoId}: #${name}# is an object or a list; expected a text, a number or a date`,
      );
    return String(value);
  };
  const filledPath = path
    .split('/')
    .map((segment) => {
      const filled = segment.replace(VARIABLE, (_, name: string) => encodeURIComponent(text(name)));
      // '.' and '..' (also as %2E) are dot segments the URL would resolve: a value must not climb the path.
      if (filled !== segment && /^(?:\.|%2e){1,2}$/i.test(filled))
        throw new PermanentError(
          'TRANSPORT_INVALID_INTEGRATION',
          `link of integracao #${integracaoId}: a #variable# filled the path segment "${filled}"; expected a value other than "." or ".."`,
        );
      return filled;
    })
    .join('/');
  if (queryAt === -1) return `${method}${filledPath}`;
  // Form-encoded as URLSearchParams does ('&', '=', '#' and '+' escaped, space as '+'): a value stays inside its k=v pair.
  const encodeQuery = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);
  const query = target.slice(queryAt + 1).replace(VARIABLE, (_, name: string) => encodeQuery(text(name)));
  return `${method}${filledPath}?${query}`;
}
