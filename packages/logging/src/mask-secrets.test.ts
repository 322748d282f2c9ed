import { isSecretName, maskSecretsInText, SECRET_MASK } from './mask-secrets';

/**
 * The least CPU time (ms) of a few runs: CPU time, not the clock, so that other processes on a busy machine do not count;
 * the least, which a garbage collection in one run does not move. A run that slow needs no second one.
 */
function leastCpu(text: string): number {
  let least = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 7 && (run === 0 || least <= 250); run += 1) {
    const started = process.cpuUsage();
    maskSecretsInText(text);
    const used = process.cpuUsage(started);
    least = Math.min(least, (used.user + used.system) / 1000);
  }
  return least;
}

/** Texts built to make a rule scan the rest of the text from every place it could start (a stored hostile response). */
const HOSTILE: Record<string, string> = {
  'unclosed XML tags with attributes': '<senha a ',
  'XML attributes cut by a tag': '<senha a<b ',
  'unclosed XML tags': '<senha>',
  'XML values cut by tags': '<senha>x<a',
  'JSON fields with no value': '"senha" : ',
  'JSON values ending in a backslash': '"senha":"\\',
  'escaped JSON fields': '\\"senha\\":\\"\\\\\\"',
  'form fields': '?senha=',
  'runs of secret words in names': `"<${'senha'.repeat(8)}`,
  'URLs with queries': 'http://x/?a=',
  'paths with fragments and queries': ' /a#/b?',
};

describe('maskSecretsInText on hostile text', () => {
  // Not a timing bound: the time for 8× the text. Linear rules take about 8×; a rule that scans the rest of the text
  // from every start takes about 64× (the unclosed tags with attributes did: 0.6 s at 70 KB, 10 s at 280 KB). Both
  // texts are small enough to stay in the processor's caches, where a linear rule's cost per character is the same.
  it.each(Object.entries(HOSTILE))('costs time linear in the length of %s', (_shape, unit) => {
    const small = unit.repeat(Math.ceil(8_000 / unit.length));
    leastCpu(small); // warm-up: the regular expressions compiled
    const ratio = leastCpu(unit.repeat(Math.ceil(64_000 / unit.length))) / Math.max(leastCpu(small), 0.05);
    expect(ratio).toBeLessThan(24);
  });

  it('masks a 1 MB hostile text, the secrets in it still masked', () => {
    // No '>' after the unclosed tags: the old rule scanned to the end of the text from each of them (minutes here).
    const hostile = `<senha>s3cr3t</senha>{"token":"t0k3n"}${'<senha a '.repeat(120_000)}`;
    expect(maskSecretsInText(hostile)).toBe(`<senha>${SECRET_MASK}</senha>{"token":"${SECRET_MASK}"}${'<senha a '.repeat(120_000)}`);
  });

  it('keeps masking an element whose attributes hold a ">" (the tag ends there, the value is still masked)', () => {
    expect(maskSecretsInText('<senha tipo="a>b">s3cr3t</senha>')).toBe(`<senha tipo="a>${SECRET_MASK}</senha>`);
    expect(maskSecretsInText('<ns:senha xmlns:ns="urn:x">s3cr3t</ns:senha>')).toBe(`<ns:senha xmlns:ns="urn:x">${SECRET_MASK}</ns:senha>`);
  });

  it('masks an element whose attributes hold a "<" (the text up to the next tag is still masked)', () => {
    expect(maskSecretsInText('<senha a="x<y">s3cr3t</senha>')).toBe(`<senha a="x<y">${SECRET_MASK}</senha>`);
    expect(maskSecretsInText('<senha a="x<y">s3cr3t')).toBe(`<senha a="x<y">${SECRET_MASK}`);
  });
});

describe('isSecretName in Portuguese', () => {
  it('takes senha, segredo, credenciais and a chave of an API as secret names, not a chave of an order or an NF-e', () => {
    const secret = ['credenciais', 'credencial', 'credenciaisErp', 'credencial_pbx', 'senha', 'senhaErp', 'segredo', 'segredo_webhook'];
    const chaves = ['chave_api', 'chaveApi', 'chave-da-api', 'chaveDaApi', 'api_chave', 'chave_privada', 'chavePrivada'];
    for (const name of [...secret, ...chaves]) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: true });
    for (const name of ['credenciado', 'credenciadora', 'credenciamento', 'chave_pedido', 'chaveAcesso', 'chave', 'secretaria'])
      expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: false });
  });

  it('masks their values in JSON, XML and forms', () => {
    expect(maskSecretsInText('{"usuario":"crm","credenciais":"u:p-123"} <chaveApi>k-456</chaveApi> n=1&chave_privada=k-789')).toBe(
      `{"usuario":"crm","credenciais":"${SECRET_MASK}"} <chaveApi>${SECRET_MASK}</chaveApi> n=1&chave_privada=***`,
    );
  });
});
