import { caught } from '@integrador/test-support/caught';
import { RuleConfigError, RuleViolationError } from './rule-errors';
import { normalizeRuleType } from './rule-types';
import { applyRules, compileRules, type RegraRow } from './rules';

let nextId = 1;
function regra(campo: string, tipo: string, parametros: unknown = null, extra: Partial<RegraRow> = {}): RegraRow {
  const id = nextId++;
  return {
    id,
    campo,
    tipo,
    parametros: parametros === null || typeof parametros === 'string' ? (parametros as string | null) : JSON.stringify(parametros),
    ordem: id,
    campos_integracao_id: null,
    ...extra,
  };
}

/** The value at `campo` after one regra. */
function one(value: unknown, tipo: string, parametros: unknown = null): unknown {
  return rulesOn({ x: value }, [regra('x', tipo, parametros)]).body.x;
}

/** Regras compiled first, as the engine compiles them once per loaded definition, then applied. */
const rulesOn = (body: Readonly<Record<string, unknown>>, regras: readonly RegraRow[]) => applyRules(body, compileRules(regras));

describe('normalizeRuleType', () => {
  it('accepts pt-BR names, English aliases, accents, case, spaces and hyphens', () => {
    expect(normalizeRuleType('de_para')).toBe('mapa');
    expect(normalizeRuleType('De-Para')).toBe('mapa');
    expect(normalizeRuleType('Obrigatório')).toBe('obrigatorio');
    expect(normalizeRuleType('REQUIRED')).toBe('obrigatorio');
    expect(normalizeRuleType(' padrão ')).toBe('padrao');
    expect(normalizeRuleType('decimal virgula')).toBe('decimal');
    expect(normalizeRuleType('Somente Dígitos')).toBe('somente_digitos');
    expect(normalizeRuleType('MAIÚSCULAS')).toBe('maiusculas');
    expect(normalizeRuleType('truncate')).toBe('cortar');
    expect(normalizeRuleType('formatar')).toBeNull();
  });
});

describe('applyRules', () => {
  const body = {
    dadosGeraisCliente: {
      nomCli: '  ACME Indústria e Comércio de Peças Ltda  ',
      sitCli: 'ativo',
      cgcCpf: '12.345.678/0001-90',
      cepCli: '89010-000',
      vlrLim: 1234.5,
      datCad: '2024-03-05 10:20:30',
      enderecosEntrega: [
        { cepEnt: '89010-001', endEnt: 'Rua A' },
        { cepEnt: '89010-002', endEnt: null },
      ],
    },
  };

  it('runs rules in ordem order on nested paths and every item of a list, leaving the input alone', () => {
    const snapshot = structuredClone(body);
    const { body: out, applied } = rulesOn(body, [
      regra('dadosGeraisCliente.nomCli', 'cortar', { tamanho: 20 }, { ordem: 2 }),
      regra('dadosGeraisCliente.nomCli', 'aparar', null, { ordem: 1 }),
      regra('dadosGeraisCliente.sitCli', 'de_para', { valores: { Ativo: 'A', Inativo: 'I' } }, { ordem: 3 }),
      regra('dadosGeraisCliente.cgcCpf', 'somente_digitos', null, { ordem: 4 }),
      regra('dadosGeraisCliente.enderecosEntrega.cepEnt', 'digits', null, { ordem: 5, campos_integracao_id: 9 }),
      regra('dadosGeraisCliente.enderecosEntrega[].endEnt', 'padrao', { valor: 'S/N' }, { ordem: 6 }),
      regra('dadosGeraisCliente.vlrLim', 'decimal_virgula', { casas: 2 }, { ordem: 7 }),
      regra('dadosGeraisCliente.datCad', 'data', { formato: 'dd/MM/yyyy' }, { ordem: 8 }),
    ]);
    expect(out).toEqual({
      dadosGeraisCliente: {
        nomCli: 'ACME Indústria e Com',
        sitCli: 'A',
        cgcCpf: '12345678000190',
        cepCli: '89010-000',
        vlrLim: '1234,50',
        datCad: '05/03/2024',
        enderecosEntrega: [
          { cepEnt: '89010001', endEnt: 'Rua A' },
          { cepEnt: '89010002', endEnt: 'S/N' },
        ],
      },
    });
    expect(body).toEqual(snapshot);
    expect(applied.filter((a) => a.tipo === 'somente_digitos' && a.campoId === 9)).toEqual([
      expect.objectContaining({ path: 'dadosGeraisCliente.enderecosEntrega[0].cepEnt', before: '89010-001', after: '89010001' }),
      expect.objectContaining({ path: 'dadosGeraisCliente.enderecosEntrega[1].cepEnt', before: '89010-002', after: '89010002' }),
    ]);
    expect(applied[0]).toMatchObject({
      tipo: 'aparar',
      campo: 'dadosGeraisCliente.nomCli',
      after: 'ACME Indústria e Comércio de Peças Ltda',
    });
  });

  it('picks one item with [n] and treats a single object as a list of one with []', () => {
    const out = rulesOn({ l: [{ a: 'x' }, { a: 'y' }], one: { a: 'z' } }, [regra('l[1].a', 'upper'), regra('one[].a', 'upper')]).body;
    expect(out).toEqual({ l: [{ a: 'x' }, { a: 'Y' }], one: { a: 'Z' } });
  });

  it('applies item-wise rules to every item of a list value', () => {
    expect(one(['(47) 3333-0000', '47 9 8888-7777', null], 'somente_digitos')).toEqual(['4733330000', '47988887777', null]);
    expect(one([[' a '], ' b '], 'trim')).toEqual([['a'], 'b']);
  });

  it('skips a missing field for rules that transform values', () => {
    const { body: out, applied } = rulesOn({ a: {} }, [regra('a.b', 'upper'), regra('x.y.z', 'data'), regra('a.l[]', 'trim')]);
    expect(out).toEqual({ a: {} });
    expect(applied).toEqual([]);
  });

  describe('mapa / de_para', () => {
    const valores = { A: 'Ativo', I: 'Inativo', '1': true, '': 'Vazio' };
    it('maps exactly, then trimmed and ignoring case', () => {
      expect(one('A', 'mapa', { valores })).toBe('Ativo');
      expect(one(' a ', 'mapa', { valores })).toBe('Ativo');
      expect(one(1, 'map', { values: valores })).toBe(true);
      expect(one(null, 'mapa', { valores })).toBe('Vazio');
    });
    it('falls back to padrao, else keeps the value, else refuses it when estrito', () => {
      expect(one('X', 'mapa', { valores, padrao: 'Outro' })).toBe('Outro');
      expect(one('X', 'mapa', { valores, padrao: null })).toBeNull();
      expect(one('X', 'mapa', { valores })).toBe('X');
      const error = caught(() =>
        rulesOn({ sitCli: 'X' }, [regra('sitCli', 'de_para', { valores: { A: 'A' }, estrito: true }, { id: 77 })]),
      );
      expect(error).toBeInstanceOf(RuleViolationError);
      expect(error).toMatchObject({ regraId: 77, campo: 'sitCli', path: 'sitCli', code: 'RULE_VIOLATION', permanent: true });
      expect((error as Error).message).toBe('regra #77 (mapa) on "sitCli": expected one of "A", got "X"');
    });
    it('needs "valores" to be an object', () => {
      expect(caught(() => one('A', 'mapa', { valores: ['A'] }))).toMatchObject({ name: 'RuleConfigError', code: 'INVALID_PARAMETERS' });
      expect(caught(() => one('A', 'mapa', { valores: {}, estrito: 'sim' }))).toMatchObject({ code: 'INVALID_PARAMETERS' });
    });
  });

  describe('padrao / default', () => {
    it('fills missing, null, empty and blank values, and creates the path', () => {
      expect(one(null, 'padrao', { valor: 'N' })).toBe('N');
      expect(one('', 'default', { value: 'N' })).toBe('N');
      expect(one('  ', 'padrao', { valor: 0 })).toBe(0);
      expect(one('S', 'padrao', { valor: 'N' })).toBe('S');
      expect(one(0, 'padrao', { valor: 9 })).toBe(0);
      expect(rulesOn({}, [regra('dadosGeraisCliente.cliCon', 'padrao', { valor: 'S' })]).body).toEqual({
        dadosGeraisCliente: { cliCon: 'S' },
      });
    });
    it('needs "valor" and an object to hold the field', () => {
      expect(caught(() => one(null, 'padrao', {}))).toMatchObject({
        code: 'INVALID_PARAMETERS',
        message: expect.stringMatching(/"valor" is required/),
      });
      expect(caught(() => rulesOn({ a: 'texto' }, [regra('a.b', 'padrao', { valor: 1 })]))).toBeInstanceOf(RuleViolationError);
    });
  });

  describe('obrigatorio / required', () => {
    it('passes values and refuses missing, null, empty, blank and empty lists, naming campo and regra', () => {
      expect(one('x', 'obrigatorio')).toBe('x');
      expect(one(0, 'required')).toBe(0);
      expect(one(false, 'required')).toBe(false);
      for (const value of [null, '', '   ', []]) expect(() => one(value, 'obrigatorio')).toThrow(RuleViolationError);
      const error = caught(() =>
        rulesOn({ dadosGeraisCliente: {} }, [regra('dadosGeraisCliente.cgcCpf', 'Obrigatório', '{}', { id: 31 })]),
      );
      expect((error as Error).message).toBe('regra #31 (obrigatorio) on "dadosGeraisCliente.cgcCpf": expected a value, got no field');
      expect(caught(() => rulesOn({}, [regra('a.b[].c', 'required')]))).toMatchObject({ path: 'a.b[].c' });
      expect(caught(() => rulesOn({ l: [{ c: 1 }, {}] }, [regra('l.c', 'required')]))).toMatchObject({ path: 'l[1].c' });
    });
  });

  describe('data / date', () => {
    it('formats SQL text, ISO dates and Brazilian dates as written', () => {
      expect(one('2024-03-05 10:20:30', 'data', { formato: 'dd/MM/yyyy HH:mm:ss' })).toBe('05/03/2024 10:20:30');
      expect(one('2024-03-05', 'date', null)).toBe('05/03/2024');
      expect(one('2024-03-05T07:08:09.123', 'data', { formato: 'yyyy-MM-ddTHH:mm' })).toBe('2024-03-05T07:08');
      expect(one('05/03/2024', 'data', { formato: 'yyyyMMdd' })).toBe('20240305');
    });
    it('reads a Date and text with an offset in "fuso", else in the process time zone', () => {
      expect(one(new Date(2024, 2, 5, 23, 59, 58), 'data', { formato: 'dd/MM/yyyy HH:mm:ss' })).toBe('05/03/2024 23:59:58');
      const instant = new Date('2024-03-05T02:00:00Z');
      expect(one(instant, 'data', { formato: 'dd/MM/yyyy HH:mm', fuso: 'America/Sao_Paulo' })).toBe('04/03/2024 23:00');
      expect(one('2024-03-05T02:00:00Z', 'data', { formato: 'dd/MM/yyyy HH:mm', fuso: 'America/Sao_Paulo' })).toBe('04/03/2024 23:00');
      expect(one('2024-03-05T02:00:00-03:00', 'data', { formato: 'dd/MM/yyyy HH:mm', fuso: 'UTC' })).toBe('05/03/2024 05:00');
    });
    it('keeps null and empty, refuses dates that do not exist and values that are not dates', () => {
      expect(one(null, 'data')).toBeNull();
      expect(one('', 'data')).toBe('');
      for (const value of ['2024-02-30', '2023-02-29 10:00:00', '2024-13-01', '2024-03-05 24:00:00', 'ontem', 20240305, new Date('x')])
        expect(() => one(value, 'data')).toThrow(RuleViolationError);
      expect(one('2024-02-29', 'data')).toBe('29/02/2024');
    });
    it('refuses a "fuso" Intl does not know', () => {
      expect(caught(() => one('2024-03-05', 'data', { fuso: 'Brasil/Blumenau' }))).toMatchObject({ code: 'INVALID_PARAMETERS' });
    });
  });

  describe('decimal / decimal_virgula', () => {
    it('writes numbers and numeric text with a decimal comma and no thousands separator', () => {
      expect(one(1234.5, 'decimal')).toBe('1234,50');
      expect(one('1234.5', 'decimal_virgula')).toBe('1234,50');
      expect(one('1234,5', 'decimal')).toBe('1234,50');
      expect(one('1.234.567,891', 'decimal')).toBe('1234567,89');
      expect(one(1234567, 'decimal')).toBe('1234567,00');
      expect(one(-0.5, 'decimal', { casas: 0 })).toBe('-1');
      expect(one(2.5, 'decimal', { casas: 0 })).toBe('3');
      expect(one(1.005, 'decimal')).toBe('1,01');
      expect(one(-0.001, 'decimal')).toBe('0,00');
      expect(one(0.1 + 0.2, 'decimal', { casas: 4 })).toBe('0,3000');
      expect(one(1e21, 'decimal')).toBe('1000000000000000000000,00');
      expect(one(9.99, 'decimal', { casas: 1, separador: '.' })).toBe('10.0');
      expect(one(' 12 ', 'decimal', { casas: 3 })).toBe('12,000');
    });
    it('keeps null and empty, refuses what is not a number', () => {
      expect(one(null, 'decimal')).toBeNull();
      expect(one('', 'decimal')).toBe('');
      for (const value of ['12a', '1e5', 'NaN', Number.NaN, Number.POSITIVE_INFINITY, true, '1,234.5'])
        expect(() => one(value, 'decimal')).toThrow(RuleViolationError);
    });
    it('checks casas and separador', () => {
      expect(caught(() => one(1, 'decimal', { casas: -1 }))).toMatchObject({ code: 'INVALID_PARAMETERS' });
      expect(caught(() => one(1, 'decimal', { casas: 2.5 }))).toMatchObject({ code: 'INVALID_PARAMETERS' });
      expect(caught(() => one(1, 'decimal', { separador: 0 }))).toMatchObject({ code: 'INVALID_PARAMETERS' });
    });
  });

  describe('somente_digitos / digits', () => {
    it('keeps only ASCII digits of texts and numbers', () => {
      expect(one('123.456.789-09', 'somente_digitos')).toBe('12345678909');
      expect(one('+55 (47) 3333-0000', 'digits')).toBe('554733330000');
      expect(one(89010000, 'digits')).toBe('89010000');
      expect(one('sem número', 'digits')).toBe('');
      expect(one('１２３', 'digits')).toBe('');
      expect(one(null, 'digits')).toBeNull();
      expect(one(true, 'digits')).toBe(true);
    });
  });

  describe('cortar / truncate', () => {
    it('cuts texts by code points, never splitting an emoji', () => {
      expect(one('Indústria', 'cortar', { tamanho: 4 })).toBe('Indú');
      expect(one('ab😀cd', 'truncate', { tamanho: 3 })).toBe('ab😀');
      expect(one('curto', 'cortar', { tamanho: 40 })).toBe('curto');
      expect(one('x', 'cortar', { tamanho: 0 })).toBe('');
      expect(one(123456, 'cortar', { tamanho: 2 })).toBe(123456);
      expect(one(null, 'cortar', { tamanho: 2 })).toBeNull();
    });
    it('needs a whole "tamanho"', () => {
      expect(caught(() => one('x', 'cortar'))).toMatchObject({ code: 'INVALID_PARAMETERS', message: expect.stringMatching(/"tamanho"/) });
      expect(caught(() => one('x', 'cortar', { tamanho: '40' }))).toMatchObject({ code: 'INVALID_PARAMETERS' });
    });
  });

  describe('maiusculas, minusculas, aparar', () => {
    it('change the case of texts, accents included, and trim them', () => {
      expect(one('ação çedilha', 'maiusculas')).toBe('AÇÃO ÇEDILHA');
      expect(one('AÇÃO', 'lower')).toBe('ação');
      expect(one('\u00a0 texto \n', 'aparar')).toBe('texto');
      expect(one(5, 'upper')).toBe(5);
      expect(one(null, 'trim')).toBeNull();
    });
  });

  describe('numero / number', () => {
    it('turns numeric text into numbers', () => {
      expect(one('1234.5', 'numero')).toBe(1234.5);
      expect(one('1234,5', 'number')).toBe(1234.5);
      expect(one('1.234,5', 'numero')).toBe(1234.5);
      expect(one(' -7 ', 'numero')).toBe(-7);
      expect(one(3, 'numero')).toBe(3);
      expect(one(10n, 'numero')).toBe(10);
      expect(one('  ', 'numero')).toBeNull();
      expect(one(null, 'numero')).toBeNull();
    });
    it('refuses what is not a number', () => {
      for (const value of ['abc', '1.2.3,4,5', true, Number.NaN, { a: 1 }, 2n ** 64n])
        expect(() => one(value, 'numero')).toThrow(RuleViolationError);
    });
  });

  describe('configuration errors', () => {
    it('names the regra of an unknown tipo, before running any rule', () => {
      const error = caught(() =>
        rulesOn({ x: null }, [regra('x', 'obrigatorio', null, { ordem: 1 }), regra('x', 'formatar', null, { id: 500, ordem: 2 })]),
      );
      expect(error).toBeInstanceOf(RuleConfigError);
      expect(error).toMatchObject({ code: 'UNKNOWN_RULE', regraId: 500, permanent: true, name: 'RuleConfigError' });
      expect((error as Error).message).toMatch(/regra #500 has an unknown tipo "formatar"; expected one of: mapa\/de_para/);
    });
    it('names the regra of malformed parametros', () => {
      expect(caught(() => rulesOn({}, [regra('x', 'padrao', '{"valor": ', { id: 600 })]))).toMatchObject({
        code: 'INVALID_PARAMETERS',
        regraId: 600,
        message: expect.stringMatching(/regra #600 \(padrao\) parametros is not valid JSON/),
      });
      expect(caught(() => rulesOn({}, [regra('x', 'padrao', '{\u201Cvalor\u201D: 1', { id: 601 })]))).toMatchObject({
        message: expect.stringMatching(/typographic quotes/),
      });
      expect(caught(() => rulesOn({}, [regra('x', 'padrao', '[1]', { id: 602 })]))).toMatchObject({ code: 'INVALID_PARAMETERS' });
    });
    it('refuses a campo that is not a path', () => {
      for (const campo of ['', 'a..b', 'a[x]', 'a]'])
        expect(caught(() => rulesOn({}, [regra(campo, 'trim')]))).toMatchObject({ code: 'INVALID_CAMPO' });
    });
  });

  it('never writes through __proto__', () => {
    const out = rulesOn(JSON.parse('{"__proto__": {"a": null}}') as Record<string, unknown>, [
      regra('__proto__.a', 'padrao', { valor: 'x' }),
    ]).body;
    expect(({} as Record<string, unknown>).a).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ a: 'x' });
  });
});

describe('compiled regras, push after push', () => {
  it('gives every push its own copy of an object a regra brings', () => {
    const regras = compileRules([
      regra('contato', 'padrao', { valor: { tipo: 'email' } }),
      regra('contato.origem', 'padrao', { valor: 'crm' }),
    ]);
    const first = applyRules({ id: 1 }, regras).body;
    (first.contato as Record<string, unknown>).tipo = 'changed by a caller';
    const second = applyRules({ id: 2 }, regras).body;
    expect(second).toEqual({ id: 2, contato: { tipo: 'email', origem: 'crm' } });
  });

  it('keeps what it compiled when a row changes afterwards; the next compile (a reload) sees the change', () => {
    const rows = [regra('x', 'maiusculas')];
    const compiled = compileRules(rows);
    (rows[0] as RegraRow).tipo = 'minusculas';
    expect(applyRules({ x: 'Ab' }, compiled).body.x).toBe('AB');
    expect(applyRules({ x: 'Ab' }, compileRules(rows)).body.x).toBe('ab');
    (rows[0] as RegraRow).parametros = '{"nao": "json"';
    (rows[0] as RegraRow).tipo = 'padrao';
    expect(caught(() => compileRules(rows))).toBeInstanceOf(RuleConfigError);
  });
});
