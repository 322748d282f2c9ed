import { ownElement } from './batching-transport';

describe("a batched call's exchange as one record's attempt keeps it", () => {
  const request =
    '<soap:Envelope><soap:Body><ns:GravarClientes><parameters>' +
    '<dadosGeraisCliente><nomCli>A</nomCli></dadosGeraisCliente>' +
    '<dadosGeraisCliente><nomCli>B</nomCli></dadosGeraisCliente>' +
    '<dadosGeraisCliente><nomCli>C</nomCli></dadosGeraisCliente>' +
    '</parameters></ns:GravarClientes></soap:Body></soap:Envelope>';

  it('keeps the envelope and only its own record, by position', () => {
    expect(ownElement(request, 'dadosGeraisCliente', 1, 3)).toBe(
      '<soap:Envelope><soap:Body><ns:GravarClientes><parameters>' +
        '<dadosGeraisCliente><nomCli>B</nomCli></dadosGeraisCliente>' +
        '</parameters></ns:GravarClientes></soap:Body></soap:Envelope>',
    );
  });

  it('reads namespace prefixes and attributes', () => {
    const answer =
      '<r><x:retornosClientes a="1"><codCli>1</codCli></x:retornosClientes><x:retornosClientes><codCli>2</codCli></x:retornosClientes></r>';
    expect(ownElement(answer, 'retornosClientes', 0, 2)).toBe('<r><x:retornosClientes a="1"><codCli>1</codCli></x:retornosClientes></r>');
  });

  it('keeps the whole text when the elements do not match the records', () => {
    expect(ownElement(request, 'dadosGeraisCliente', 0, 2)).toBe(request);
    expect(ownElement(request, 'outraLista', 0, 3)).toBe(request);
  });
});
