import fs from 'node:fs';
import { createClientAsync } from 'soap';
import { timeAndReport } from './baseline-run';

// The baseline, run as its own process (like the worker, so neither shares a core with the ERP double in the parent):
// a bare `soap` client, created once, making GravarClientes calls with `concurrency` in flight. No queue, no
// database, no outbox: what the ERP round trip alone costs. Reads its plan from the JSON file named by argv[2]
// and prints one JSON line with msg "baseline done".

/** What the parent hands the baseline process. */
export interface BaselinePlan {
  wsdlUrl: string;
  /** The WSDL advertises localhost:8080; the calls go where the double listens (as the SOAP transport does). */
  endpoint: string;
  user: string;
  password: string;
  /** GravarClientes `parameters`, one per conta, exactly as the SET push builds them. */
  bodies: Record<string, unknown>[];
  /** Untimed calls first (one pass over the bodies creates the ERP's customers and warms the JIT). */
  warmupCalls: number;
  calls: number;
  concurrency: number;
}

type Gravar = (args: unknown) => Promise<[{ result?: { retornosClientes?: unknown } } | null, ...unknown[]]>;

/** True when the ERP saved the customer (retornosClientes[0].retorno === 'OK'). */
function saved(output: Awaited<ReturnType<Gravar>>[0]): boolean {
  const retornos = output?.result?.retornosClientes;
  const first = (Array.isArray(retornos) ? retornos[0] : retornos) as { retorno?: unknown } | undefined;
  return first?.retorno === 'OK';
}

/** Makes `calls` calls starting at body `offset`, `concurrency` at a time; returns how many the ERP did not save. */
async function callMany(gravar: Gravar, plan: BaselinePlan, offset: number, calls: number): Promise<number> {
  let next = 0;
  let errors = 0;
  const lane = async () => {
    while (next < calls) {
      const body = plan.bodies[(offset + next++) % plan.bodies.length];
      try {
        const [output] = await gravar({ user: plan.user, password: plan.password, encryption: 0, parameters: body });
        if (!saved(output)) errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, lane));
  return errors;
}

async function main(): Promise<void> {
  const planFile = process.argv[2];
  if (!planFile) throw new Error('usage: soap-baseline.ts <plan.json>');
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as BaselinePlan;
  const client = await createClientAsync(plan.wsdlUrl, { endpoint: plan.endpoint });
  const gravar = (client.GravarClientesAsync as Gravar).bind(client);

  await timeAndReport(plan, (calls) => callMany(gravar, plan, 0, calls));
}

main().catch((err: unknown) => {
  process.stderr.write(`soap baseline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
