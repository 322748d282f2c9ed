import { caught } from '@integrador/test-support/caught';
import { type BuildRequestOptions, buildRequest, type CampoRow, compileCampos, MappingError } from './request-mapping';
import { MissingVariableError } from './template';

const campo = (id: number, campo_crm: unknown, ordem = id) => ({
  id,
  ordem,
  campo_crm: typeof campo_crm === 'string' ? campo_crm : JSON.stringify(campo_crm),
});

const conta = {
  id: 42,
  nome: 'ACME Indústria Ltda',
  fantasia: 'ACME',
  cnpj: '12.345.678/0001-90',
  status: 'A',
  cidade_id: 7,
  cliente_desde: new Date('2020-01-15T00:30:00-03:00'),
  email_geral: null,
  ativo: true,
};

/** Rows compiled first, as the engine compiles them once per loaded definition, then mapped. */
const mapRows = (rows: readonly CampoRow[], values: Readonly<Record<string, unknown>>, options?: BuildRequestOptions) =>
  buildRequest(compileCampos(rows), values, options);

describe('buildRequest', () => {
  it('maps the seed-001 customer into nested receptor fields, keeping each value’s type', () => {
    const { body, fields, omitted } = mapRows(
      [
        campo(1, { dadosGeraisCliente: { nomCli: '#nome#', apeCli: '#fantasia#' } }),
        campo(2, { dadosGeraisCliente: { cgcCpf: '#cnpj#', ideExt: '#id#', sitCli: '#status#' } }),
        campo(3, { dadosGeraisCliente: { cidCli: '#cidade_id#', datCad: '#cliente_desde#', ativo: '#ativo#' } }),
      ],
      conta,
    );
    expect(body).toEqual({
      dadosGeraisCliente: {
        nomCli: 'ACME Indústria Ltda',
        apeCli: 'ACME',
        cgcCpf: '12.345.678/0001-90',
        ideExt: 42,
        sitCli: 'A',
        cidCli: 7,
        datCad: conta.cliente_desde,
        ativo: true,
      },
    });
    expect((body.dadosGeraisCliente as Record<string, unknown>).datCad).toBeInstanceOf(Date);
    expect(fields).toContainEqual({ path: 'dadosGeraisCliente.ideExt', campoId: 2, source: 'id', kind: 'variable' });
    expect(omitted).toEqual([]);
  });

  it('interpolates text, keeps constants and ignores key order', () => {
    const { body, fields } = mapRows(
      [campo(1, { tipCli: 'J', cliCon: 'S', nenCli: 0, exporta: false, obs: 'Cliente #nome# (#id#)', hash: 'abc#', nada: null })],
      conta,
    );
    expect(body).toEqual({
      tipCli: 'J',
      cliCon: 'S',
      nenCli: 0,
      exporta: false,
      obs: 'Cliente ACME Indústria Ltda (42)',
      hash: 'abc#',
      nada: null,
    });
    expect(fields).toContainEqual({ path: 'obs', campoId: 1, source: 'Cliente #nome# (#id#)', kind: 'text' });
    expect(fields).toContainEqual({ path: 'tipCli', campoId: 1, source: null, kind: 'constant' });
  });

  it('writes null as nothing inside text and a date/time as its Brasília wall clock with the offset (not a UTC instant)', () => {
    const { body } = mapRows([campo(1, { obs: 'mail: #email_geral#; desde #cliente_desde#' })], conta);
    expect(body.obs).toBe('mail: ; desde 2020-01-15T00:30:00-03:00');
  });

  it('leaves out a field whose #var# is null or undefined, and says so', () => {
    const { body, omitted, fields } = mapRows(
      [campo(1, { dadosGeraisCliente: { intNet: '#email_geral#', fonCli: '#telefone#', nomCli: '#nome#' } })],
      { ...conta, telefone: undefined },
    );
    expect(body).toEqual({ dadosGeraisCliente: { nomCli: 'ACME Indústria Ltda' } });
    expect(omitted).toEqual([
      { path: 'dadosGeraisCliente.intNet', campoId: 1, source: 'email_geral' },
      { path: 'dadosGeraisCliente.fonCli', campoId: 1, source: 'telefone' },
    ]);
    expect(fields.map((f) => f.path)).toEqual(['dadosGeraisCliente.nomCli']);
  });

  it('finds variables by exact key, then ignoring case, then by dotted path', () => {
    const values = { contaid: 5, contaId: 6, NOME: 'x', cidade: { Nome: 'Blumenau', uf: 'SC' }, 'a.b': 'literal' };
    const { body } = mapRows(
      [campo(1, { exact: '#contaId#', folded: '#nome#', nested: '#cidade.nome#', uf: '#CIDADE.UF#', dotted: '#a.b#' })],
      values,
    );
    expect(body).toEqual({ exact: 6, folded: 'x', nested: 'Blumenau', uf: 'SC', dotted: 'literal' });
  });

  it('refuses a name two keys match ignoring case', () => {
    const error = caught(() => mapRows([campo(9, { x: '#NOME#' })], { nome: 'a', Nome: 'b' }));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ code: 'AMBIGUOUS_VARIABLE', campoIds: [9], path: 'x' });
  });

  it('throws one MissingVariableError listing every variable without a value', () => {
    const error = caught(() =>
      mapRows([campo(1, { a: '#codRep#', b: 'x #vlrLim# #nome#' }), campo(2, { c: { d: ['#codRep#', '#codFil#'] } })], conta),
    );
    expect(error).toBeInstanceOf(MissingVariableError);
    expect((error as MissingVariableError).missing).toEqual(['codRep', 'vlrLim', 'codFil']);
    expect((error as Error).message).toMatch(/#codRep#/);
  });

  it('builds arrays, with objects and variables inside, and drops null items', () => {
    const { body, fields, omitted } = mapRows(
      [campo(1, { telefones: ['#telefone#', '#celular#', '#fax#'], camposUsuario: [{ campo: 'USU_ORIGEM', valor: '#origem#' }] })],
      { telefone: '4733330000', celular: null, fax: '4733331111', origem: 'CRM' },
    );
    expect(body).toEqual({ telefones: ['4733330000', '4733331111'], camposUsuario: [{ campo: 'USU_ORIGEM', valor: 'CRM' }] });
    expect(omitted).toEqual([{ path: 'telefones[1]', campoId: 1, source: 'celular' }]);
    expect(fields.map((f) => f.path)).toEqual(['telefones[0]', 'telefones[1]', 'camposUsuario[0].campo', 'camposUsuario[0].valor']);
  });

  it('deep-merges rows in ordem order and appends the lists several rows give', () => {
    const { body, fields } = mapRows(
      [
        campo(10, { camposUsuario: [{ campo: 'USU_B', valor: '#b#' }] }, 2),
        campo(11, { dadosGeraisCliente: { definicoesCliente: { codEmp: 1 } } }, 3),
        campo(12, { camposUsuario: [{ campo: 'USU_A', valor: '#a#' }], dadosGeraisCliente: { nomCli: '#nome#' } }, 1),
        campo(13, { dadosGeraisCliente: { definicoesCliente: { codFil: 2 } } }, 3),
      ],
      { a: 1, b: 2, nome: 'N' },
    );
    expect(body).toEqual({
      camposUsuario: [
        { campo: 'USU_A', valor: 1 },
        { campo: 'USU_B', valor: 2 },
      ],
      dadosGeraisCliente: { nomCli: 'N', definicoesCliente: { codEmp: 1, codFil: 2 } },
    });
    expect(fields.find((f) => f.source === 'b')).toEqual({ path: 'camposUsuario[1].valor', campoId: 10, source: 'b', kind: 'variable' });
  });

  it('names both rows and the path when two rows give the same leaf', () => {
    const error = caught(() =>
      mapRows([campo(3, { dadosGeraisCliente: { nomCli: '#nome#' } }), campo(8, { dadosGeraisCliente: { nomCli: '#fantasia#' } })], conta),
    );
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ code: 'MAPPING_CONFLICT', campoIds: [3, 8], path: 'dadosGeraisCliente.nomCli', permanent: true });
    expect((error as Error).message).toMatch(/#3 and #8 both map "dadosGeraisCliente\.nomCli"/);
  });

  it('is a conflict when a row maps an object where another maps a value, whatever the data', () => {
    const rows = [campo(1, { endereco: '#endereco#' }), campo(2, { endereco: { cep: '#cep#' } })];
    expect(() => mapRows(rows, { endereco: 'Rua A', cep: '1' })).toThrow(/#1 and #2 both map "endereco"/);
    // Even when the first row's value is null and was left out.
    expect(() => mapRows(rows, { endereco: null, cep: '1' })).toThrow(MappingError);
    expect(() => mapRows([campo(1, { l: ['#a#'] }), campo(2, { l: { x: 1 } })], { a: 1 })).toThrow(/both map "l"/);
  });

  it('puts a component’s body where #componente:NOME# stands', () => {
    const enderecos = [
      { tipEnd: 'E', cepEnt: '89010000' },
      { tipEnd: 'C', cepEnt: '89020000' },
    ];
    const { body, fields } = mapRows(
      [
        campo(1, {
          dadosGeraisCliente: { nomCli: '#nome#', enderecosEntrega: '#componente:SET-WS-ENDERECOS#', contato: '#Componente: contato #' },
        }),
      ],
      conta,
      { components: { 'SET-WS-ENDERECOS': enderecos, contato: { nomCto: 'Ana' } } },
    );
    expect(body).toEqual({
      dadosGeraisCliente: { nomCli: 'ACME Indústria Ltda', enderecosEntrega: enderecos, contato: { nomCto: 'Ana' } },
    });
    expect(fields).toContainEqual({
      path: 'dadosGeraisCliente.enderecosEntrega',
      campoId: 1,
      source: 'componente:SET-WS-ENDERECOS',
      kind: 'component',
    });
  });

  it('refuses a component that was not built, or one written inside text', () => {
    expect(caught(() => mapRows([campo(4, { x: '#componente:faltando#' })], {}, { components: { outro: [] } }))).toMatchObject({
      code: 'MISSING_COMPONENT',
      campoIds: [4],
      message: expect.stringMatching(/"faltando".*components given: outro/),
    });
    expect(caught(() => mapRows([campo(5, { x: 'lista: #componente:a#' })], {}, { components: { a: [] } }))).toMatchObject({
      code: 'INVALID_COMPONENT_REFERENCE',
      campoIds: [5],
    });
  });

  it('fails clearly on campo_crm that is not a JSON object, naming the row', () => {
    expect(caught(() => mapRows([campo(7, '{"nomCli": "#nome#"')], conta))).toMatchObject({
      name: 'MappingError',
      code: 'INVALID_CAMPO_CRM',
      campoIds: [7],
      message: expect.stringMatching(/campos_integracao #7 campo_crm is not valid JSON/),
    });
    expect(caught(() => mapRows([campo(8, '{\u201CnomCli\u201D: \u201C#nome#\u201D')], conta))).toMatchObject({
      message: expect.stringMatching(/#8 .*typographic quote/),
    });
    expect(caught(() => mapRows([campo(9, '["#nome#"]')], conta))).toMatchObject({ code: 'INVALID_CAMPO_CRM', campoIds: [9] });
  });

  it('keeps a __proto__ key as a field, never as a prototype', () => {
    const { body } = mapRows([campo(1, '{"__proto__": {"polluted": "#nome#"}}')], conta);
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(body, '__proto__')).toBe(true);
  });

  it('maps nothing to an empty request', () => {
    expect(mapRows([], conta)).toEqual({ body: {}, fields: [], omitted: [] });
  });
});

describe('compiled campos, push after push', () => {
  it('maps each push with its own values from the same compiled campos', () => {
    const compiled = compileCampos([campo(1, { dadosGeraisCliente: { nomCli: '#nome#', ideExt: 'crm-#id#', tipMer: 'I' } })]);
    const first = buildRequest(compiled, { nome: 'ACME', id: 1 });
    const second = buildRequest(compiled, { nome: 'Padaria', id: 2 });
    expect(first.body).toEqual({ dadosGeraisCliente: { nomCli: 'ACME', ideExt: 'crm-1', tipMer: 'I' } });
    expect(second.body).toEqual({ dadosGeraisCliente: { nomCli: 'Padaria', ideExt: 'crm-2', tipMer: 'I' } });
    expect(second.body.dadosGeraisCliente).not.toBe(first.body.dadosGeraisCliente);
  });

  it('keeps what it compiled when a row changes afterwards; the next compile (a reload) sees the change', () => {
    const campos = [campo(1, { a: '#nome#' }), campo(2, { b: 'fixo' })];
    const compiled = compileCampos(campos);
    (campos[1] as { campo_crm: string }).campo_crm = JSON.stringify({ b: '#fantasia#' });
    (campos[0] as { ordem: number }).ordem = 9;
    campos.push(campo(3, { c: 'novo' }));
    expect(buildRequest(compiled, { nome: 'ACME', fantasia: 'F' }).body).toEqual({ a: 'ACME', b: 'fixo' });
    const reloaded = buildRequest(compileCampos(campos), { nome: 'ACME', fantasia: 'F' }).body;
    expect(reloaded).toEqual({ b: 'F', a: 'ACME', c: 'novo' });
    expect(Object.keys(reloaded)).toEqual(['b', 'c', 'a']);
  });

  it('refuses a row that is not JSON when compiling, naming the row', () => {
    expect(caught(() => compileCampos([campo(1, { a: '#x#' }), campo(2, '{"a": ')]))).toMatchObject({
      code: 'INVALID_CAMPO_CRM',
      campoIds: [2],
    });
  });
});
