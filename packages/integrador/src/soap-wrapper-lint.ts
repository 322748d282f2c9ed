import type { ConnectionsRegistry } from '@integrador/connections';
import type { CampoIntegracao, Integracao, IntegradorConfiguration } from '@integrador/store';
import { type MissingSoapWrapper, missingSoapWrapper, type TransportFactory } from '@integrador/transports';
import type { LintFinding, LintMessage } from './lint-finding';

// SET and INFO send campos_integracao through the receptor; a GET reads a database.
const SENDING_TYPES = new Set(['SET', 'INFO']);

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The top-level fields of each campo_crm that parses as a JSON object (the others are the offline lint's). */
function topFields(campos: readonly CampoIntegracao[]): Array<{ campo: CampoIntegracao; fields: string[] }> {
  return campos.flatMap((campo) => {
    try {
      const value: unknown = JSON.parse(campo.campo_crm);
      return isObject(value) ? [{ campo, fields: Object.keys(value) }] : [];
    } catch {
      return [];
    }
  });
}

function finding(integracao: Integracao, rowId: number, code: string, message: LintFinding['message']): LintFinding {
  const table = code === 'SOAP_WRAPPER_MISSING' ? 'campos_integracao' : 'integracao';
  const column = code === 'SOAP_WRAPPER_MISSING' ? 'campo_crm' : 'link';
  return { code, severity: 'warning', integracaoId: integracao.id, integracaoNome: integracao.nome, table, rowId, column, message };
}

/** One SOAP integration's mapping against its WSDL: a finding when its fields miss the wrapper, or the WSDL cannot be read. */
async function lintOne(
  integracao: Integracao,
  campos: readonly CampoIntegracao[],
  describe: (link: string, operation: string) => Promise<Record<string, unknown> | undefined>,
): Promise<LintFinding | undefined> {
  const mapped = topFields(campos);
  if (mapped.length === 0 || !integracao.link || !integracao.porta_ws) return undefined;
  let parameters: Record<string, unknown> | undefined;
  try {
    parameters = await describe(integracao.link, integracao.porta_ws);
  } catch (error) {
    const detail = (error as Error).message;
    return finding(integracao, integracao.id, 'WSDL_UNREADABLE', {
      'pt-BR': `o WSDL não pôde ser lido para conferir os campos contra ${integracao.porta_ws}: ${detail}`,
      en: `the WSDL could not be read to check the campos against ${integracao.porta_ws}: ${detail}`,
    });
  }
  if (!parameters) return undefined;
  const missing = missingSoapWrapper(parameters, Object.fromEntries(mapped.flatMap((m) => m.fields.map((field) => [field, null]))));
  if (!missing) return undefined;
  const row = mapped.find((m) => m.fields.some((field) => missing.fields.includes(field)))?.campo.id ?? integracao.id;
  return finding(integracao, row, 'SOAP_WRAPPER_MISSING', soapWrapperMessage(integracao.porta_ws, missing));
}

/**
 * The one wording of a mapping that misses its WSDL's wrapper (e.g. GravarClientes' dadosGeraisCliente): the lint's
 * finding, the CLI preview's warning and the dashboard's rebuilt request all say it so.
 */
export function soapWrapperMessage(porta: string, missing: MissingSoapWrapper): LintMessage {
  const fields = missing.fields.join(', ');
  const expected = `{"${missing.wrapper}": {"${missing.fields[0]}": …}}`;
  return {
    'pt-BR': `${fields} estão no topo de parameters, mas o WSDL de ${porta} os espera dentro de <${missing.wrapper}>; o ERP ignora campos fora do lugar (esperado em campo_crm: ${expected})`,
    en: `${fields} sit at the top of parameters, but the WSDL of ${porta} expects them inside <${missing.wrapper}>; the ERP ignores misplaced fields (expected in campo_crm: ${expected})`,
  };
}

/**
 * Checks each SOAP SET/INFO mapping against its receptor's WSDL (loaded through `transports`): fields that belong in
 * one of the operation's elements (Senior G5's GravarClientes wants them inside dadosGeraisCliente) are sent as given
 * and ignored by the ERP, which the offline lint cannot see. Each connection is the one its integration's empresa may use.
 */
export async function lintSoapWrappers(
  configuration: IntegradorConfiguration,
  connections: ConnectionsRegistry,
  transports: TransportFactory,
): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  for (const integracao of configuration.integracoes) {
    if (!SENDING_TYPES.has(integracao.tipo_servico.trim().toUpperCase())) continue;
    const conexao = configuration.conexoes.find((row) => row.id === integracao.conexao_integracao_id);
    const { empresa_id: empresaId } = integracao;
    const connection =
      conexao && (empresaId === null ? connections.get(conexao.nome_conexao) : connections.usableBy(conexao.nome_conexao, empresaId));
    if (connection?.kind !== 'webservice') continue;
    const transport = transports.transportFor(connection);
    if (!transport.describeParameters) continue;
    const campos = configuration.campos.filter((campo) => campo.integracao_id === integracao.id).sort((a, b) => a.ordem - b.ordem);
    const found = await lintOne(integracao, campos, (link, operation) =>
      (transport.describeParameters as NonNullable<typeof transport.describeParameters>)(link, operation),
    );
    if (found) findings.push(found);
  }
  return findings;
}
