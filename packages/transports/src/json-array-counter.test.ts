import { JsonArrayCounter } from './json-array-counter';

function countOf(text: string, chunkSize = 3): number {
  const counter = new JsonArrayCounter();
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; at += chunkSize) counter.feed(bytes.subarray(at, at + chunkSize));
  return counter.count;
}

describe('JsonArrayCounter', () => {
  it.each([
    ['[]', 0],
    [' [ ] ', 0],
    ['[1]', 1],
    ['[1, 22, 333]', 3],
    ['[{"a":[1,2,{"b":"]}],"}]},{"c":"\\"[,"}, "x", null, true]', 5],
    ['[{"nome":"Luís Arthur, 2ª Seção"},{"nome":"çãé"}]', 2],
    ['{"items":[1,2,3]}', 0],
    ['[[1,2],[3]]', 2],
  ])('counts the top-level elements of %s', (text, expected) => {
    expect(countOf(text)).toBe(expected);
    expect(countOf(text, 1)).toBe(expected);
  });

  it('counts a record as soon as it starts, before its end arrives', () => {
    const counter = new JsonArrayCounter();
    counter.feed(Buffer.from('[{"codigo":"1"},{"cod'));
    expect(counter.count).toBe(2);
  });
});
