import { phoneOf } from './payload-shapes';
import { atividadePayload, contatoPayload, eventoPayload, oportunidadePayload } from './payloads';

// Seed 004's types from either form `dados` may hold: the CRM's (seed 004's own) and a seed 003 sync's (typed values).
// The end-to-end contract (sync → crm-change → receiver, every dialect) is test/webhook-payload-contract.test.ts.

const row = (dados: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 7,
  nome: 'X',
  dados: JSON.stringify(dados),
  ...extra,
});

describe('phones as seed 004 writes them: area code + number, digits only (rev9b L2)', () => {
  it('drops the country code and a trunk 0, keeps 0800 numbers; takes the first of two numbers, without an extension', () => {
    const phones = {
      '(11) 3456-7891': '1134567891',
      '+55 (11) 98765-4321': '11987654321',
      '0055 11 98765-4321': '11987654321',
      '55(31)26582323': '3126582323',
      '(011) 3456-7891': '1134567891',
      '0800 123 4567': '08001234567',
      '5533221100': '5533221100',
      '(11) 3456-7891 / 3456-7892': '1134567891',
      '(11) 3456-7891, (21) 2233-4455': '1134567891',
      '(11) 3456-7891 ou (11) 98765-4321': '1134567891',
      '(11) 3456-7891 ramal 204': '1134567891',
      '(11) 3456-7891 r. 204': '1134567891',
      '(11) 3456-7891 x204': '1134567891',
      '3456-7891': '34567891',
      'não tem': 'não tem',
    };
    expect(Object.fromEntries(Object.keys(phones).map((text) => [text, phoneOf(text)]))).toEqual(phones);
    expect(phoneOf(null)).toBeNull();
  });
});

describe('seed 004 field types from what dados stores', () => {
  it('flags: booleans, 0/1 and their texts become "1"/"0"; anything else null', () => {
    const flags = (canhoto: unknown) => contatoPayload(row({ canhoto })).canhoto;
    expect([true, false, 1, 0, '1', '0', 'true', 'False', 'sim', 'não'].map(flags)).toEqual([
      '1',
      '0',
      '1',
      '0',
      '1',
      '0',
      '1',
      '0',
      '1',
      '0',
    ]);
    expect([2, 'talvez', {}, [], null].map(flags)).toEqual([null, null, null, null, null]);
  });

  it('texts: numbers as their digits, "" and objects as null', () => {
    const p = contatoPayload(row({ numero: 342, anoFormacao: 2022, bairro: '', uf: { sigla: 'MG' } }));
    expect([p.numero, p.anoFormacao, p.bairro, p.uf]).toEqual(['342', '2022', null, null]);
  });

  it('{id, nome}: a stored object as it is (ids as text), a bare id with nome null', () => {
    const p = contatoPayload(row({ estadoCivil: { id: 7, nome: 'Solteiro' }, cor: '2', grauInstrucao: 9 }));
    expect([p.estadoCivil, p.cor, p.grauInstrucao]).toEqual([
      { id: '7', nome: 'Solteiro' },
      { id: '2', nome: null },
      { id: '9', nome: null },
    ]);
  });

  it('basesLegais and assinaturas keep numeric ids (as seed 004 prints them); a non-numeric id stays text', () => {
    const p = contatoPayload(row({ baseLegal: 'LGPD-A', assinaturas: [{ id: '4', baseLegal: { id: '2', nome: 'Consentimento' } }] }));
    expect(p.basesLegais).toEqual([{ id: 'LGPD-A', nome: null }]);
    expect(p.assinaturas).toEqual([{ id: 4, nome: null, justificativa: null, baseLegal: { id: 2, nome: 'Consentimento' } }]);
  });

  it('registro de processo: contatos, cursos and dates typed; a tipo object sends its nome', () => {
    const p = oportunidadePayload(
      row({
        contatos: [{ id: 635, codigo: 'COD156', principal: 1, tipo: { id: 1, nome: 'Aluno' } }],
        cursos: [{ id: 21, codCurso: 'ADM', codOferta: 'ADM_2', principal: false }],
        criacao: '2019-02-06T14:06:00Z',
        notaEnem: 760,
      }),
      {},
    );
    expect(p.contatos).toEqual([{ id: '635', codigo: 'COD156', principal: '1', tipo: 'Aluno' }]);
    expect(p.cursos).toEqual([{ id: '21', codCurso: 'ADM', codOferta: 'ADM_2', principal: '0' }]);
    expect([p.criacao, p.notaEnem]).toEqual(['2019-02-06 12:06', '760']);
  });

  it('evento: a tipo that is not an object falls back to the column; curso from codCurso/codOferta', () => {
    const p = eventoPayload(
      row({ tipo: 'prova', codCurso: 'ADM', codOferta: 'ADM_3', contatosSecundarios: [634, '633'] }, { tipo: 'Prova' }),
      {},
    );
    expect(p.tipo).toEqual({ id: null, codigo: null, nome: 'Prova' });
    expect(p.curso).toEqual({ id: null, codCurso: 'ADM', codOferta: 'ADM_3' });
    expect(p.contatosSecundarios).toEqual(['634', '633']);
    expect(eventoPayload(row({}), {}).curso).toBeNull();
  });

  it("oportunidade: criacao and ultimaAlteracaoStatus from the change's time when dados has none", () => {
    const em = new Date('2026-03-10T12:30:00Z');
    const criada = oportunidadePayload(row({}), { mudanca: { gatilho: 'oportunidade.criada', em } });
    expect([criada.criacao, criada.ultimaAlteracaoStatus]).toEqual(['2026-03-10 09:30', null]);
    const alterada = oportunidadePayload(row({}), { mudanca: { gatilho: 'oportunidade.status_alterado', em } });
    expect([alterada.criacao, alterada.ultimaAlteracaoStatus]).toEqual([null, '2026-03-10 09:30']);
    const stored = { criacao: '2019-02-06 12:06', ultimaAlteracaoStatus: '2019-02-07 08:00' };
    const kept = oportunidadePayload(row(stored), { mudanca: { gatilho: 'oportunidade.status_alterado', em } });
    expect([kept.criacao, kept.ultimaAlteracaoStatus]).toEqual(['2019-02-06 12:06', '2019-02-07 08:00']);
  });

  it('curso: a bare id follows the bare-id rule, the rest null', () => {
    expect(eventoPayload(row({ curso: 21 }), {}).curso).toEqual({ id: '21', codCurso: null, codOferta: null });
    expect(atividadePayload(row({ curso: '22' }), {}).curso).toEqual({ id: '22', codCurso: null, codOferta: null });
    expect(eventoPayload(row({ curso: '' }), {}).curso).toBeNull();
  });
});
