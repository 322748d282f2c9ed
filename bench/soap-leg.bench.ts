import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { allowLoopbackOutbound, Secret, type WebServiceConnection } from '@integrador/connections';
import { createSoapTransport } from '@integrador/transports';
import { createClientAsync } from 'soap';
import { median, round } from './support/stats';

// The ERP double listens on loopback: opened as the operator would (OUTBOUND_ALLOW_LOOPBACK), for this bench only.
allowLoopbackOutbound(true);

// The SOAP leg of a SET push alone, client CPU per call: a bare `soap` client (axios underneath, as soap ships) against
// the product's SOAP transport (createSoapTransport: soap on undici, the guarded Agent, a deadline, redaction),
// in one process, alternated round by round, against the Senior G5 double in a child process. Usage:
//   npx tsx bench/soap-leg.bench.ts [--rounds 4] [--calls 2000] [--concurrency 50]

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    calls: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '50' },
  },
});
const rounds = Number(args.rounds);
const calls = Number(args.calls);
const concurrency = Number(args.concurrency);

/** A GravarClientes record shaped like SET-WS-CONTAS's (distinct cgcCpf per index: every call after the first pass updates). */
function body(i: number): Record<string, unknown> {
  return {
    dadosGeraisCliente: {
      nomCli: `Conta ${i} Comercio Ltda`,
      apeCli: `Conta ${i}`,
      tipCli: 'J',
      tipMer: 'I',
      cliCon: 'N',
      insEst: 'ISENTO',
      cgcCpf: String(10_000_000_000_000 + i),
      cepCli: '01310100',
      endCli: 'Avenida Paulista',
      nenCli: '1000',
      cplEnd: 'Sala 1',
      baiCli: 'Bela Vista',
      cidCli: 'Sao Paulo',
      sigUfs: 'SP',
      fonCli: '1133334444',
      intNet: `conta${i}@example.com`,
      sitCli: 'A',
      ideExt: String(i),
    },
  };
}

/** One call; `signal` stands for the job's (BullMQ hands each job one, the worker passes it on; one call at a time per lane). */
type Call = (i: number, signal: AbortSignal) => Promise<unknown>;

/** Calls that threw (a kept-alive socket the double closed as it was reused, under load): counted, reported. */
const errors: Record<string, number> = {};

/** `n` calls with `concurrency` in flight; the process's CPU (user + system) per call. */
async function cpuPerCall(name: string, call: Call, n: number): Promise<number> {
  let next = 0;
  const lane = async () => {
    const job = new AbortController();
    while (next < n) {
      try {
        await call(next++ % 2000, job.signal);
      } catch {
        errors[name] = (errors[name] ?? 0) + 1;
      }
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / n;
}

async function main(): Promise<void> {
  const double = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support/erp-double.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const erp = await new Promise<{ url: string; wsdlPath: string; credentials: { user: string; password: string } }>((resolve, reject) => {
      double.stdout.once('data', (line) => resolve(JSON.parse(String(line))));
      double.once('exit', (code) => reject(new Error(`the ERP double exited (${code})`)));
    });
    const endpoint = erp.url + erp.wsdlPath.replace(/\?wsdl$/, '');
    const client = await createClientAsync(erp.url + erp.wsdlPath, { endpoint });
    const gravar = (client.GravarClientesAsync as (args: unknown) => Promise<unknown>).bind(client);
    const connection: WebServiceConnection = {
      name: 'senior_g5',
      kind: 'webservice',
      baseUrl: erp.url,
      user: erp.credentials.user,
      password: new Secret(erp.credentials.password),
      encryption: 0,
      timeoutMs: 15_000,
      allowPrivateNetwork: true,
    };
    const transport = createSoapTransport(connection);
    const variants: Record<string, Call> = {
      soap: (i) => gravar({ user: erp.credentials.user, password: erp.credentials.password, encryption: 0, parameters: body(i) }),
      transport: (i, signal) =>
        transport.send({ link: erp.wsdlPath, operation: 'GravarClientes', body: body(i), timeoutMs: 15_000, signal }),
    };
    for (const [name, call] of Object.entries(variants)) await cpuPerCall(name, call, 2000); // creates the customers, warms the JIT
    const runs: Record<string, number[]> = { soap: [], transport: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['soap', 'transport'] : ['transport', 'soap'];
      for (const name of order) runs[name]?.push(await cpuPerCall(name, variants[name] as Call, calls));
    }
    await transport.close?.();
    const summary = Object.fromEntries(
      Object.entries(runs).map(([name, values]) => [
        name,
        { cpuMsPerCall: round(median(values), 3), runs: values.map((v) => round(v, 3)) },
      ]),
    );
    process.stdout.write(`${JSON.stringify({ benchmark: 'soap-leg', calls, rounds, concurrency, ...summary, errors }, null, 2)}\n`);
  } finally {
    double.kill();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`soap-leg failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
