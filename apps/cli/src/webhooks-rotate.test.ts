import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { requireEndpoint } from '@integrador/webhooks';
import { cliEnv, runCli } from '../test/run-cli';

// Review rev2 #4: inside the grace period a rotation is refused; an operator whose secret leaked revokes it at once.
describe('integrador webhooks rotate-secret --revogar-anterior', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let empresaId: number;
  let otherId: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    empresaId = await createEmpresa(database.db, 'Faculdade Rot');
    otherId = await createEmpresa(database.db, 'Faculdade Outra');
    env = cliEnv(database.url);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('revokes the previous secrets now inside the grace period; another empresa gets not found', async () => {
    const created = await runCli(
      [
        'webhooks',
        'create',
        '--empresa',
        String(empresaId),
        '--nome',
        'ERP',
        '--url',
        'https://erp.exemplo.com.br/hook',
        '--gatilho',
        'contato.criado',
        '--json',
      ],
      env,
    );
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: number };
    const rotate = (...flags: string[]) => runCli(['webhooks', 'rotate-secret', String(id), '--empresa', String(empresaId), ...flags], env);
    expect((await rotate()).code).toBe(0);
    const inGrace = await rotate();
    expect(inGrace.code).toBe(1);
    expect(inGrace.stderr).toContain('--revogar-anterior');
    const other = await runCli(['webhooks', 'rotate-secret', String(id), '--empresa', String(otherId), '--revogar-anterior'], env);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('webhook não encontrado');
    const revoked = await rotate('--revogar-anterior');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('os segredos anteriores foram revogados: só o novo assina a partir de agora');
    const secret = /whsec_\S+/.exec(revoked.stdout)?.[0];
    const row = await requireEndpoint(database.db, empresaId, id);
    expect(row).toMatchObject({ segredoAnterior: null, segredoAnteriorExpiraEm: null });
    expect(row.segredo).toContain(secret?.slice('whsec_'.length) ?? 'missing');
  });
});
