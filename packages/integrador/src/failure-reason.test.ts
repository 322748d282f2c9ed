import { allowLoopbackOutbound, assertAllowedAddress, OutboundAddressError } from '@integrador/connections';
import { buildPbxRequest, type CtiSettings, sendPbxRequest } from '@integrador/cti';
import { failureReason, failureText } from './failure-reason';

/** The guard's refusal of `address` for a connection without allowPrivateNetwork. */
function refusal(address: string, host: string): OutboundAddressError {
  try {
    assertAllowedAddress(address, host);
  } catch (err) {
    if (err instanceof OutboundAddressError) return err;
    throw err;
  }
  throw new Error(`expected ${address} to be refused`);
}

/** Empresa 7's CTI settings with this PBX (no auth unless given), the private network allowed. */
function ctiSettings(pbx: Partial<CtiSettings['pbx']> & { urlTemplate: string }): CtiSettings {
  return {
    empresaId: 7,
    hostLabel: null,
    hasToken: false,
    allowlist: [],
    pbx: { method: 'GET', auth: 'nenhuma', user: null, secretRef: null, paramName: null, ...pbx },
    dialPrefix: '0',
    ramalLength: 4,
    allowPrivateNetwork: true,
  };
}

// What the job recorder keeps of a guard's refusal (its code, params and message) read back in each language: the
// range worded by the one owner of that wording (addressRangeText), never the guard's identifier (carrierGradeNat).
describe('an outbound-guard refusal as a job failure reads', () => {
  it("a receptor's or a source's address: the hub's guard refused, the host, its range and the setting that opens it", () => {
    const error = refusal('100.64.0.1', 'erp.interno');
    expect(failureReason('pt-BR', error.code, error.params)).toBe(
      'a proteção de saída do hub recusou o endereço erp.interno (rede NAT da operadora) e o sistema de destino nem foi chamado; ele é alcançado com allowPrivateNetwork: true na conexão (ou permitir_rede_privada do serviço)',
    );
    expect(failureText('en', error.code, error.params, error.message)).toBe(
      "the hub's outbound guard refused the address erp.interno (carrier-grade NAT network) and the destination system was not contacted; it is reached with allowPrivateNetwork: true on the connection (or the service's permitir_rede_privada): refused to connect to erp.interno (resolved to 100.64.0.1): expected a public address, got a carrier-grade NAT one; set allowPrivateNetwork: true on the connection to allow it",
    );
    for (const locale of ['pt-BR', 'en'] as const) {
      expect(failureText(locale, error.code, error.params, error.message)).not.toContain('carrierGradeNat');
    }
    // A record written before the values were kept still reads (the catalogue's text without them).
    expect(failureReason('pt-BR', error.code, null)).toMatch(/^a proteção de saída do hub recusou o endereço de destino/);
  });

  it("a loopback address names the operator's switch (with allowPrivateNetwork); a metadata address names none, in one language each", () => {
    allowLoopbackOutbound(false);
    try {
      const loopback = (() => {
        try {
          assertAllowedAddress('127.0.0.1', '127.0.0.1', { allowPrivateNetwork: true });
        } catch (err) {
          return err as OutboundAddressError;
        }
        throw new Error('expected loopback to be refused');
      })();
      const pt = failureReason('pt-BR', loopback.code, loopback.params) ?? '';
      const en = failureReason('en', loopback.code, loopback.params) ?? '';
      expect(pt).toContain('OUTBOUND_ALLOW_LOOPBACK=true nos workers');
      expect(en).toContain('OUTBOUND_ALLOW_LOOPBACK=true on the workers');
      for (const text of [pt, en]) expect(text).not.toMatch(/senha|password|receptor recusou|receptor refused/);
      expect(en).not.toMatch(/proteção|nos workers/);
      expect(pt).not.toMatch(/outbound guard|on the workers/);
      const metadata = refusal('169.254.169.254', 'metadata.internal');
      expect(failureReason('pt-BR', metadata.code, metadata.params)).toMatch(/nenhuma configuração abre esse endereço/);
      expect(failureReason('en', metadata.code, metadata.params)).toMatch(/no setting opens it/);
    } finally {
      allowLoopbackOutbound(true);
    }
  });

  it("the PBX's address: refused before a byte is sent, worded with its range", async () => {
    const settings = ctiSettings({ urlTemplate: 'http://169.254.169.254/dial?para={numero_destino}' });
    const request = buildPbxRequest(settings, { ramal: '3501', numero: '(47) 3210-0123' }, {});
    const error = await sendPbxRequest(request, { allowPrivateNetwork: true, timeoutMs: 1000 }).then(
      () => undefined,
      (err: { code: string; params: Record<string, string>; message: string }) => err,
    );
    expect(error).toMatchObject({ code: 'PBX_ADDRESS_FORBIDDEN', params: { host: '169.254.169.254', range: 'linkLocal' } });
    const { code, params, message } = error as NonNullable<typeof error>;
    expect(failureText('pt-BR', code, params, message)).toMatch(
      /^o endereço do PABX 169\.254\.169\.254 fica numa rede não pública \(link-local\) que não é permitida: refused to connect to 169\.254\.169\.254: a link-local address/,
    );
    expect(failureText('pt-BR', code, params, message)).not.toContain('linkLocal');
  });

  it("the PBX's secret not set: the variable to define named in the reader's language, whole in either", () => {
    const settings = ctiSettings({
      urlTemplate: 'http://10.0.0.9/dial?para={numero_destino}',
      auth: 'token_url',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as an operator writes it
      secretRef: '${PBX}',
      paramName: 'token',
    });
    let error: { code: string; params: Record<string, string> } | undefined;
    try {
      buildPbxRequest(settings, { ramal: '3501', numero: '(47) 3210-0123' }, { CTI_SECRET_8_PBX: 'of another empresa' });
    } catch (err) {
      error = err as typeof error;
    }
    expect(error).toMatchObject({ code: 'PBX_SECRET_MISSING', params: { variavel: 'CTI_SECRET_7_PBX' } });
    const { code, params } = error as NonNullable<typeof error>;
    expect(failureReason('pt-BR', code, params)).toBe(
      'o segredo do PABX não está definido para os workers: defina a variável de ambiente CTI_SECRET_7_PBX no worker-cti e reinicie-o',
    );
    expect(failureReason('en', code, params)).toBe(
      "the PBX's secret is not defined for the workers: set the environment variable CTI_SECRET_7_PBX on worker-cti and restart it",
    );
  });
});

// M3 (trial): a worded reason followed by the engine's English message said the same thing twice in two languages.
describe("a coded failure's line keeps one language", () => {
  it("a source's refusal: the reason, then only the source's own words", () => {
    const message =
      'ERP source "erp_db" refused the login: check the connection\'s user and password (LOGIN_REFUSED; the source says: role "crm" does not exist)';
    const params = { rawDetail: 'role "crm" does not exist' };
    expect(failureText('pt-BR', 'LOGIN_REFUSED', params, message)).toBe(
      'o banco de origem (ERP) recusou o login: confira o usuário e a senha da conexão: role "crm" does not exist',
    );
    expect(failureText('en', 'LOGIN_REFUSED', params, message)).toBe(
      'the source (ERP) database refused the login: check the connection\'s user and password: role "crm" does not exist',
    );
  });

  it("a receptor out of reach: the network's own words", () => {
    const message =
      'could not reach http://127.0.0.1:8080/g5 (ECONNREFUSED): could not exchange with http://127.0.0.1:8080: connect ECONNREFUSED 127.0.0.1:8080';
    expect(failureText('pt-BR', 'TRANSPORT_TRANSIENT', { rawDetail: 'connect ECONNREFUSED 127.0.0.1:8080' }, message)).toBe(
      'o sistema receptor não respondeu a tempo ou está indisponível: connect ECONNREFUSED 127.0.0.1:8080',
    );
  });
});

// A SET job queued before its row broke is refused by the worker's admission (SET_CONFIG), and a GET job before its key
// or connection broke (GET_CONFIG with the lint's finding, no GET catalogue problem): the record keeps the lint
// finding's values, so the failure reads whole in the reader's language, as admission's 422 does.
describe('a configuration failure found by the lint (SET_CONFIG, GET_CONFIG) as a job failure reads', () => {
  const finding = (code: string, tabela: string, linha: string, coluna: string, motivo: string, reason: string) => ({
    code,
    params: {
      id: linha,
      nome: 'X',
      codigo: code === 'SET_CONFIG' ? 'INVALID_RULE' : 'GET_KEY_NOT_UNIQUE',
      tabela,
      linha,
      coluna,
      motivo,
      reason,
    },
  });
  const cases = [
    [
      finding('SET_CONFIG', 'regras', '4', 'tipo', 'tipo "so_numeros" de regra desconhecido', 'unknown regra tipo "so_numeros"'),
      'a integração SET está mal configurada: regras #4 coluna tipo: tipo "so_numeros" de regra desconhecido [INVALID_RULE]',
      'the SET integration is misconfigured: regras #4 column tipo: unknown regra tipo "so_numeros" [INVALID_RULE]',
    ],
    [
      finding(
        'GET_CONFIG',
        'integracao',
        '40',
        'chave',
        'contas não tem índice único em (empresa_id, fantasia)',
        'contas has no unique index on (empresa_id, fantasia)',
      ),
      'a integração GET está mal configurada: integracao #40 coluna chave: contas não tem índice único em (empresa_id, fantasia) [GET_KEY_NOT_UNIQUE]',
      'the GET integration is misconfigured: integracao #40 column chave: contas has no unique index on (empresa_id, fantasia) [GET_KEY_NOT_UNIQUE]',
    ],
  ] as const;
  // The engine's English message, which the worded failure does not repeat.
  const message = 'integracao #19 (X): regras #4 (integracao #19 X) column tipo: unknown regra tipo';

  it.each(cases)('case %#: the row, the column and the problem in one language, the code after it', ({ code, params }, pt, en) => {
    expect(failureText('pt-BR', code, params, message)).toBe(pt);
    expect(failureText('en', code, params, message)).toBe(en);
    expect(failureReason('en', code, params)).toBe(en);
  });
});
