import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmpresa } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { saveCtiSettings } from '../settings/cti-settings.repository';
import { insertConta } from '../test/contas';
import { admitClickToCall, placeCall } from './click-to-call';

describe.each(['sqlite', 'postgres'] as const)(
  'click-to-call: the call row and what may be retried (%s, a PBX double on loopback)',
  (dialect) => {
    let database: TestDatabase;
    let pbx: http.Server;
    /** What the PBX double does with the next request (default: answers 200). */
    const script: Array<'reset' | 'silent'> = [];
    const dialled: string[] = [];
    /** How many phone-index notes of Acme were not indexed yet when the PBX double was asked to dial. */
    const notesAtDial: number[] = [];
    let acme: number;
    let outra: number;
    let contaAcme: number;
    let contaOfContato: number;
    let contatoAcme: number;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      pbx = http.createServer((req, res) => {
        dialled.push(req.url ?? '');
        const next = script.shift();
        if (next === 'reset') req.socket.destroy();
        else if (next !== 'silent')
          void database.db
            .selectFrom('cti_telefones_pendentes')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('empresa_id', '=', acme)
            .executeTakeFirstOrThrow()
            .then(({ n }) => {
              notesAtDial.push(Number(n));
              res.end('ok');
            });
      });
      await new Promise<void>((resolve) => pbx.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(pbx.address() as AddressInfo).port}/dial?de={ramal_origem}&para={numero_destino}`;
      acme = await createEmpresa(database.db, 'Acme');
      outra = await createEmpresa(database.db, 'Outra');
      await saveCtiSettings(database.db, acme, { pbxUrlTemplate: url, allowPrivateNetwork: true });
      contaAcme = await insertConta(database.db, acme, 'Conta Acme', { celular: '(11) 98765-4321' });
      contaOfContato = await insertConta(database.db, acme, 'Conta da Maria', {});
      await sql`INSERT INTO contatos (empresa_id, nome, telefone, conta_id) VALUES (${acme}, ${'Maria'}, ${'(48) 3222-1111'}, ${contaOfContato})`.execute(
        database.db,
      );
      contatoAcme = Number(
        (await database.db.selectFrom('contatos').select('id').where('nome', '=', 'Maria').executeTakeFirstOrThrow()).id,
      );
      // Only Outra has this number: Acme's call to it finds no customer.
      await insertConta(database.db, outra, 'Conta Outra', { telefone: '(47) 3210-0123' });
      await database.db.insertInto('usuarios').values({ empresa_id: acme, nome: 'Ana', ramal: '3501' }).execute();
      await database.db.insertInto('usuarios').values({ empresa_id: outra, nome: 'Bia', ramal: '7001' }).execute();
    });

    afterAll(async () => {
      pbx.closeAllConnections();
      await new Promise((resolve) => pbx.close(resolve));
      await database.drop();
    });

    const deps = () => ({ db: database.db, env: {}, pbxTimeoutMs: 500 });
    const call = (callId: string, numero: string) => ({
      tenant: { empresaId: acme, filialId: null },
      callId,
      ramal: '3501',
      numero,
      requestedAt: new Date().toISOString(),
    });
    const row = (callId: string) =>
      database.db
        .selectFrom('ligacoes')
        .select(['direcao', 'status', 'erro', 'conta_id', 'contato_id'])
        .where('empresa_id', '=', acme)
        .where('evento_id', '=', callId)
        .executeTakeFirstOrThrow();

    it("links the outbound call to the conta or contato that owns the dialled number, the caller's empresa only", async () => {
      await placeCall(deps(), call('c2c_conta_0001', '11 98765-4321'), { lastAttempt: false });
      expect(await row('c2c_conta_0001')).toMatchObject({
        direcao: 'saida',
        status: 'em andamento',
        conta_id: contaAcme,
        contato_id: null,
      });
      await placeCall(deps(), call('c2c_contato_01', '(48) 3222-1111'), { lastAttempt: false });
      expect(await row('c2c_contato_01')).toMatchObject({ conta_id: contaOfContato, contato_id: contatoAcme });
      // Outra's conta holds this number: not Acme's customer.
      await placeCall(deps(), call('c2c_foreign_01', '(47) 3210-0123'), { lastAttempt: false });
      expect(await row('c2c_foreign_01')).toMatchObject({ conta_id: null, contato_id: null });
      await placeCall(deps(), call('c2c_ramal_0001', '3502'), { lastAttempt: false });
      expect(await row('c2c_ramal_0001')).toMatchObject({ conta_id: null, contato_id: null });
    });

    it('dials before the phone index catches up on a backlog of notes, then links the row to the customer', async () => {
      // A bulk import's writes, noted and not indexed yet: the old worker worked through them before dialling.
      const imported = await insertConta(database.db, acme, 'Conta Importada', { telefone: '(21) 3333-4444' });
      for (let i = 0; i < 30; i++) await insertConta(database.db, acme, `Importada ${i}`, { telefone: `(21) 3333-${String(5000 + i)}` });
      await placeCall(deps(), call('c2c_backlog_01', '(21) 3333-4444'), { lastAttempt: false });
      expect(notesAtDial.at(-1)).toBeGreaterThanOrEqual(31);
      expect(await row('c2c_backlog_01')).toMatchObject({ status: 'em andamento', conta_id: imported, contato_id: null });
    });

    it('a template stored with an unknown placeholder is refused before anything is sent, at admission and in the worker (trial CTI 3)', async () => {
      const port = (pbx.address() as AddressInfo).port;
      await saveCtiSettings(database.db, outra, {
        pbxUrlTemplate: `http://127.0.0.1:${port}/dial?ramal={ramal}&numero={numero}`,
        allowPrivateNetwork: true,
      });
      await expect(admitClickToCall(database.db, outra, { ramal: '7001', numero: '11 98765-4321' })).rejects.toMatchObject({
        code: 'PBX_TEMPLATE_INVALID',
      });
      const before = dialled.length;
      const placed = placeCall(
        deps(),
        { ...call('c2c_badtpl_001', '11 98765-4321'), tenant: { empresaId: outra, filialId: null } },
        { lastAttempt: false },
      );
      await expect(placed).rejects.toMatchObject({
        code: 'PBX_TEMPLATE_INVALID',
        permanent: true,
        message: expect.stringContaining('{ramal}'),
      });
      expect(dialled.length).toBe(before);
      // Acme's own template is untouched by Outra's.
      await expect(admitClickToCall(database.db, acme, { ramal: '3501', numero: '11 98765-4321' })).resolves.toMatchObject({
        empresaId: acme,
      });
    });

    it("admits only a ramal of an active usuario of the caller's empresa: another empresa's is refused as an unknown one", async () => {
      const admit = (ramal: string) => admitClickToCall(database.db, acme, { ramal, numero: '11 98765-4321' });
      await expect(admit('3501')).resolves.toMatchObject({ empresaId: acme });
      for (const ramal of ['7001', '3999']) {
        await expect(admit(ramal)).rejects.toMatchObject({
          code: 'CTI_UNKNOWN_RAMAL',
          permanent: true,
          params: { field: 'body.ramal', value: ramal },
        });
      }
      await database.db.updateTable('usuarios').set({ ativo: 0 }).where('empresa_id', '=', acme).where('ramal', '=', '3501').execute();
      try {
        await expect(admit('3501')).rejects.toMatchObject({ code: 'CTI_UNKNOWN_RAMAL' });
      } finally {
        await database.db.updateTable('usuarios').set({ ativo: 1 }).where('empresa_id', '=', acme).where('ramal', '=', '3501').execute();
      }
    });

    it('a reset or no answer after the request was sent fails for good on the first attempt, the row falhou', async () => {
      for (const [callId, failure] of [
        ['c2c_reset_0001', 'reset'],
        ['c2c_silent_001', 'silent'],
      ] as const) {
        script.push(failure);
        const before = dialled.length;
        const placed = placeCall(deps(), call(callId, '11 98765-4321'), { lastAttempt: false });
        await expect(placed).rejects.toMatchObject({ code: 'PBX_OUTCOME_UNKNOWN', permanent: true });
        expect(dialled.length - before).toBe(1);
        expect(await row(callId)).toMatchObject({
          status: 'falhou',
          erro: expect.stringMatching(/^outcome unknown: the PBX may have dialled; check before trying again/),
        });
      }
    });
  },
);
