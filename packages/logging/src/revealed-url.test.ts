import { revealedUrl, urlSecretValues } from './revealed-url';

describe('urlSecretValues: the secret parts of a URL a receiver may echo', () => {
  it('takes secret-named and token-looking query values, token path segments and the password; never plain values', () => {
    const url =
      'https://joao:p%40ss@hooks.example.com/in/aB3xK9mQ2vL7pR4tZ8wN?format=json&ativo=true&lote=100&token=abc123&key=k1&id=Qw7Er5Ty3Ui1Op9As';
    expect(urlSecretValues(url).sort()).toEqual(['Qw7Er5Ty3Ui1Op9As', 'aB3xK9mQ2vL7pR4tZ8wN', 'abc123', 'k1', 'p@ss'].sort());
    expect(urlSecretValues('https://hooks.example.com/crm/webhooks?format=json&origem=crm')).toEqual([]);
    expect(urlSecretValues('not a url')).toEqual([]);
  });
});

describe('revealedUrl: a URL as its author sees it, only secrets masked', () => {
  it('keeps plain values and the path; masks secret-named, credential-named and token-looking values and path tokens', () => {
    expect(
      revealedUrl(
        'https://pbx.example.com/api/9f8Kq2LmZ7xR4tB1vN6c/call?de=201&para=01134567890&key=Ab12Cd34Ef56Gh78&chave=SEGREDO-99x&senha=x',
      ),
    ).toBe('https://pbx.example.com/api/***/call?de=201&para=01134567890&key=***&chave=***&senha=***');
    expect(revealedUrl('https://pbx.example.com/call?hash=abc&sig=def&auth=ghi&chave_pedido=123')).toBe(
      'https://pbx.example.com/call?hash=***&sig=***&auth=***&chave_pedido=123',
    );
  });

  it('masks the value of a token-looking or @ name, as request lines do (one rule); an unusual value only in log lines', () => {
    expect(revealedUrl('https://pbx.example.com/call?joao@erp=abc&aB3xK9mQ2vL7pR4tZ8wN=xyz&cb=http%3A%2F%2Fcrm%2Fx&n=1')).toBe(
      'https://pbx.example.com/call?***=***&***=***&cb=http%3A%2F%2Fcrm%2Fx&n=1',
    );
    expect(revealedUrl('https://pbx.example.com/call;sig=abc;lote=100?x=1')).toBe('https://pbx.example.com/call;sig=***;lote=100?x=1');
  });

  it('drops the userinfo up to the last @ of the authority (a password holding @ leaves nothing)', () => {
    expect(revealedUrl('https://admin:p@ss@pbx.local/dial?n=1')).toBe('https://pbx.local/dial?n=1');
    expect(revealedUrl('https://admin:p#ss@pbx.local/dial')).toBe('https://***');
  });

  it("masks the whole authority when the password holds a '/' (what comes before it is no host[:port])", () => {
    for (const url of ['https://admin:s3/nh@pbx.local/dial?n=1', 'https://admin:a/ss@pbx.local/dial', 'https://admin:1a/2/3@pbx.local']) {
      expect(revealedUrl(url)).toBe('https://***');
    }
    expect(urlSecretValues('https://admin:s3/nh@pbx.local/dial?n=1')).toEqual(['s3/nh']);
    // A '/' in a user name, an '@' after the query, or in a path with no port before it: no password, shown as written.
    expect(revealedUrl('https://pbx.local/dial?de=joao@pbx')).toBe('https://pbx.local/dial?de=joao@pbx');
    expect(revealedUrl('https://hooks.example/in/ab@cd/x')).toBe('https://hooks.example/in/ab@cd/x');
  });

  it("reads an '@' or ':' after a host[:port] as the path's: a SIP URI, Asterisk's channel@context, a port", () => {
    for (const url of [
      'http://pbx.local/api/call/sip:201@pbx.local?n=4732100123',
      'http://pbx:8080/dial/201@from-internal?n=4732100123',
      'https://erp:8443/in/joao@x',
      'https://admin:12/ss@pbx.local/dial',
    ]) {
      expect(revealedUrl(url)).toBe(url);
      // Nothing of it is a secret: a masker of the PBX's answer keeps its '201', '8443/in/joao'.
      expect(urlSecretValues(url)).toEqual([]);
    }
  });

  it('shows the values it is asked to keep, and masks the ones it is given', () => {
    const keep = (value: string) => /^\{\w+\}$/.test(value);
    expect(revealedUrl('http://pbx/d?senha={senha}&n={numero_destino}&x=abc', { keep, secrets: ['abc'] })).toBe(
      'http://pbx/d?senha={senha}&n={numero_destino}&x=***',
    );
    expect(revealedUrl('/relative?token=abc')).toBe('/relative?token=***');
  });

  // rev11a #6: the log lines' unusual-value clause hid `SIP/{ramal_origem}` from `cti show`, and put static values
  // (`João`, `a b`, a callback URL) into the secrets masked out of PBX and receiver answers.
  it('judges a value with its {placeholders} removed, and without the unusual-value clause of log lines', () => {
    const keep = (value: string) => /^\{\w+\}$/.test(value);
    const ari =
      'http://pbx:8088/ari/channels?endpoint=SIP/{ramal_origem}&extension={numero_destino}&context=from-internal&callerId=CRM%20{ramal_origem}';
    expect(revealedUrl(ari, { keep })).toBe(ari);
    const freeswitch =
      'http://pbx:8080/webapi/originate?{origination_caller_id_number={ramal_origem}}user/{ramal_origem}%20{numero_destino}%20XML%20default';
    expect(revealedUrl(freeswitch, { keep })).toBe(freeswitch);
    expect(urlSecretValues('https://h.example/x?nome=Jo%C3%A3o&q=a+b&cb=https%3A%2F%2Fcrm.example.com%2Fok&canal=SIP/operadora')).toEqual(
      [],
    );
    // Credentials stay masked: by name, by token look (placeholders removed too), a userinfo or a secret in a nested URL.
    const secret =
      'https://pbx/x?password=abc&api-key=k1&id=Qw7Er5Ty3Ui1Op9As{ramal_origem}&cb=https%3A%2F%2Fu%3Apw%40crm%2Fok&next=https%3A%2F%2Fcrm%2Fok%3Ftoken%3Dt1';
    expect(revealedUrl(secret, { keep })).toBe('https://pbx/x?password=***&api-key=***&id=***&cb=***&next=***');
    expect(urlSecretValues(secret).sort()).toEqual(
      ['Qw7Er5Ty3Ui1Op9As{ramal_origem}', 'abc', 'https://crm/ok?token=t1', 'https://u:pw@crm/ok', 'k1'].sort(),
    );
  });
});
