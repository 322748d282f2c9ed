import { type CallerLookup, type CtiSettings, callStatusWord, RAMAL_TAKES } from '@integrador/cti';
import { defineTexts, plural } from '@integrador/i18n';

/** Texts of `integrador cti` (kept apart from messages.ts, which every command shares). */
export interface CtiMessages {
  cti: string;
  configure: string;
  show: string;
  testPbx: string;
  calls: string;
  reindex: string;
  lookup: string;
  lookupEmpresaOption: string;
  lookupNumeroOption: string;
  hostLabelOption: string;
  noHostLabelOption: string;
  newTokenOption: string;
  allowOption: string;
  allowAnyOption: string;
  pbxUrlOption: string;
  pbxMethodOption: string;
  pbxAuthOption: string;
  pbxUserOption: string;
  pbxSecretOption: string;
  pbxParamOption: string;
  prefixOption: string;
  ramalLengthOption: string;
  privateNetworkOption: string;
  publicUrlOption: string;
  ramalOption: string;
  numeroOption: string;
  sendOption: string;
  fromOption: string;
  toOption: string;
  limitOption: string;
  callsEmpresaOption: string;
  reindexEmpresaOption: string;
  invalid: (label: string, value: string, expected: string) => string;
  /** What each checked option expects, for `invalid`. */
  expected: Record<
    | 'hostLabel'
    | 'allow'
    | 'pbxMethod'
    | 'pbxAuth'
    | 'pbxSecret'
    | 'pbxParam'
    | 'prefix'
    | 'ramal'
    | 'ramalLength'
    | 'privateNetwork'
    | 'publicUrl'
    | 'dateTime'
    | 'limit',
    string
  >;
  /** `cti show`'s lines (no secrets: the reference of the PBX secret, never its value). */
  settings: (settings: CtiSettings) => string[];
  hostLabelTaken: (label: string) => string;
  /** A host label with no allowlist, refused without --allow-any (the risk, and the two ways out). */
  hostLabelOpen: (label: string) => string;
  notConfigured: (empresaId: number) => string;
  /** test-pbx --send without the PBX secret: the CLI reads its own environment, not worker-cti's. */
  secretMissing: (variable: string) => string;
  /** The new listener token, once, with the two listener URLs on `base` (the public address given, or this host's ingress). */
  tokenIssued: (token: string, base: string, isPublic: boolean) => string;
  /** The listener URLs of the host-label form (base = http(s)://<label>.<CTI_DOMAIN>[:port]), or why there are none. */
  hostLabelUrls: (base: string, isPublic: boolean) => string;
  hostLabelNoDomain: (label: string) => string;
  saved: (empresaId: number) => string;
  request: (method: string, url: string, dialled: string, interno: boolean) => string;
  answered: (status: number, ms: number, body: string) => string;
  noCalls: string;
  /** One line of `cti calls`: direction and status worded, the stored values otherwise as they are. */
  callLine: (call: {
    id: number | string;
    when: string;
    direcao: string;
    ramal: string;
    telefone: string;
    status: string;
    duracao: string;
    conta: string;
    /** Why a click-to-call failed, in the reader's language (the failure catalogue), when it did. */
    motivo?: string | undefined;
  }) => string;
  reindexed: (count: number) => string;
  /** The reading of a looked-up number (tipo, normalizado) and its ranked matches, one a line. */
  lookedUp: (found: CallerLookup) => string;
}

const word = (words: Record<string, string>, value: string) => words[value] ?? value;

/** The PBX authentication mode with its user, secret reference and parameter name, labelled in a language. */
function pbxAuthLine({ pbx }: CtiSettings, label: { user: string; secret: string; param: string }): string {
  const parts: string[] = [pbx.auth];
  if (pbx.user) parts.push(`${label.user}=${pbx.user}`);
  if (pbx.secretRef) parts.push(`${label.secret}=${pbx.secretRef}`);
  if (pbx.paramName) parts.push(`${label.param}=${pbx.paramName}`);
  return parts.join(' ');
}

const ptBR: CtiMessages = {
  cti: 'CTI (integração com o PABX): listeners do PABX, screen pop, registro de ligações e click-to-call',
  configure: 'configura o CTI de uma empresa (só muda o que for informado)',
  show: 'mostra a configuração de CTI de uma empresa (sem segredos)',
  testPbx: 'monta (e com --send envia) a chamada de click-to-call ao PABX da empresa',
  calls: 'lista as ligações da empresa, mais recentes primeiro',
  reindex: 'refaz o índice de telefones (contas e contatos) da empresa',
  lookup: 'mostra que contas / contatos um número de quem liga encontra, como numa ligação (não grava nada)',
  lookupEmpresaOption: 'empresa (tenant) em que procurar (id)',
  lookupNumeroOption: 'o número como o PABX o envia ((11) 98765-4321, 0 15 11 98765 4301, +55…)',
  hostLabelOption: 'rótulo EMPRESA de EMPRESA.<CTI_DOMAIN> pelo qual o PABX chama os listeners',
  noHostLabelOption: 'remove o rótulo (só o caminho /t/<token>/ vale)',
  newTokenOption: 'gera um novo token de caminho /t/<token>/wconnect/… (o anterior deixa de valer); mostrado uma vez',
  allowOption: 'endereços ou faixas CIDR do PABX, separados por vírgula ("" = qualquer endereço)',
  allowAnyOption:
    'aceita o rótulo do host sem lista de endereços: qualquer um que conheça o rótulo poderá registrar ligações (só com outra proteção na frente)',
  pbxUrlOption: 'modelo de URL do click-to-call com {ramal_origem} {numero_origem} {numero_destino} {ramal_destino}',
  pbxMethodOption: 'método HTTP da chamada ao PABX (GET ou POST)',
  pbxAuthOption: 'autenticação no PABX: nenhuma, basic, header ou token_url',
  pbxUserOption: 'usuário da autenticação basic',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NOME} is the reference syntax users type, not a placeholder.
  pbxSecretOption: 'referência ${NOME} ao segredo, lido de CTI_SECRET_<empresaId>_<NOME> pelo worker',
  pbxParamOption: 'nome do cabeçalho (header) ou do parâmetro de URL (token_url) que leva o segredo',
  prefixOption: 'prefixo discado antes de números externos (o que o PABX pede para sair: um tom ou 0); nunca antes de ramais',
  ramalLengthOption:
    'números com até este tanto de dígitos são ramais internos (padrão 4; um PABX de ramais de 5 dígitos pede 5); os mais longos são telefones',
  privateNetworkOption: 'allow: o PABX está na rede privada do cliente (o loopback só com OUTBOUND_ALLOW_LOOPBACK=true); deny: não',
  publicUrlOption:
    'endereço público do ingress (o do proxy) nas URLs dos listeners mostradas, como https://crm.example.com.br (padrão: PUBLIC_URL, senão HOST e PORT)',
  ramalOption: 'ramal de origem',
  numeroOption: 'número de destino',
  sendOption: 'envia de fato a chamada ao PABX (usa CTI_SECRET_… do ambiente)',
  fromOption: 'recebidas a partir de (ISO 8601; sem fuso, no SCHEDULE_TIMEZONE, o fuso da listagem)',
  toOption: 'recebidas antes de (ISO 8601; sem fuso, no SCHEDULE_TIMEZONE)',
  limitOption: 'quantas linhas (padrão 50, máximo 200)',
  callsEmpresaOption: 'empresa (tenant) das ligações (id)',
  reindexEmpresaOption: 'empresa (tenant) cujo índice é refeito (id)',
  invalid: (label, value, expected) => `${label}: "${value}" é inválido; esperado ${expected}`,
  expected: {
    hostLabel: 'um rótulo DNS: letras, dígitos e hífen, até 63 caracteres, sem hífen no início ou no fim',
    allow: 'um endereço IP ou uma faixa CIDR (ex.: 200.10.20.30 ou 200.10.20.0/24)',
    pbxMethod: 'GET ou POST',
    pbxAuth: 'nenhuma, basic, header ou token_url',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NOME} is the reference syntax users type, not a placeholder.
    pbxSecret: 'uma referência ${NOME} (maiúsculas, dígitos, _)',
    pbxParam: 'um nome de cabeçalho ou de parâmetro (letras, dígitos, _ e -)',
    prefix: 'até 10 de 0-9 * # , ("" = nenhum)',
    ramal: RAMAL_TAKES['pt-BR'],
    ramalLength: 'um inteiro de 1 a 12',
    privateNetwork: 'allow ou deny',
    publicUrl:
      'um endereço http(s) como https://crm.example.com.br ou https://example.com/integrador (sem query string, sem usuário ou senha)',
    dateTime: 'uma data e hora ISO 8601',
    limit: 'um inteiro de 1 a 200',
  },
  settings: (s) => [
    `empresa #${s.empresaId}`,
    `  rótulo do host:      ${s.hostLabel ?? '-'}    token de caminho: ${s.hasToken ? 'sim' : 'não'}`,
    `  endereços do PABX:   ${s.allowlist.join(', ') || '(qualquer endereço)'}`,
    `  PABX:                ${s.pbx.urlTemplate ? `${s.pbx.method} ${s.pbx.urlTemplate}` : '-'}`,
    `  autenticação:        ${pbxAuthLine(s, { user: 'usuário', secret: 'segredo', param: 'parâmetro' })}`,
    `  prefixo de discagem: ${s.dialPrefix || '-'}    tamanho do ramal: ${s.ramalLength}    rede privada: ${s.allowPrivateNetwork ? 'permitida (allow)' : 'proibida (deny)'}`,
  ],
  hostLabelTaken: (label) => `o rótulo ${label} já é usado por outra empresa; escolha outro`,
  hostLabelOpen: (label) =>
    `recusado: o rótulo ${label} sem lista de endereços (--allow) aceitaria eventos de ligação de qualquer origem — o rótulo (nome da empresa) é fácil de adivinhar e não autentica nada, então qualquer um poderia registrar ligações falsas e abrir screen pops nos operadores. Informe os endereços do PABX com --allow <ip/cidr,…>, use o caminho com token (--new-token, sem --host-label), ou, se outra proteção já filtra a origem (VPN, firewall), confirme com --allow-any`,
  notConfigured: (id) => `a empresa #${id} não tem CTI configurado (use "integrador cti configure ${id} …")`,
  secretMissing: (variable) =>
    `o segredo do PABX não está definido para este comando: defina a variável de ambiente ${variable} no shell que roda o integrador (o comando lê o próprio ambiente, não o do worker-cti) e rode-o de novo; nada foi enviado ao PABX`,
  tokenIssued: (token, base, isPublic) =>
    [
      `token dos listeners (guarde agora, não será mostrado de novo): ${token}`,
      `  início da ligação: ${base}/t/${token}/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<número>`,
      `  fim da ligação:    ${base}/t/${token}/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=<ramal>&telefone=<número>&url_audio=<url>`,
      isPublic
        ? `  (${base} é o endereço público do ingress, de --public-url ou PUBLIC_URL)`
        : `  (${base} é o ingress neste host, HOST e PORT; para um PABX em outra máquina, informe o endereço pelo qual ele o alcança com --public-url ou PUBLIC_URL)`,
    ].join('\n'),
  hostLabelUrls: (base, isPublic) =>
    [
      'URLs dos listeners pelo rótulo do host (configure-as no PABX):',
      `  início da ligação: ${base}/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<número>`,
      `  fim da ligação:    ${base}/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=<ramal>&telefone=<número>&url_audio=<url>`,
      `  (o nome precisa resolver, no DNS do PABX, para o ${isPublic ? 'endereço público do ingress (--public-url ou PUBLIC_URL)' : 'ingress (HOST e PORT deste host)'})`,
    ].join('\n'),
  hostLabelNoDomain: (label) =>
    `aviso: o rótulo ${label} só funciona com CTI_DOMAIN definido no ingress (o PABX chama <rótulo>.<CTI_DOMAIN>); sem ele, use o token de caminho (--new-token)`,
  saved: (id) => `CTI da empresa #${id} salvo`,
  request: (method, url, dialled, interno) => `${method} ${url}\n  discado: ${dialled}${interno ? ' (ramal interno, sem prefixo)' : ''}`,
  answered: (status, ms, body) => `PABX respondeu ${status} em ${ms} ms: ${body}`,
  noCalls: 'nenhuma ligação',
  callLine: (c) =>
    `#${c.id}  ${c.when}  ${word({ entrada: 'entrada', saida: 'saída', interna: 'interna' }, c.direcao).padEnd(7)} ramal ${c.ramal.padEnd(6)} ${c.telefone.padEnd(15)} ${callStatusWord('pt-BR', c.status).padEnd(16)} ${c.duracao} s  conta ${c.conta}${c.motivo ? `  motivo: ${c.motivo}` : ''}`,
  reindexed: (count) => plural(count, 'registro reindexado', 'registros reindexados'),
  lookedUp: (f) =>
    [
      `lido como: ${f.tipo}${f.privado ? ' (número privado)' : ''}; normalizado: ${f.normalizado ?? '—'}`,
      ...(f.matches.length === 0
        ? ['nenhum registro: chamador desconhecido']
        : f.matches.map(
            (m, i) =>
              `${i + 1}. ${m.tabela === 'contas' ? 'conta' : 'contato'} #${m.id} ${m.nome} (${m.campo} ${m.telefone})${m.exato ? '' : ' — só os 8 últimos dígitos'}`,
          )),
    ].join('\n'),
};

const en: CtiMessages = {
  cti: 'CTI (the PBX integration): PBX listeners, screen pop, call log and click-to-call',
  configure: "configures an empresa's CTI (changes only what is given)",
  show: "shows an empresa's CTI settings (no secrets)",
  testPbx: "builds (and with --send sends) the click-to-call request to the empresa's PBX",
  calls: "lists the empresa's calls, newest first",
  reindex: "rebuilds the empresa's phone index (contas and contatos)",
  lookup: 'shows which contas / contatos a caller number finds, as a call would (writes nothing)',
  lookupEmpresaOption: 'the empresa (tenant) to look in (id)',
  lookupNumeroOption: 'the number as the PBX sends it ((11) 98765-4321, 0 15 11 98765 4301, +55…)',
  hostLabelOption: 'the EMPRESA label of EMPRESA.<CTI_DOMAIN> the PBX calls the listeners by',
  noHostLabelOption: 'removes the label (only the /t/<token>/ path works)',
  newTokenOption: 'issues a new /t/<token>/wconnect/… path token (the old one stops working); shown once',
  allowOption: 'comma-separated PBX addresses or CIDR ranges ("" = any address)',
  allowAnyOption:
    'accepts the host label with no address list: anyone who knows the label can log calls (only with another protection in front)',
  pbxUrlOption: 'click-to-call URL template with {ramal_origem} {numero_origem} {numero_destino} {ramal_destino}',
  pbxMethodOption: 'HTTP method of the PBX call (GET or POST)',
  pbxAuthOption: 'PBX authentication: nenhuma (none), basic, header or token_url',
  pbxUserOption: 'basic authentication user',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NOME} is the reference syntax users type, not a placeholder.
  pbxSecretOption: 'a ${NOME} reference to the secret, read from CTI_SECRET_<empresaId>_<NOME> by the worker',
  pbxParamOption: 'the header (header) or URL parameter (token_url) name carrying the secret',
  prefixOption: 'prefix dialled before external numbers (what the PBX needs for an outside line: a tone or 0); never before extensions',
  ramalLengthOption:
    'numbers of up to this many digits are internal extensions (default 4; a PBX with 5-digit extensions needs 5); longer ones are phone numbers',
  privateNetworkOption: "allow: the PBX is on the customer's private network (loopback only with OUTBOUND_ALLOW_LOOPBACK=true); deny: not",
  publicUrlOption:
    "the ingress's public address (the proxy's) in the listener URLs shown, such as https://crm.example.com.br (default: PUBLIC_URL, else HOST and PORT)",
  ramalOption: 'origin extension',
  numeroOption: 'destination number',
  sendOption: 'actually sends the request to the PBX (uses CTI_SECRET_… from the environment)',
  fromOption: "received at or after (ISO 8601; without a zone, in SCHEDULE_TIMEZONE, the listing's zone)",
  toOption: 'received before (ISO 8601; without a zone, in SCHEDULE_TIMEZONE)',
  limitOption: 'how many rows (default 50, at most 200)',
  callsEmpresaOption: 'the empresa (tenant) whose calls are listed (id)',
  reindexEmpresaOption: 'the empresa (tenant) whose index is rebuilt (id)',
  invalid: (label, value, expected) => `${label}: "${value}" is invalid; expected ${expected}`,
  expected: {
    hostLabel: 'a DNS label: letters, digits and hyphens, up to 63 characters, no hyphen first or last',
    allow: 'an IP address or a CIDR range (e.g. 200.10.20.30 or 200.10.20.0/24)',
    pbxMethod: 'GET or POST',
    pbxAuth: 'nenhuma, basic, header or token_url',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NOME} is the reference syntax users type, not a placeholder.
    pbxSecret: 'a ${NOME} reference (upper case, digits, _)',
    pbxParam: 'a header or parameter name (letters, digits, _ and -)',
    prefix: 'up to 10 of 0-9 * # , ("" = none)',
    ramal: RAMAL_TAKES.en,
    ramalLength: 'an integer from 1 to 12',
    privateNetwork: 'allow or deny',
    publicUrl:
      'an http(s) address such as https://crm.example.com.br or https://example.com/integrador (no query string, no user or password)',
    dateTime: 'an ISO 8601 date-time',
    limit: 'an integer from 1 to 200',
  },
  settings: (s) => [
    `empresa #${s.empresaId}`,
    `  host label:      ${s.hostLabel ?? '-'}    path token: ${s.hasToken ? 'yes' : 'no'}`,
    `  PBX addresses:   ${s.allowlist.join(', ') || '(any address)'}`,
    `  PBX:             ${s.pbx.urlTemplate ? `${s.pbx.method} ${s.pbx.urlTemplate}` : '-'}`,
    `  PBX auth:        ${pbxAuthLine(s, { user: 'user', secret: 'secret', param: 'param' })}`,
    `  dial prefix:     ${s.dialPrefix || '-'}    ramal length: ${s.ramalLength}    private network: ${s.allowPrivateNetwork ? 'allow' : 'deny'}`,
  ],
  hostLabelTaken: (label) => `the label ${label} is already used by another empresa; choose another`,
  hostLabelOpen: (label) =>
    `refused: the label ${label} with no address list (--allow) would accept call events from anywhere — the label (the company's name) is easy to guess and authenticates nothing, so anyone could log forged calls and raise screen pops on the operators. Give the PBX addresses with --allow <ip/cidr,…>, use the token path (--new-token, without --host-label), or, when something else already filters the origin (VPN, firewall), confirm with --allow-any`,
  notConfigured: (id) => `empresa #${id} has no CTI settings (use "integrador cti configure ${id} …")`,
  secretMissing: (variable) =>
    `the PBX's secret is not set for this command: set the environment variable ${variable} in the shell that runs integrador (the command reads its own environment, not worker-cti's) and run it again; nothing was sent to the PBX`,
  tokenIssued: (token, base, isPublic) =>
    [
      `listener token (keep it now, it is not shown again): ${token}`,
      `  call start: ${base}/t/${token}/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<number>`,
      `  call end:   ${base}/t/${token}/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=<ramal>&telefone=<number>&url_audio=<url>`,
      isPublic
        ? `  (${base} is the ingress's public address, from --public-url or PUBLIC_URL)`
        : `  (${base} is the ingress on this host, HOST and PORT; for a PBX on another machine, give the address it reaches it by with --public-url or PUBLIC_URL)`,
    ].join('\n'),
  hostLabelUrls: (base, isPublic) =>
    [
      'listener URLs by host label (set them on the PBX):',
      `  call start: ${base}/wconnect/WConnect_WSDL_ConsultaRamal.php?ramal=<ramal>&telefone=<number>`,
      `  call end:   ${base}/wconnect/WConnect_WSDL_FinalizaLigacao.php?ramal=<ramal>&telefone=<number>&url_audio=<url>`,
      `  (the name must resolve, in the PBX's DNS, to ${isPublic ? "the ingress's public address (--public-url or PUBLIC_URL)" : 'the ingress (HOST and PORT of this host)'})`,
    ].join('\n'),
  hostLabelNoDomain: (label) =>
    `warning: the label ${label} works only with CTI_DOMAIN set on the ingress (the PBX calls <label>.<CTI_DOMAIN>); without it, use the path token (--new-token)`,
  saved: (id) => `CTI settings of empresa #${id} saved`,
  request: (method, url, dialled, interno) => `${method} ${url}\n  dialled: ${dialled}${interno ? ' (internal extension, no prefix)' : ''}`,
  answered: (status, ms, body) => `the PBX answered ${status} in ${ms} ms: ${body}`,
  noCalls: 'no calls',
  callLine: (c) =>
    `#${c.id}  ${c.when}  ${word({ entrada: 'inbound', saida: 'outbound', interna: 'internal' }, c.direcao).padEnd(8)} extension ${c.ramal.padEnd(6)} ${c.telefone.padEnd(15)} ${callStatusWord('en', c.status).padEnd(16)} ${c.duracao} s  account ${c.conta}${c.motivo ? `  reason: ${c.motivo}` : ''}`,
  reindexed: (count) => `${plural(count, 'record', 'records')} re-indexed`,
  lookedUp: (f) =>
    [
      `read as: ${f.tipo}${f.privado ? ' (withheld number)' : ''}; normalised: ${f.normalizado ?? '—'}`,
      ...(f.matches.length === 0
        ? ['no record: unknown caller']
        : f.matches.map(
            (m, i) =>
              `${i + 1}. ${m.tabela === 'contas' ? 'conta' : 'contato'} #${m.id} ${m.nome} (${m.campo} ${m.telefone})${m.exato ? '' : ' — last 8 digits only'}`,
          )),
    ].join('\n'),
};

export const ctiMessages = defineTexts<CtiMessages>({ 'pt-BR': ptBR, en: en });
