import { createEmpresa, createFilial, type RegistroJob } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import type { Viewer } from './access';
import { filterOf, rowNames } from './queries';

describe('rowNames: the names a failures list shows beside ids', () => {
  let database: TestDatabase;
  let empresaId: number;
  const ids = { matriz: 0, outra: 0, daEmpresa: 0, daMatriz: 0, daOutra: 0, contatoDaOutra: 0 };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const db = database.db;
    empresaId = await createEmpresa(db, 'Acme');
    ids.matriz = await createFilial(db, empresaId, 'Matriz');
    ids.outra = await createFilial(db, empresaId, 'Outra');
    const conta = async (nome: string, filial: number | null) =>
      (
        await db
          .insertInto('contas')
          .values({ empresa_id: empresaId, empresa_filial_id: filial, nome })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    ids.daEmpresa = await conta('Conta da Empresa', null);
    ids.daMatriz = await conta('Conta da Matriz', ids.matriz);
    ids.daOutra = await conta('Conta da Outra', ids.outra);
    ids.contatoDaOutra = (
      await db
        .insertInto('contatos')
        .values({ empresa_id: empresaId, empresa_filial_id: ids.outra, nome: 'Contato da Outra' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  afterAll(async () => {
    await database.drop();
  });

  const viewer = (filialId: number | null): Viewer => ({
    autor: 'api:test',
    operadorId: null,
    papel: 'operador',
    scope: [empresaId],
    filialId,
    timeZone: 'UTC',
    locale: 'pt-BR',
    csrf: null,
  });
  // A failed record of a filial key's job naming a conta (or contato) by id: a SET run with a sibling's contaId.
  const record = (parametros: Record<string, number>) =>
    ({
      empresa_id: empresaId,
      empresa_filial_id: ids.matriz,
      integracao_id: null,
      fila: 'set',
      parametros: JSON.stringify(parametros),
    }) as unknown as RegistroJob;

  it('a filial key sees the names of its filial’s and the empresa’s contas, never a sibling filial’s', async () => {
    const rows = [ids.daEmpresa, ids.daMatriz, ids.daOutra].map((contaId) => record({ contaId }));
    rows.push(record({ contatoId: ids.contatoDaOutra }));
    const names = await rowNames(database, viewer(ids.matriz), rows);
    expect(names.contas?.get(`${empresaId}/${ids.daEmpresa}`)).toBe('Conta da Empresa');
    expect(names.contas?.get(`${empresaId}/${ids.daMatriz}`)).toBe('Conta da Matriz');
    expect(names.contas?.has(`${empresaId}/${ids.daOutra}`)).toBe(false);
    expect(names.contatos?.has(`${empresaId}/${ids.contatoDaOutra}`)).toBe(false);
    // The empresa's own key names every filial's conta: the wall above is the filial's, not a missing row.
    const whole = await rowNames(database, viewer(null), rows);
    expect(whole.contas?.get(`${empresaId}/${ids.daOutra}`)).toBe('Conta da Outra');
    expect(whole.contatos?.get(`${empresaId}/${ids.contatoDaOutra}`)).toBe('Contato da Outra');
  });
});

describe('filterOf: the search text and the wording the viewer reads', () => {
  const viewer = (locale: 'pt-BR' | 'en'): Viewer => ({
    autor: 'api:test',
    operadorId: null,
    papel: 'operador',
    scope: [1],
    filialId: 2,
    timeZone: 'UTC',
    locale,
    csrf: null,
  });
  it('takes the failure codes whose wording in the viewer’s language holds the text, and the viewer’s filial', () => {
    expect(filterOf(viewer('pt-BR'), { q: 'Recusou o login' })).toMatchObject({
      texto: 'Recusou o login',
      // An ERP database's login and a receptor's (RECEPTOR_LOGIN_REFUSED: "o ERP recusou o login da conexão…").
      codigos: ['RECEPTOR_LOGIN_REFUSED', 'LOGIN_REFUSED'],
      filialId: 2,
    });
    // The English wording is "refused the login": "recusou" is no English word.
    expect(filterOf(viewer('en'), { q: 'recusou o login' }).codigos).toEqual([]);
    expect(filterOf(viewer('en'), { q: 'refused the login' }).codigos).toEqual(['LOGIN_REFUSED', 'RECEPTOR_LOGIN_REFUSED']);
    expect(filterOf(viewer('pt-BR'), {}).codigos).toBeUndefined();
  });
});
