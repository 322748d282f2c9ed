import { ApiEntry, DatabaseEntry, WebServiceEntry } from './connections-schema';

/** Every schema node with an `x-expected`, with its path. */
function annotated(node: unknown, at: string, found: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (node === null || typeof node !== 'object') return found;
  const record = node as Record<string, unknown>;
  if ('x-expected' in record) found.push([at, record]);
  for (const [key, child] of Object.entries(record)) annotated(child, `${at}/${key}`, found);
  return found;
}

describe('connections schema annotations', () => {
  it('gives every x-expected phrase its pt-BR twin (x-expected-pt), none left in English', () => {
    const nodes = [...annotated(WebServiceEntry, 'webservice'), ...annotated(DatabaseEntry, 'database'), ...annotated(ApiEntry, 'api')];
    expect(nodes.length).toBeGreaterThan(20);
    const missing = nodes.filter(([, node]) => typeof node['x-expected-pt'] !== 'string' || node['x-expected-pt'] === '');
    expect(missing.map(([at]) => at)).toEqual([]);
    const untranslated = nodes.filter(
      ([, node]) => node['x-expected-pt'] === node['x-expected'] && !/^(true|one of)/.test(String(node['x-expected'])),
    );
    expect(untranslated.map(([at]) => at)).toEqual([]);
  });
});
