import fs from 'node:fs';
import { Pool } from 'pg';
import { createClientAsync } from 'soap';
import { timeAndReport } from './baseline-run';

// The fair baseline for SET pushes, run as its own process like the worker: what a developer would write by hand to
// push contas to the ERP with pg and soap directly — read the conta (the integration's consulta), build the same
// dadosGeraisCliente, the same GravarClientes call, the same UPDATE of contas.id_erp — with `concurrency` pushes in
// flight and a pool as large as the worker's. No queue, no outbox, no attempt log, no configuration tables. Reads its
// plan from the JSON file named by argv[2] and prints one JSON line with msg "baseline done".

/** What the parent hands the hand-written baseline process. */
export interface HandwrittenPlan {
  wsdlUrl: string;
  endpoint: string;
  user: string;
  password: string;
  /** The CRM database (PostgreSQL). */
  databaseUrl: string;
  /** pg pool size: the worker's (createDatabase's default). */
  poolSize: number;
  contaIds: number[];
  /** The product's GravarClientes `parameters` of the first contas: the hand-built ones must equal them. */
  expectedBodies: Record<string, unknown>[];
  warmupCalls: number;
  calls: number;
  concurrency: number;
}

/** SET-WS-CONTAS' consulta (test/fixtures/set-ws-contas.ts), with a positional parameter. */
const CONSULTA =
  'SELECT c.id_erp, c.fax, c.email_geral, c.email_financeiro, c.cadastro_timestamp, c.cliente_desde, c.status, c.representante_id, c.id, ' +
  'c.tipo_conta, c.tipo_pessoa, c.cidade_id, c.celular, c.telefone, c.telefone2, c.telefone3, c.nome, c.fantasia, c.cnpj, c.cpf, ' +
  'c.ramo_atividade_id, c.inscricao, c.inscricao_municipal, c.endereco, c.complemento, c.numero, c.cep, c.bairro FROM contas AS c WHERE c.id = $1';
const UPDATE = 'UPDATE contas SET id_erp = $1 WHERE id = $2';

type Row = Record<string, string | number | null>;
type Gravar = (args: unknown) => Promise<[{ result?: { retornosClientes?: unknown } } | null, ...unknown[]]>;

const text = (value: string | number | null | undefined): string => (value === null || value === undefined ? '' : String(value));
const digits = (value: string | number | null | undefined): string => text(value).replace(/\D/g, '');

/** The integration's campos and regras written out by hand (somente_digitos on cgcCpf and cepCli, apeCli cut at 40). */
function buildBody(row: Row): Record<string, unknown> {
  return {
    dadosGeraisCliente: {
      nomCli: text(row.nome),
      apeCli: text(row.fantasia).slice(0, 40),
      tipCli: text(row.tipo_pessoa),
      tipMer: 'I',
      cliCon: 'S',
      cgcCpf: digits(row.cnpj),
      insEst: text(row.inscricao),
      cepCli: digits(row.cep),
      endCli: text(row.endereco),
      nenCli: text(row.numero),
      baiCli: text(row.bairro),
      fonCli: text(row.telefone),
      intNet: text(row.email_geral),
      sitCli: text(row.status),
      ideExt: `crm-${text(row.id)}`,
    },
  };
}

/** The first retorno, when the ERP saved the customer. */
function savedCodCli(output: Awaited<ReturnType<Gravar>>[0]): number | undefined {
  const retornos = output?.result?.retornosClientes;
  const first = (Array.isArray(retornos) ? retornos[0] : retornos) as { retorno?: unknown; codCli?: unknown } | undefined;
  return first?.retorno === 'OK' && first.codCli !== undefined ? Number(first.codCli) : undefined;
}

async function main(): Promise<void> {
  const planFile = process.argv[2];
  if (!planFile) throw new Error('usage: handwritten-baseline.ts <plan.json>');
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as HandwrittenPlan;
  const pool = new Pool({ connectionString: plan.databaseUrl, max: plan.poolSize });
  const client = await createClientAsync(plan.wsdlUrl, { endpoint: plan.endpoint });
  const gravar = (client.GravarClientesAsync as Gravar).bind(client);

  // The hand-written mapping must send exactly what the product sends, or the comparison means nothing.
  for (const [index, expected] of plan.expectedBodies.entries()) {
    const { rows } = await pool.query<Row>(CONSULTA, [plan.contaIds[index]]);
    const built = JSON.stringify(buildBody(rows[0] ?? {}));
    if (built !== JSON.stringify(expected))
      throw new Error(`hand-built body differs from the product's:\n${built}\n${JSON.stringify(expected)}`);
  }

  const push = async (contaId: number): Promise<boolean> => {
    const { rows } = await pool.query<Row>(CONSULTA, [contaId]);
    const row = rows[0];
    if (!row) return false;
    const [output] = await gravar({ user: plan.user, password: plan.password, encryption: 0, parameters: buildBody(row) });
    const codCli = savedCodCli(output);
    if (codCli === undefined) return false;
    await pool.query(UPDATE, [codCli, contaId]);
    return true;
  };
  const pushMany = async (calls: number): Promise<number> => {
    let next = 0;
    let errors = 0;
    const lane = async () => {
      while (next < calls) {
        const contaId = plan.contaIds[next++ % plan.contaIds.length] as number;
        if (!(await push(contaId).catch(() => false))) errors++;
      }
    };
    await Promise.all(Array.from({ length: plan.concurrency }, lane));
    return errors;
  };

  await timeAndReport(plan, pushMany, () => pool.end());
}

main().catch((err: unknown) => {
  process.stderr.write(`hand-written baseline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
