import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { saveCtiSettings } from '../settings/cti-settings.repository';
import { placeCall } from './click-to-call';

// F25: a click-to-call held by a tenant pause or a limit must not dial when it is finally taken, maybe hours later.
describe.each(['sqlite', 'postgres'] as const)('click-to-call expiry (%s, a PBX stub on loopback)', (dialect) => {
  let database: TestDatabase;
  let pbx: http.Server;
  const dialled: string[] = [];
  let empresaId: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    pbx = http.createServer((req, res) => {
      dialled.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => pbx.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(pbx.address() as AddressInfo).port}/dial?de={ramal_origem}&para={numero_destino}`;
    empresaId = await createEmpresa(database.db, 'Acme');
    await saveCtiSettings(database.db, empresaId, { pbxUrlTemplate: url, allowPrivateNetwork: true });
  });

  afterAll(async () => {
    await new Promise((resolve) => pbx.close(resolve));
    await database.drop();
  });

  const call = (callId: string, agoMs: number) => ({
    tenant: { empresaId, filialId: null },
    callId,
    ramal: '3501',
    numero: '3502',
    requestedAt: new Date(Date.now() - agoMs).toISOString(),
  });
  const row = (callId: string) =>
    database.db
      .selectFrom('ligacoes')
      .select(['status', 'erro'])
      .where('empresa_id', '=', empresaId)
      .where('evento_id', '=', callId)
      .executeTakeFirst();

  it('a call taken past the default 60 s fails as expired, recorded, without calling the PBX', async () => {
    const deps = { db: database.db, env: {}, pbxTimeoutMs: 2000 };
    const expired = placeCall(deps, call('expired_call_1', 2 * 3600 * 1000), { lastAttempt: false });
    await expect(expired).rejects.toMatchObject({ code: 'CTI_CALL_EXPIRED', permanent: true, params: { limit: '60' } });
    expect(dialled).toEqual([]);
    expect(await row('expired_call_1')).toEqual({ status: 'falhou', erro: expect.stringMatching(/expired.*the PBX was not called/) });
  });

  it('a fresh call dials; the expiry is configurable (CTI_CLICK_TO_CALL_EXPIRY_MS)', async () => {
    await placeCall({ db: database.db, env: {}, pbxTimeoutMs: 2000 }, call('fresh_call_01', 0), { lastAttempt: false });
    expect(dialled).toEqual(['/dial?de=3501&para=3502']);
    const longer = { db: database.db, env: {}, pbxTimeoutMs: 2000, expiryMs: 300_000 };
    await placeCall(longer, call('older_call_01', 120_000), { lastAttempt: false });
    expect(dialled).toHaveLength(2);
    const shorter = { db: database.db, env: {}, pbxTimeoutMs: 2000, expiryMs: 1000 };
    await expect(placeCall(shorter, call('older_call_02', 5000), { lastAttempt: false })).rejects.toMatchObject({
      code: 'CTI_CALL_EXPIRED',
    });
    expect(dialled).toHaveLength(2);
  });

  it('a call that expires while it waits for the limit token is not placed', async () => {
    const deps = { db: database.db, env: {}, pbxTimeoutMs: 2000, expiryMs: 1000 };
    const acquire = () => new Promise<void>((resolve) => setTimeout(resolve, 1500));
    await expect(placeCall(deps, call('waited_call_1', 0), { lastAttempt: false, acquire })).rejects.toMatchObject({
      code: 'CTI_CALL_EXPIRED',
    });
    expect(dialled).toHaveLength(2);
    expect(await row('waited_call_1')).toMatchObject({ status: 'falhou' });
  });
});
