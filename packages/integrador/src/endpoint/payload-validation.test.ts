import { CONTATO_DO_SEED, CONTATO_EXEMPLO, EVENTO_EXEMPLO } from '@integrador/test-support/seed-003';
import { createSecretMasker } from '@integrador/transports';
import { recordErrorMessage } from './endpoint-messages';
import { validateRecord, validateRecords } from './payload-validation';

function errorsOf(tipo: 'contato' | 'evento', record: unknown) {
  const result = validateRecord(tipo, 7, record);
  return 'errors' in result ? result.errors.map((e) => ({ field: e.field, code: e.code })) : [];
}

describe('seed 003 payload validation', () => {
  it('accepts the seed’s contato example (with baseLegal) and normalises its text numbers, booleans and empty strings', () => {
    const result = validateRecord('contato', 0, CONTATO_EXEMPLO);
    expect(result).toEqual({
      valid: {
        index: 0,
        data: expect.objectContaining({
          codigo: '34985761',
          numero: 342,
          canhoto: false,
          aluno: true,
          exaluno: false,
          anoFormacao: 2022,
          baseLegal: 1,
          origem: 2,
          deficiencias: [{ id: 1, tipos: [1, 3] }],
          camposPersonalizados: { campanhaOrigem: 'Facebook' },
        }),
      },
    });
    const data = (result as { valid: { data: Record<string, unknown> } }).valid.data;
    expect(data).not.toHaveProperty('nomeSocial');
    expect(data).not.toHaveProperty('profissao');
  });

  it('refuses the seed’s contato example as printed: it has no baseLegal', () => {
    expect(errorsOf('contato', CONTATO_DO_SEED)).toEqual([{ field: 'baseLegal', code: 'REQUIRED' }]);
  });

  it('accepts the seed’s evento example (empty dates are absent)', () => {
    const result = validateRecord('evento', 0, EVENTO_EXEMPLO);
    expect('valid' in result && result.valid.data).toEqual({
      descricao: '<b>Completou a primeira etapa</b>',
      codContato: '34985761',
      codOferta: 'ADM_3',
      codCurso: 'ADM',
      codLocalOferta: 'SEDE',
      camposPersonalizados: { selecionouAgendamento: '0' },
    });
  });

  it.each([
    ['codigo missing', { codigo: undefined }, [{ field: 'codigo', code: 'REQUIRED' }]],
    ['nome empty', { nome: '  ' }, [{ field: 'nome', code: 'REQUIRED' }]],
    ['neither telefone nor e-mail', { telefonePrincipal: '', emailPrincipal: '' }, [{ field: '', code: 'CONTACT_REQUIRED' }]],
    ['dataNascimento in Brazilian order', { dataNascimento: '19/05/1998' }, [{ field: 'dataNascimento', code: 'FORMAT' }]],
    ['dataNascimento that does not exist', { dataNascimento: '1998-02-30' }, [{ field: 'dataNascimento', code: 'FORMAT' }]],
    ['cep without the dash', { cep: '33840610' }, [{ field: 'cep', code: 'FORMAT' }]],
    ['telefone without area code', { telefonePrincipal: '26582323' }, [{ field: 'telefonePrincipal', code: 'FORMAT' }]],
    ['a bad telefone in telefones', { telefones: ['55(31) 26582323', 'x'] }, [{ field: 'telefones.1', code: 'FORMAT' }]],
    ['numero that is not a number', { numero: '342A' }, [{ field: 'numero', code: 'TYPE' }]],
    ['canhoto that is not a boolean', { canhoto: 'sim' }, [{ field: 'canhoto', code: 'TYPE' }]],
    ['emails that is not an array', { emails: 'a@b.com' }, [{ field: 'emails', code: 'TYPE' }]],
    ['camposPersonalizados that is not an object', { camposPersonalizados: 'x' }, [{ field: 'camposPersonalizados', code: 'TYPE' }]],
    ['a deficiencia without id', { deficiencias: [{ tipos: [1] }] }, [{ field: 'deficiencias.0.id', code: 'REQUIRED' }]],
    ['an assinatura with a text id', { assinaturas: [{ id: 'um' }] }, [{ field: 'assinaturas.0.id', code: 'TYPE' }]],
    ['anoFormacao out of range', { anoFormacao: '22' }, [{ field: 'anoFormacao', code: 'OUT_OF_RANGE' }]],
    ['codigo as a number', { codigo: 34985761 }, [{ field: 'codigo', code: 'TYPE' }]],
    ['codigo longer than its column', { codigo: 'x'.repeat(51) }, [{ field: 'codigo', code: 'TOO_LONG' }]],
  ])('reports %s with its field', (_case, change, expected) => {
    expect(errorsOf('contato', { ...CONTATO_EXEMPLO, ...change })).toEqual(expected);
  });

  it('reports every failing field of one record', () => {
    expect(errorsOf('contato', { ...CONTATO_EXEMPLO, cep: '1', numero: 'x' })).toEqual([
      { field: 'cep', code: 'FORMAT' },
      { field: 'numero', code: 'TYPE' },
    ]);
  });

  it('accepts the seed’s telefone pattern with the space and nine digits, and ignores attributes the seed does not list', () => {
    expect(errorsOf('contato', { ...CONTATO_EXEMPLO, telefonePrincipal: '55(31) 926582323', outro: { x: 1 } })).toEqual([]);
  });

  it.each([
    ['codContato missing', { codContato: '' }, [{ field: 'codContato', code: 'REQUIRED' }]],
    ['data without the time', { data: '2024-03-10' }, [{ field: 'data', code: 'FORMAT' }]],
    ['dataVencimento at 25 h', { dataVencimento: '2024-03-10 25:00:00' }, [{ field: 'dataVencimento', code: 'FORMAT' }]],
    ['notaEnem as a decimal', { notaEnem: '650.5' }, [{ field: 'notaEnem', code: 'TYPE' }]],
    ['compareceuAtividade as text', { compareceuAtividade: 'talvez' }, [{ field: 'compareceuAtividade', code: 'TYPE' }]],
  ])('reports an evento with %s', (_case, change, expected) => {
    expect(errorsOf('evento', { ...EVENTO_EXEMPLO, ...change })).toEqual(expected);
  });

  it('accepts an evento with dates, codRegistro and camposPersonalizados as an array', () => {
    const record = {
      ...EVENTO_EXEMPLO,
      data: '2024-03-10 14:30:00',
      dataVencimento: '2024-03-20 23:59:59',
      codRegistro: 'R1',
      camposPersonalizados: [],
    };
    expect(errorsOf('evento', record)).toEqual([]);
  });

  it('splits a batch into valid records and errors with their index, and says it in pt-BR and English', () => {
    const { valid, errors, invalid } = validateRecords('contato', [CONTATO_EXEMPLO, 'texto', { ...CONTATO_EXEMPLO, cep: '123' }]);
    expect(valid.map((r) => r.index)).toEqual([0]);
    expect(invalid).toBe(2);
    expect(errors.map((e) => [e.index, e.field, e.code])).toEqual([
      [1, '', 'NOT_OBJECT'],
      [2, 'cep', 'FORMAT'],
    ]);
    expect(errors[1]?.message).toBe('registro 2: o campo "cep" deve seguir o padrão xxxxx-xxx, recebido "123"');
    expect(recordErrorMessage('en', errors[1] as (typeof errors)[number])).toBe(
      'record 2: field "cep" must follow the pattern xxxxx-xxx, got "123"',
    );
  });

  it('masks a value it quotes before cutting it to 100 characters, so no start of a secret is left at the cut', () => {
    const secret = 'SEGREDO-0123456789';
    const { text } = createSecretMasker([secret]);
    const { errors } = validateRecords('contato', [{ ...CONTATO_EXEMPLO, cep: `${'9'.repeat(95)}${secret}` }], text);
    expect(errors.map((e) => e.params)).toEqual([{ pattern: 'xxxxx-xxx', value: `${'9'.repeat(95)}***` }]);
  });
});
