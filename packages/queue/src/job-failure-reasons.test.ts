import { LOCALES } from '@integrador/i18n';
import {
  failureCodesMatching,
  JOB_FAILURE_REASONS,
  JOB_FAILURE_REASONS_WITH_VALUES,
  jobFailureLabel,
  jobFailureTemplate,
  jobFailureText,
  passwordVariablesParam,
  RECEPTOR_LOGIN_REFUSAL,
} from './job-failure-reasons';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the job failure catalogue', () => {
  const codes = Object.keys(JOB_FAILURE_REASONS.table) as Array<keyof typeof JOB_FAILURE_REASONS.table>;

  it('words every code in every locale, with the same placeholders, short and distinct per locale', () => {
    expect(codes.length).toBeGreaterThan(30);
    for (const code of codes) {
      const texts = JOB_FAILURE_REASONS.table[code];
      for (const locale of LOCALES) {
        expect({ code, locale, text: texts[locale]?.trim() || null }).toEqual({ code, locale, text: expect.any(String) });
        // One line a user reads before the detail: no sentence full stop at its end, no line break.
        expect(texts[locale]).not.toMatch(/[.\n]$/);
        expect(texts[locale].length).toBeLessThan(200);
      }
      expect({ code, placeholders: placeholders(texts['pt-BR']) }).toEqual({ code, placeholders: placeholders(texts.en) });
      expect({ code, same: texts['pt-BR'] === texts.en }).toEqual({ code, same: false });
    }
  });

  it('puts the message after the worded reason, and keeps the message as is for a code it does not word', () => {
    const message = 'could not reach http://127.0.0.1:8080/g5 (ECONNREFUSED)';
    expect(jobFailureText('pt-BR', 'TRANSPORT_TRANSIENT', message)).toBe(
      `o sistema receptor não respondeu a tempo ou está indisponível: ${message}`,
    );
    expect(jobFailureText('en', 'CONNECTION_FORBIDDEN', message)).toBe(
      `the integration's connection is restricted to another empresa (check conexao_integracao): ${message}`,
    );
    expect(jobFailureText('pt-BR', 'NOT_A_CODE', message)).toBe(message);
    expect(jobFailureText('en', null, message)).toBe(message);
    // A code that is an Object property name is not a code of the table.
    expect(jobFailureLabel('pt-BR', 'toString')).toBeUndefined();
    expect(jobFailureLabel('en', 'RECEPTOR_ERROR')).toBe('the ERP refused the record');
  });

  it('words a given-up webhook delivery for every reason the hub gives up, not only a refusal', () => {
    for (const message of [
      'endpoint answered 410 Gone: disabled',
      'gave up after 8 attempts: connect ECONNREFUSED 203.0.113.9:443',
      'address 10.0.0.5 is in a private network (10.0.0.0/8)',
      'endpoint failing since 2026-12-04T10:00:00.000Z: disabled',
    ]) {
      expect(jobFailureText('pt-BR', 'WEBHOOK_DELIVERY_FAILED', message)).toBe(
        `a entrega do webhook foi abandonada (recusada pelo receptor, sem resposta, endereço não permitido ou endpoint desativado): ${message}`,
      );
    }
    expect(jobFailureLabel('en', 'WEBHOOK_DELIVERY_FAILED')).toBe(
      'the webhook delivery was given up (refused by the receiver, no answer, an address not allowed or the endpoint disabled)',
    );
  });

  it("gives another catalogue the same words with the detail's placeholder (the ingress's 502)", () => {
    expect(jobFailureTemplate('TRANSPORT_TRANSIENT')).toEqual({
      'pt-BR': 'o sistema receptor não respondeu a tempo ou está indisponível: {detail}',
      en: 'the receptor did not answer in time or is unavailable: {detail}',
    });
  });

  it('names the value a worded form takes when the record keeps it, and falls back to the plain reason otherwise', () => {
    for (const [code, texts] of Object.entries(JOB_FAILURE_REASONS_WITH_VALUES.table)) {
      expect({ code, placeholders: placeholders(texts['pt-BR']) }).toEqual({ code, placeholders: placeholders(texts.en) });
      expect(JOB_FAILURE_REASONS.has(code)).toBe(true);
    }
    const values = { variavel: '#cgc_cpf#', dependenciaId: 3 };
    expect(jobFailureLabel('pt-BR', 'DEPENDENCY_UNRESOLVED', values)).toBe(
      'a dependência obrigatória #cgc_cpf# da integração ficou sem valor (dependências #3)',
    );
    expect(jobFailureText('en', 'DEPENDENCY_UNRESOLVED', 'detail', values)).toBe(
      'the required dependency #cgc_cpf# of the integration has no value (dependencias #3): detail',
    );
    // A row written before the values were kept, or missing one of them: the plain reason, never a {placeholder}.
    expect(jobFailureLabel('pt-BR', 'DEPENDENCY_UNRESOLVED', { variavel: '#x#' })).toBe(
      'uma dependência obrigatória da integração ficou sem valor',
    );
    expect(jobFailureLabel('pt-BR', 'DEPENDENCY_UNRESOLVED')).toBe('uma dependência obrigatória da integração ficou sem valor');
  });

  it('words a missing #variable# with its integration, column and nearest name, or the two fixes without one (trial M3)', () => {
    const placed = { variavel: 'fantazia', integracao: 'SET-WS-CONTAS', onde: 'campos_integracao #1' };
    expect(
      jobFailureText('pt-BR', 'MISSING_VARIABLE', 'template variable #fantazia# has no value', { ...placed, sugestao: 'fantasia' }),
    ).toBe(
      'a integração SET-WS-CONTAS usa #fantazia# em campos_integracao #1, e nada lhe dá valor (quis dizer #fantasia#?): corrija a grafia em campos_integracao #1',
    );
    expect(jobFailureText('en', 'MISSING_VARIABLE', 'template variable #fantazia# has no value', placed)).toBe(
      "integracao SET-WS-CONTAS uses #fantazia# in campos_integracao #1, and nothing gives it a value (no parameter, consulta column or dependency): check the spelling or give it in the run's parameters",
    );
  });

  it("keeps one language per line: after the reason only the cause's own words, never the English sentence (trial 4 #1)", () => {
    // A GET row the CRM refused: the database's own text (rawDetail), not "writing contas failed at…".
    const refused = { chave: '1006', tabela: 'contas', rawDetail: 'NOT NULL constraint failed: contas.nome' };
    const message = 'writing contas failed at the ERP row with key "1006" (id_erp): NOT NULL constraint failed: contas.nome';
    expect(jobFailureText('pt-BR', 'GET_WRITE_FAILED', message, refused)).toBe(
      'o CRM recusou a linha do ERP de chave "1006" ao gravar contas; tentar de novo não muda nada: corrija o dado na origem: NOT NULL constraint failed: contas.nome',
    );
    // A parameter the run did not give: the variable's name.
    const missing = 'template variable #contaId# has no value (missing: contaId; values given: none)';
    expect(jobFailureText('pt-BR', 'MISSING_VARIABLE', missing, { rawDetail: '#contaId#' })).toBe(
      'falta um valor que a requisição da integração usa: #contaId#',
    );
    expect(jobFailureText('en', 'MISSING_VARIABLE', missing, { rawDetail: '#contaId#' })).toBe(
      "a value the integration's request uses is missing: #contaId#",
    );
    // A record another job left unfinished (or held back, or orphaned): its wording with values says it all.
    const english = 'integracao #19: record id1 not sent: job 7 sent it and ended without concluding it';
    for (const code of ['SET_RECORD_UNRESOLVED', 'SET_RECORD_ORPHANED', 'SET_RECORD_HELD'])
      for (const locale of ['pt-BR', 'en'] as const) {
        const text = jobFailureText(locale, code, english, { registros: 'id1', jobs: '7', chaves: 'codCli' });
        expect(text).not.toContain(english);
        expect(text).toMatch(locale === 'pt-BR' ? /^registro id 1 não (re)?enviado/ : /^record id 1 not (re)?sent/);
      }
  });

  it('names a record one way everywhere: `id 1`, as a success does (trial 4 #5)', () => {
    expect(jobFailureLabel('en', 'SET_RECORD_UNRESOLVED', { registros: 'id1, id3', jobs: '7, 8' })).toMatch(/^record id 1, id 3 not sent/);
    expect(jobFailureLabel('pt-BR', 'WRITE_BACK_DUPLICATE', { returned: '"5"', record: 'id14' })).toContain('para o registro id 14,');
    // An index key (a record with no id) as it is.
    expect(jobFailureLabel('pt-BR', 'SET_RECORD_ORPHANED', { registros: '0', jobs: '7' })).toMatch(/^registro 0 não enviado/);
  });

  it("words a connection failure from one entry: with the connection's name when the record keeps it, the same words without it otherwise", () => {
    for (const code of ['CONNECTION_NOT_FOUND', 'CONNECTION_FORBIDDEN'] as const)
      for (const locale of ['pt-BR', 'en'] as const) {
        const named = jobFailureLabel(locale, code, { connection: 'erp_x' }) as string;
        expect(named).toContain(' erp_x ');
        expect(jobFailureLabel(locale, code)).toBe(named.replace(' erp_x', ''));
      }
    expect(jobFailureLabel('pt-BR', 'CONNECTION_FORBIDDEN')).toBe(
      'a conexão da integração é restrita a outra empresa (confira conexao_integracao)',
    );
  });

  it("finds a code by the wording with values the dashboard shows, in its fixed parts (a record's values are in its own text)", () => {
    // GET_WRITE_FAILED's fixed text is "gravar no CRM os dados lidos da origem falhou"; a record with its key shows this one.
    expect(failureCodesMatching('pt-BR', 'recusou a linha do ERP')).toContain('GET_WRITE_FAILED');
    expect(failureCodesMatching('en', 'the CRM refused the ERP row')).toContain('GET_WRITE_FAILED');
    expect(failureCodesMatching('pt-BR', 'rede não pública')).toEqual(
      expect.arrayContaining(['OUTBOUND_ADDRESS_FORBIDDEN', 'PBX_ADDRESS_FORBIDDEN']),
    );
    // A placeholder's name is no text a reader sees.
    expect(failureCodesMatching('pt-BR', '{chave}')).toEqual([]);
  });

  it('leaves the codes of a job waiting on purpose out of a search for a failure (their wording says it is none)', () => {
    for (const [locale, texto] of [
      ['pt-BR', 'falha'],
      ['en', 'failure'],
      ['pt-BR', 'adiado'],
    ] as const) {
      const codes = failureCodesMatching(locale, texto);
      for (const wait of ['JOB_DELAYED', 'TENANT_PAUSED', 'GET_RUN_BUSY']) expect(codes).not.toContain(wait);
    }
    // A failure's own wording still matches.
    expect(failureCodesMatching('pt-BR', 'falhou')).toContain('GET_WRITE_FAILED');
  });
});

// Trial 4 (items 1, 2, 6): a refused login names the connection's own variables, a receptor's transient failure says
// which one it was.
describe('a failure worded from what the worker knew', () => {
  it("names the connection and its password's own variable references, never an example of another connection's", () => {
    const values = { conexao: 'alfa_g5', ...passwordVariablesParam(['ALFA_G5_PASSWORD']), rawDetail: 'Usuário ou senha inválidos' };
    expect(values.variaveis).toBe(`\${ALFA_G5_PASSWORD}`);
    const pt = jobFailureLabel('pt-BR', 'RECEPTOR_LOGIN_REFUSED', values);
    expect(pt).toBe(
      `o ERP recusou o login da conexão alfa_g5: confira o usuário e a senha (a senha vem de \${ALFA_G5_PASSWORD}, lida quando a frota inicia: corrija e reinicie a frota)`,
    );
    expect(jobFailureLabel('en', 'RECEPTOR_LOGIN_REFUSED', values)).toContain(`the password comes from \${ALFA_G5_PASSWORD}`);
    // A password written in the file: no variable named, and never SENIOR_PASSWORD as an example.
    const literal = { conexao: 'alfa_g5', rawDetail: 'Usuário ou senha inválidos' };
    expect(jobFailureLabel('pt-BR', 'RECEPTOR_LOGIN_REFUSED', literal)).toBe(
      'o ERP recusou o login da conexão alfa_g5: confira o usuário e a senha dela no arquivo de conexões (lido quando a frota inicia: corrija e reinicie a frota)',
    );
    for (const locale of ['pt-BR', 'en'] as const) {
      for (const code of ['RECEPTOR_LOGIN_REFUSED', 'LOGIN_REFUSED'])
        for (const params of [values, literal, {}]) expect(jobFailureLabel(locale, code, params)).not.toContain('SENIOR_PASSWORD');
    }
    expect(passwordVariablesParam(undefined)).toEqual({});
  });

  it("names a GET source's connection when its login is refused, as a push's refusal does (item 6)", () => {
    const values = { conexao: 'erp_beta', ...passwordVariablesParam(['BETA_DB_PASSWORD']), rawDetail: 'password authentication failed' };
    expect(jobFailureText('pt-BR', 'LOGIN_REFUSED', 'x', values)).toBe(
      `o banco de origem (ERP) recusou o login da conexão erp_beta: confira o usuário e a senha (a senha vem de \${BETA_DB_PASSWORD}, lida quando a frota inicia: corrija e reinicie a frota): password authentication failed`,
    );
    expect(jobFailureLabel('en', 'LOGIN_REFUSED', { conexao: 'erp_beta' })).toBe(
      'the source (ERP) database refused the login of connection erp_beta: check its user and password in the connections file (read when the fleet starts: fix it and restart the fleet)',
    );
  });

  it('tells an HTTP error status, no answer in time and a refused connection apart (item 2)', () => {
    expect(jobFailureLabel('pt-BR', 'TRANSPORT_TRANSIENT', { status: '500' })).toBe(
      'o sistema receptor respondeu com o status HTTP 500 (erro ou indisponibilidade do lado dele)',
    );
    expect(jobFailureLabel('pt-BR', 'TRANSPORT_TRANSIENT', { timeoutMs: '3000' })).toBe(
      'o sistema receptor não respondeu em 3000 ms (sem resposta no prazo)',
    );
    expect(jobFailureLabel('en', 'TRANSPORT_TRANSIENT', { timeoutMs: '3000' })).toBe('the receptor gave no answer within 3000 ms');
    expect(jobFailureLabel('pt-BR', 'TRANSPORT_TRANSIENT', { networkCode: 'ECONNREFUSED', rawDetail: 'connect ECONNREFUSED' })).toBe(
      'o sistema receptor recusou a conexão: está fora do ar ou não aceita conexões nessa porta',
    );
    expect(jobFailureLabel('en', 'TRANSPORT_TRANSIENT', { networkCode: 'ENOTFOUND' })).toBe(
      'the receptor could not be reached (ENOTFOUND)',
    );
    // The search finds them by what the dashboard shows.
    expect(failureCodesMatching('pt-BR', 'não respondeu em')).toContain('TRANSPORT_TRANSIENT');
    expect(failureCodesMatching('en', 'refused the connection')).toContain('TRANSPORT_TRANSIENT');
    // A record written before the case was kept: the plain reason.
    expect(jobFailureLabel('pt-BR', 'TRANSPORT_TRANSIENT', { rawDetail: 'x' })).toBe(
      'o sistema receptor não respondeu a tempo ou está indisponível',
    );
  });
});

// The one rule a push (RECEPTOR_LOGIN_REFUSED) and a web-service connection test read an ERP's login refusal by.
describe('RECEPTOR_LOGIN_REFUSAL (the connection’s credentials, not the record)', () => {
  it.each([
    'Usuário ou senha inválidos',
    'Usuário ou senha inválidos.',
    'usuario ou senha invalidos',
    ' Invalid username or password ',
    'Invalid user or password.',
    'invalid credentials',
  ])('reads %j as the ERP refusing the login', (message) => {
    expect(RECEPTOR_LOGIN_REFUSAL.test(message)).toBe(true);
  });

  it.each([
    // A record-level refusal that mentions a password: the record's own error, not the connection's login.
    'Campo senha inválida no usuário do portal do cliente',
    'Cliente 42: senha inválida para o portal',
    'Usuário ou senha inválidos para o acesso ao portal do cliente 42',
    'invalid password for portal user 42',
    'apeCli obrigatório',
  ])('reads %j as the record’s own refusal', (message) => {
    expect(RECEPTOR_LOGIN_REFUSAL.test(message)).toBe(false);
  });
});
