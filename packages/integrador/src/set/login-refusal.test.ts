import { isLoginRefusal } from './login-refusal';

describe('isLoginRefusal (RECEPTOR_LOGIN_REFUSED: the connection’s credentials, not the record)', () => {
  it.each([
    'Usuário ou senha inválidos',
    'Usuário ou senha inválidos.',
    'usuario ou senha invalidos',
    ' Invalid username or password ',
    'Invalid user or password.',
    'invalid credentials',
  ])('reads %j as the ERP refusing the login', (message) => {
    expect(isLoginRefusal(message)).toBe(true);
  });

  it.each([
    // A record-level refusal that mentions a password: the record's own error, not the connection's login.
    'Campo senha inválida no usuário do portal do cliente',
    'Cliente 42: senha inválida para o portal',
    'Usuário ou senha inválidos para o acesso ao portal do cliente 42',
    'invalid password for portal user 42',
    'apeCli obrigatório',
  ])('reads %j as the record’s own refusal', (message) => {
    expect(isLoginRefusal(message)).toBe(false);
  });
});
