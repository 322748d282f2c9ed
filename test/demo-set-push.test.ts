import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionsFile } from '@integrador/connections';
import { resolveSetTarget, runSet } from '@integrador/integrador';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { createTransportFactory } from '@integrador/transports';
import { SET_WS_CONTAS } from '../apps/cli/src/demo/demo-integracoes';
import { listDemoIntegrations, seedDemoTenant } from '../apps/cli/src/demo/seed-demo';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, seniorG5ConnectionsYaml, startSeniorG5Server } from './fixtures/senior-g5';

/**
 * The README's demo push: seed-demo's SET-WS-CONTAS, run as a worker runs it, against the repo's Senior G5 double (which
 * reads GravarClientes' dadosGeraisCliente as senior-g5.md describes it); the codCli the ERP assigns is written back.
 */
describe("seed-demo's SET-WS-CONTAS against the Senior G5 double", () => {
  let erp: SeniorG5Server;
  let database: TestDatabase;
  let empresaId: number;
  let push: (contaId: number, jobId: string) => ReturnType<typeof runSet>;

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    database = await createTestDatabase('postgres');
    ({ empresaId } = await seedDemoTenant(database));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'itest-demo-')), 'connections.yaml');
    fs.writeFileSync(file, seniorG5ConnectionsYaml(erp.url));
    const connections = await loadConnectionsFile(file, { SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password });
    const integracao = (await listDemoIntegrations(database.db, empresaId)).find((row) => row.nome === SET_WS_CONTAS);
    const transports = createTransportFactory();
    push = async (contaId, jobId) => {
      const target = await resolveSetTarget(
        database,
        connections,
        transports,
        { empresaId, filialId: null, nome: '' },
        Number(integracao?.id),
      );
      return runSet({
        db: database.db,
        dialect: database.dialect,
        empresaId,
        filialId: null,
        definition: target.definition,
        parametros: { contaId: String(contaId) },
        jobId,
        transport: target.transport,
        timeoutMs: target.timeoutMs,
      });
    };
  });

  afterAll(async () => {
    await erp?.close();
    await database?.drop();
  });

  const conta = (id: number) =>
    database.db.selectFrom('contas').select(['id', 'id_erp', 'cnpj', 'cpf', 'endereco']).where('id', '=', id).executeTakeFirstOrThrow();
  const firstContas = () =>
    database.db.selectFrom('contas').select('id').where('empresa_id', '=', empresaId).orderBy('id').limit(2).execute();

  it('creates the customer in the ERP, with its delivery address, and writes the codCli back to the conta', async () => {
    const [first] = await firstContas();
    const id = Number(first?.id);
    const result = await push(id, 'demo-1');
    expect(result.records).toMatchObject([{ status: 'concluido' }]);
    const saved = await conta(id);
    expect(saved.id_erp).toMatch(/^\d+$/);
    const customer = erp.customers.get(Number(saved.id_erp));
    expect(customer).toMatchObject({ ideExt: String(id), tipCli: expect.stringMatching(/^[JF]$/), sitCli: 'A' });
    expect(customer?.enderecosEntrega).toEqual([expect.objectContaining({ seqEnt: 1, endEnt: saved.endereco })]);
  });

  it('leaves out the delivery address of a conta that has none, instead of an empty element the ERP cannot read', async () => {
    const [, second] = await firstContas();
    const id = Number(second?.id);
    await database.db
      .updateTable('contas')
      .set({ endereco: null, numero: null, complemento: null, bairro: null, cep: null })
      .where('id', '=', id)
      .execute();
    const result = await push(id, 'demo-2');
    expect(result.records).toMatchObject([{ status: 'concluido' }]);
    const sent = erp.requests.bodies.at(-1) ?? '';
    expect(sent).toContain('dadosGeraisCliente');
    expect(sent).not.toContain('enderecosEntrega');
    const saved = await conta(id);
    expect(erp.customers.get(Number(saved.id_erp))?.enderecosEntrega).toEqual([]);
  });

  it('records a push whose answer lacks the configured return array as outcome unknown (enviando), not falhou', async () => {
    const [first] = await firstContas();
    const id = Number(first?.id);
    const integracao = (await listDemoIntegrations(database.db, empresaId)).find((row) => row.nome === SET_WS_CONTAS);
    const { indice_array_retorno: configured } = await database.db
      .selectFrom('integracao')
      .select('indice_array_retorno')
      .where('id', '=', Number(integracao?.id))
      .executeTakeFirstOrThrow();
    await database.db
      .updateTable('integracao')
      .set({ indice_array_retorno: 'semEsseIndice' })
      .where('id', '=', Number(integracao?.id))
      .execute();
    try {
      const calls = erp.requests.bodies.length;
      const error = await push(id, 'demo-3').catch((err: unknown) => err);
      expect(error).toMatchObject({ code: 'RETURN_ARRAY_NOT_FOUND' });
      // The ERP ran GravarClientes and reported no error: a retry must reconcile, not take it for "nothing was done".
      expect(erp.requests.bodies.slice(calls).some((body) => body.includes('GravarClientes'))).toBe(true);
      const execucao = await database.db
        .selectFrom('integracao_execucoes')
        .select(['status', 'mensagem'])
        .where('job_id', '=', 'demo-3')
        .executeTakeFirstOrThrow();
      expect(execucao.status).toBe('enviando');
      expect(execucao.mensagem).toMatch(/semEsseIndice/);
    } finally {
      await database.db
        .updateTable('integracao')
        .set({ indice_array_retorno: configured })
        .where('id', '=', Number(integracao?.id))
        .execute();
    }
  });
});
