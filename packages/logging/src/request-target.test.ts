import { shownRequestTarget } from './request-target';
import { revealedUrl, urlSecretValues } from './revealed-url';

/**
 * Request targets whose credential-named values the request log showed (they are short plain words, not token-looking,
 * and their names are no secret word of a field's name) while `cti show` masked them: each is masked now.
 */
const CREDENTIAL_NAMED: [string, string][] = [
  ['/cti/dial?ramal=201&key=abc', '/cti/dial?ramal=201&key=***'],
  ['/hook?chave=segredo99', '/hook?chave=***'],
  ['/hook?sig=deadbeef&v=2', '/hook?sig=***&v=2'],
  ['/hook?signature=abc123', '/hook?signature=***'],
  ['/hook?hash=5f4dcc3b', '/hook?hash=***'],
  ['/hook?hmac=a1b2c3', '/hook?hmac=***'],
  ['/hook?auth=xyz', '/hook?auth=***'],
  ['/hook?access_key=AKIAEXAMPLE', '/hook?access_key=***'],
  ['/hook?accessKey=abc', '/hook?accessKey=***'],
  ['/hook?KEY=abc&Chave=12345', '/hook?KEY=***&Chave=***'],
  ['/hook?%6Bey=abc', '/hook?%6Bey=***'],
  ['/dashboard/falhas?page=2&key=abc&empresa=12', '/dashboard/falhas?page=2&key=***&empresa=12'],
  // rev11a #7: a PHP array's `[]`, a form's trailing space (`+`, `%20`) and a `-`/`_` prefix do not hide the name.
  ['/cti/dial?ramal=201&key[]=abc', '/cti/dial?ramal=201&key[]=***'],
  ['/cti/dial?ramal=201&key%5B0%5D=abc', '/cti/dial?ramal=201&key%5B0%5D=***'],
  ['/cti/dial?ramal=201&key+=abc', '/cti/dial?ramal=201&key+=***'],
  ['/cti/dial?ramal=201&key%20=abc', '/cti/dial?ramal=201&key%20=***'],
  ['/cti/dial?ramal=201&x-key=abc', '/cti/dial?ramal=201&x-key=***'],
  ['/cti/dial?ramal=201&api-key=abc', '/cti/dial?ramal=201&api-key=***'],
  ['/hook?pbx_auth=abc&X-Sig=def', '/hook?pbx_auth=***&X-Sig=***'],
];

/** Plain values of parameters that name no credential: what an operator reads a request line for. */
const PLAIN: string[] = [
  '/dashboard/falhas?page=2&empresa=12',
  '/dashboard/falhas?lang=en&feito=retry&lista=set,get',
  '/x?chave_pedido=123&keyword=abc&hashtag=crm&monkey=1&key_id=7&hash-tag=crm',
  '/v1/jobs?state=failed&limit=50&cursor=',
];

describe('shownRequestTarget: one query rule with the CLI and the webhooks', () => {
  it.each(CREDENTIAL_NAMED)('masks a credential-named value whatever it looks like: %s', (target, shown) => {
    expect(shownRequestTarget(target)).toBe(shown);
  });

  it.each(PLAIN)('keeps plain values of other names readable: %s', (target) => {
    expect(shownRequestTarget(target)).toBe(target);
  });

  it('masks token-looking and unusual values whatever their name, and a token-looking or @ name with its value', () => {
    expect(shownRequestTarget('/x?id=Qw7Er5Ty3Ui1Op9As&next=/dashboard%3Fa%3D1&bad=%zz&ok=1')).toBe('/x?id=***&next=***&bad=***&ok=1');
    expect(shownRequestTarget('/x?aB3xK9mQ2vL7pR4tZ8wN=1&joao@erp=abc&joao@erp&page=2')).toBe('/x?***=***&***=***&***&page=2');
    // Log lines only (strict): a view of the operator's own URL shows them (revealedUrl).
    expect(shownRequestTarget('/x?nome=Jo%C3%A3o&q=a+b&canal=SIP/operadora&ok=1')).toBe('/x?nome=***&q=***&canal=***&ok=1');
    expect(revealedUrl('https://pbx/x?nome=Jo%C3%A3o&q=a+b&canal=SIP/operadora&ok=1')).toBe(
      'https://pbx/x?nome=Jo%C3%A3o&q=a+b&canal=SIP/operadora&ok=1',
    );
  });

  it('drops the userinfo of an absolute target up to its last @, and keeps the CTI token kind in the path', () => {
    expect(shownRequestTarget('http://admin:p@ss@erp.local/x?page=2&key=abc')).toBe('http://erp.local/x?page=2&key=***');
    expect(shownRequestTarget('/t/ctk_iBo5eAgE2tQx_jVXPAHYX_AUrPjdi9EZ/wconnect/x.php?ramal=201&key=abc')).toBe(
      '/t/ctk_[redacted]/wconnect/x.php?ramal=201&key=***',
    );
  });

  it('shows a phone or a CPF/CNPJ with at most its last 4 digits (personal data), and other numbers as written', () => {
    expect(shownRequestTarget('/v1/cti/calls?telefone=11987654321&ramal=201&limit=50')).toBe(
      '/v1/cti/calls?telefone=***4321&ramal=201&limit=50',
    );
    expect(shownRequestTarget('/x?numero=04732100123&cpf=12345678909&cnpj=11.222.333%2F0001-81&cgcCpf=98765432100')).toBe(
      '/x?numero=***0123&cpf=***8909&cnpj=***0181&cgcCpf=***2100',
    );
    expect(shownRequestTarget('/x?numero_destino=1133334444&Celular=11988887777&n%C3%BAmero=4830001111')).toBe(
      '/x?numero_destino=***4444&Celular=***7777&n%C3%BAmero=***1111',
    );
    // Fewer than 10 digits or more than 14 is no phone nor document: an id, a ramal, an order number stay as written.
    expect(shownRequestTarget('/x?cpf=123.456.789-09&telefone=201&contaId=123456789&pedido=987654321098765')).toBe(
      '/x?cpf=***8909&telefone=201&contaId=123456789&pedido=987654321098765',
    );
    // Under any name (a search box's ?q=): 10 to 14 digits, bare or with a phone's or a document's punctuation.
    for (const [target, shown] of <[string, string][]>[
      ['/dashboard/falhas?q=123.456.789-09', '/dashboard/falhas?q=***8909'],
      ['/dashboard/falhas?q=11222333000181&page=2', '/dashboard/falhas?q=***0181&page=2'],
      ['/dashboard/api/jobs?q=11987654321', '/dashboard/api/jobs?q=***4321'],
      ['/dashboard/falhas?q=11.222.333%2F0001-81', '/dashboard/falhas?q=***0181'],
      ['/dashboard/falhas?q=%2811%29+98765-4321&lang=en', '/dashboard/falhas?q=***4321&lang=en'],
      ['/dashboard/falhas?busca=%2B55+11+3232-4545', '/dashboard/falhas?busca=***4545'],
      // A 10-digit timestamp is written as a landline of DDD 17 is: its last digits only, as any such value.
      ['/hook?ts=1700000000', '/hook?ts=***0000'],
    ])
      expect(shownRequestTarget(target)).toBe(shown);
    // The CLI's PBX URL keeps the number it dialled (the operator's own request, not a log line).
    expect(revealedUrl('https://pbx.example.com/dial?numero=04732100123')).toBe('https://pbx.example.com/dial?numero=04732100123');
  });

  it('shows each query as revealedUrl shows it, and urlSecretValues takes what both mask', () => {
    for (const [target, shown] of [...CREDENTIAL_NAMED, ...PLAIN.map((target) => [target, target])] as [string, string][]) {
      expect(revealedUrl(`https://pbx.example.com${target}`)).toBe(`https://pbx.example.com${shown}`);
    }
    expect(urlSecretValues('https://h.example/x?page=2&key=abc&next=/a%3Fb&aB3xK9mQ2vL7pR4tZ8wN=1&q=a+b').sort()).toEqual(
      ['1', 'aB3xK9mQ2vL7pR4tZ8wN', 'abc'].sort(),
    );
  });
});
