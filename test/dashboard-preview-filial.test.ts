import { createFilial } from '@integrador/store';
import { CONTA } from './fixtures/set-ws-contas';
import { DashboardHarness } from './support/dashboard-harness';

/**
 * The job page's preview reads the CRM as its viewer may: a filial key opening an empresa-wide SET job (filial null,
 * as `integrador run` or an empresa key starts it) sees the consulta bound to its own filial, never a sibling
 * filial's CRM rows; the empresa's key sees them as the job read them.
 */
describe('the dashboard job preview of a filial viewer', () => {
  const h = new DashboardHarness();
  const jobId = 'preview-filial-1';
  let keyRecife: string;

  beforeAll(async () => {
    await h.start();
    ({ key: keyRecife } = await h.filialKey('Recife'));
    const saoPaulo = await createFilial(h.database.db, h.empresaA, 'São Paulo');
    // The conta the job pushes belongs to the sibling filial.
    await h.database.db.updateTable('contas').set({ empresa_filial_id: saoPaulo }).where('id', '=', CONTA.id).execute();
    await h.recordSetJob(jobId);
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  const detail = async (key: string) => {
    const response = await h.app.inject({ url: `/dashboard/api/jobs/set/${jobId}`, headers: { authorization: `Bearer ${key}` } });
    expect(response.statusCode).toBe(200);
    return response.json() as { preview: { consulta?: unknown; records?: unknown[]; error?: string } | null };
  };

  it('a filial key: the consulta finds no row of a sibling filial', async () => {
    const { preview } = await detail(keyRecife);
    expect(JSON.stringify(preview)).not.toContain(CONTA.nome);
    expect(preview?.error).toMatch(/found no record/);
  });

  it('the empresa key: the conta as the job read it', async () => {
    const { preview } = await detail(h.keyA);
    expect(preview?.error).toBeUndefined();
    expect(JSON.stringify(preview?.records)).toContain(CONTA.nome);
  });
});
