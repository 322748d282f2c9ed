import { normalizeTipoConexao } from './tipo-conexao';

describe('normalizeTipoConexao', () => {
  it.each([
    ['webservice', 'webservice'],
    ['Web Service', 'webservice'],
    ['WEB_SERVICE', 'webservice'],
    ['ws', 'webservice'],
    ['Conexão via Web Service', 'webservice'],
    ['database', 'database'],
    ['Banco de Dados', 'database'],
    ['banco', 'database'],
    ['BD', 'database'],
    ['conexao via banco de dados', 'database'],
    ['api', 'api'],
    [' API ', 'api'],
    ['Conexão via API.', null],
    ['ftp', null],
    ['constructor', null],
    ['', null],
  ])('maps %j to %j', (value, kind) => {
    expect(normalizeTipoConexao(value)).toBe(kind);
  });
});
