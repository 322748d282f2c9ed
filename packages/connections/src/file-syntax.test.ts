import { jsonErrorOffset, parseText } from './file-syntax';

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": }', 6],
    ['{"a": 1,}', 8],
    ['[1, 2', 5],
    ['{"a": tru}', 6],
    ['{"a": "x"} extra', 11],
    ['{"a": "\u0001"}', 6],
  ])('finds where %j stops being JSON', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});

describe('parseText', () => {
  it('ignores a byte order mark', () => {
    expect(parseText('\uFEFF{"connections": {}}', 'json')).toEqual({ data: { connections: {} }, problems: [] });
  });

  it('reports each YAML error with its line', () => {
    const { problems } = parseText('connections:\n  a: 1\n  a: 2\n', 'yaml');
    expect(problems).toEqual([{ line: 3, message: 'invalid YAML: Map keys must be unique' }]);
  });
});
