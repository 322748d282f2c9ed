import { randomBytes } from 'node:crypto';
import { createEmpresa, sqlitePath } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { useTestRedis } from '@integrador/test-support/test-redis';
import type { Redis } from 'ioredis';
import { type KyselyPlugin, sql } from 'kysely';
import { admitClickToCall } from '../click-to-call/click-to-call';
import { activePops, publishPop } from '../pop/pop-events';
import { popKeys } from '../pop/pop-keys';
import { saveCtiSettings } from '../settings/cti-settings.repository';
import { TtlCache } from '../settings/settings-cache';
import { insertConta } from '../test/contas';
import { type CallEventDeps, expireOpenCalls, processCallEvent } from './call-events';
import { listCalls } from './call-list.repository';
import { closeStaleCalls, closeUnansweredCalls, insertCall } from './call-log.repository';
import { callStatusReason } from './call-status.messages';

type CallRowOf = Awaited<ReturnType<typeof listCalls>>['calls'][number];

describe.each(ALL_DIALECTS)('call log on %s', (dialect) => {
  let database: TestDatabase;
  const testRedis = useTestRedis({ role: 'worker', per: 'all' });
  let redis: Redis;
  let prefix: string;
  let deps: CallEventDeps;
  let empresaId: number;
  const tenant = () => ({ empresaId, filialId: null });
  const event = (kind: 'inicio' | 'fim', ramal: string, telefone: string, at: Date, extra: { urlAudio?: string } = {}) => ({
    tenant: tenant(),
    eventId: randomBytes(9).toString('base64url'),
    kind,
    ramal,
    telefone,
    receivedAt: at.toISOString(),
    ...extra,
  });
  const rows = (ramal: string) =>
    database.db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', empresaId).where('ramal', '=', ramal).execute();

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    empresaId = await createEmpresa(database.db, 'Acme');
    await database.db.insertInto('contas').values({ empresa_id: empresaId, nome: 'Conta Exemplo', telefone: '(11) 3333-4444' }).execute();
    ({ redis, prefix } = testRedis);
    deps = { db: database.db, redis, prefix, callTimeoutMs: 60000 };
  });

  afterAll(async () => {
    await database.drop();
  });

  it('a start and its end make one closed row with the duration; a job run twice writes nothing twice', async () => {
    // Both instants fixed up front: the duration is theirs, however long the calls below take on a busy machine.
    const endAt = Date.now();
    const start = event('inicio', '3501', '1133334444', new Date(endAt - 42000));
    const first = await processCallEvent(deps, start);
    expect(await processCallEvent(deps, start)).toEqual(first);
    const end = event('fim', '3501', '(11) 3333-4444', new Date(endAt), { urlAudio: 'a.wav' });
    await processCallEvent(deps, end);
    await processCallEvent(deps, end);
    const [row, ...more] = await rows('3501');
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      status: 'finalizada',
      url_audio: 'a.wav',
      sem_inicio: 0,
      duracao_segundos: 42,
      telefone_normalizado: '+551133334444',
    });
    expect(row?.conta_id).not.toBeNull();
  });

  it('a start reuses the caller card the listener published for that call; without one it looks the caller up itself', async () => {
    const conta = await database.db.selectFrom('contas').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow();
    // What the listener published: a card naming another conta than the lookup would find (so a second lookup shows).
    const listenerCard = { tabela: 'contas' as const, id: conta.id + 500, nome: 'Do listener', contaId: conta.id + 500 };
    const card = { ...listenerCard, campo: 'telefone', telefone: '(11) 3333-4444', exato: true };
    const popped = event('inicio', '3504', '1133334444', new Date());
    const common = { ramal: '3504', numero: popped.telefone, normalizado: '+551133334444', recebidoEm: popped.receivedAt };
    await publishPop(redis, prefix, empresaId, { type: 'caller', callId: popped.eventId, ...common, matches: [card] }, 60000);
    // Another empresa's card for the same ramal and call id, and this empresa's card of another call: neither is used.
    const other = event('inicio', '3504', '1133334444', new Date());
    await publishPop(redis, prefix, empresaId + 1000, { type: 'caller', callId: other.eventId, ...common, matches: [card] }, 60000);
    await publishPop(redis, prefix, empresaId, { type: 'caller', callId: `${other.eventId}x`, ...common, matches: [card] }, 60000);

    expect(await processCallEvent(deps, popped)).toMatchObject({ matches: 1 });
    expect(await processCallEvent(deps, other)).toMatchObject({ matches: 1 });
    const byEvent = new Map((await rows('3504')).map((r) => [r.evento_id, r.conta_id]));
    expect(byEvent.get(popped.eventId)).toBe(conta.id + 500);
    expect(byEvent.get(other.eventId)).toBe(conta.id);
    // The worker published the card the listener had not (one caller event for that call on the ramal's state).
    const active = await activePops(redis, prefix, empresaId, '3504');
    const cards = active.map((text) => JSON.parse(text) as { callId: string; type: string; matches?: { id: number }[] });
    expect(cards.find((c) => c.callId === other.eventId)).toMatchObject({ type: 'caller', matches: [{ id: conta.id }] });
    expect(cards.find((c) => c.callId === popped.eventId)).toMatchObject({ type: 'caller', matches: [{ id: conta.id + 500 }] });
  });

  it('a start whose listener is still looking the caller up waits for its card; without a card in time it looks up itself', async () => {
    const conta = await database.db.selectFrom('contas').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow();
    const listenerCard = { tabela: 'contas' as const, id: conta.id + 700, nome: 'Do listener', contaId: conta.id + 700 };
    const card = { ...listenerCard, campo: 'telefone', telefone: '(11) 3333-4444', exato: true };
    const ringingOf = (popped: ReturnType<typeof event>) => ({
      type: 'ringing' as const,
      callId: popped.eventId,
      ramal: '3507',
      numero: popped.telefone,
      normalizado: '+551133334444',
      recebidoEm: popped.receivedAt,
      consultando: true,
    });
    // A window far longer than any delay under load: which card the row got shows whether the worker waited.
    const patient = { ...deps, listenerCardWaitMs: 30000 };
    // The listener rang and is looking up; its card arrives once the worker is already waiting for it.
    const slow = event('inicio', '3507', '1133334444', new Date());
    await publishPop(redis, prefix, empresaId, ringingOf(slow), 60000);
    const processed = processCallEvent(patient, slow);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await publishPop(redis, prefix, empresaId, { ...ringingOf(slow), type: 'caller', matches: [card] }, 60000);
    expect(await processed).toMatchObject({ matches: 1 });
    // The listener rang but its card never comes (its process died): once the window from its receipt is over, the
    // worker's own lookup and card (here the window ended before the job was taken: a queue behind does not wait).
    const lost = event('inicio', '3507', '1133334444', new Date(Date.now() - 31000));
    await publishPop(redis, prefix, empresaId, ringingOf(lost), 60000);
    await processCallEvent(patient, lost);
    const byEvent = new Map((await rows('3507')).map((r) => [r.evento_id, r.conta_id]));
    expect(byEvent.get(slow.eventId)).toBe(conta.id + 700);
    expect(byEvent.get(lost.eventId)).toBe(conta.id);
    const active = (await activePops(redis, prefix, empresaId, '3507')).map((text) => JSON.parse(text) as { callId: string });
    expect(active.find((c) => c.callId === lost.eventId)).toMatchObject({ type: 'caller', matches: [{ id: conta.id }] });
  });

  it('a start run again after its insert folds in the end logged meanwhile, instead of leaving an open row beside it', async () => {
    const startedAt = new Date(Date.now() - 30000);
    const start = event('inicio', '3508', '1133334444', startedAt);
    // The first run inserted the start's row, then failed before its late-end read; the end's job logged an end-only
    // row in between.
    const common = { empresaId, ramal: '3508', usuarioId: null, telefone: '1133334444', normalizado: '+551133334444' };
    const call = { ...common, key: '1133334444', contaId: null, contatoId: null, direcao: 'entrada' as const };
    await insertCall(database.db, { ...call, status: 'tocando', inicio: startedAt, eventId: start.eventId });
    const endedAt = new Date(startedAt.getTime() + 12000);
    await insertCall(database.db, {
      ...call,
      status: 'finalizada',
      inicio: endedAt,
      fim: endedAt,
      endEventId: 'fim-3508',
      semInicio: true,
    });
    expect(await processCallEvent(deps, start)).toMatchObject({ kind: 'inicio', paired: true });
    const [row, ...more] = await rows('3508');
    expect(more).toEqual([]);
    expect(row).toMatchObject({ evento_id: start.eventId, evento_fim_id: 'fim-3508', status: 'finalizada', duracao_segundos: 12 });
  });

  it("with a usuario cache, a call is logged to the ramal's usuario, and a new ramal applies once the entry expires", async () => {
    // The cache's own clock, moved by hand: the entry's life does not depend on how fast the database answers.
    let clock = 1_000_000;
    const cached = { ...deps, usuarios: new TtlCache<number | null>(5000, () => clock) };
    const usuarioRow = (nome: string, ramal: string) =>
      database.db.insertInto('usuarios').values({ empresa_id: empresaId, nome, ramal }).execute();
    await usuarioRow('Ana', '3505');
    const ana = await database.db.selectFrom('usuarios').select('id').where('ramal', '=', '3505').executeTakeFirstOrThrow();
    const first = await processCallEvent(cached, event('inicio', '3505', '1133334444', new Date()));
    // Ana moves to another ramal and Bia takes 3505: within the entry's life the cached usuario is kept, then Bia's.
    await database.db.updateTable('usuarios').set({ ramal: '3595' }).where('id', '=', ana.id).execute();
    await usuarioRow('Bia', '3505');
    const bia = await database.db.selectFrom('usuarios').select('id').where('ramal', '=', '3505').executeTakeFirstOrThrow();
    const second = await processCallEvent(cached, event('inicio', '3505', '1155556666', new Date()));
    clock += 5001;
    const third = await processCallEvent(cached, event('inicio', '3505', '1177778888', new Date()));
    const usuarioOfCall = new Map((await rows('3505')).map((r) => [r.id, r.usuario_id]));
    expect([first, second, third].map((r) => usuarioOfCall.get(r.ligacaoId))).toEqual([ana.id, ana.id, bia.id]);
  });

  it("a usuario whose ramal the CRM stored with spaces ('3520 ') takes ramal 3520's calls and click-to-calls; another empresa's never", async () => {
    const acme = await createEmpresa(database.db, 'Ramais Acme');
    const outra = await createEmpresa(database.db, 'Ramais Outra');
    const usuario = async (empresa: number, nome: string, ramal: string) => {
      await database.db.insertInto('usuarios').values({ empresa_id: empresa, nome, ramal }).execute();
      return (await database.db.selectFrom('usuarios').select('id').where('nome', '=', nome).executeTakeFirstOrThrow()).id;
    };
    const caio = await usuario(acme, 'Caio 3520', '3520 ');
    const dora = await usuario(outra, 'Dora 3520', ' 3520');
    // Only Outra has 3521 (padded too): Acme's 3521 is nobody's.
    await usuario(outra, 'Eva 3521', '3521  ');
    for (const empresa of [acme, outra])
      await saveCtiSettings(database.db, empresa, { pbxUrlTemplate: 'http://127.0.0.1:9/d?n={numero_destino}', allowPrivateNetwork: true });
    const start = (empresa: number, ramal: string) =>
      processCallEvent(deps, { ...event('inicio', ramal, '1133334444', new Date()), tenant: { empresaId: empresa, filialId: null } });
    const usuarioOfCall = async (ligacaoId: number) =>
      (await database.db.selectFrom('ligacoes').select('usuario_id').where('id', '=', ligacaoId).executeTakeFirstOrThrow()).usuario_id;
    // The call log's agent (and the screen pop's call row): the padded ramal's usuario, of the call's own empresa.
    expect(await usuarioOfCall((await start(acme, '3520')).ligacaoId)).toBe(caio);
    expect(await usuarioOfCall((await start(outra, '3520')).ligacaoId)).toBe(dora);
    expect(await usuarioOfCall((await start(acme, '3521')).ligacaoId)).toBeNull();
    // Click-to-call takes the padded ramal as the usuario's; another empresa's padded ramal is still nobody's here.
    await expect(admitClickToCall(database.db, acme, { ramal: '3520', numero: '11 98765-4321' })).resolves.toMatchObject({
      empresaId: acme,
    });
    await expect(admitClickToCall(database.db, acme, { ramal: '3521', numero: '11 98765-4321' })).rejects.toMatchObject({
      code: 'CTI_UNKNOWN_RAMAL',
    });
    await expect(admitClickToCall(database.db, outra, { ramal: '3521', numero: '11 98765-4321' })).resolves.toMatchObject({
      empresaId: outra,
    });
  });

  it('an end whose start is processed later (two workers) still makes one row, and the call leaves the screen pop', async () => {
    const endedAt = new Date();
    const startedAt = new Date(endedAt.getTime() - 10000);
    const start = event('inicio', '3502', '1133334444', startedAt);
    // The listener rang the call and showed its card when the start arrived, before either job ran.
    const shown = {
      callId: start.eventId,
      ramal: '3502',
      numero: '1133334444',
      normalizado: '+551133334444',
      recebidoEm: start.receivedAt,
    };
    await publishPop(redis, prefix, empresaId, { type: 'caller', ...shown, matches: [] }, 60000);
    await processCallEvent(deps, event('fim', '3502', '1133334444', endedAt, { urlAudio: 'b.wav' }));
    expect((await rows('3502')).map((r) => [r.status, r.sem_inicio])).toEqual([['finalizada', 1]]);
    expect(await processCallEvent(deps, start)).toMatchObject({ paired: true });
    const [row, ...more] = await rows('3502');
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      status: 'finalizada',
      sem_inicio: 0,
      duracao_segundos: 10,
      evento_id: start.eventId,
      url_audio: 'b.wav',
      telefone_normalizado: '+551133334444',
    });
    expect(await activePops(redis, prefix, empresaId, '3502')).toEqual([]);
  });

  it("an end does not close a call that started after it: jobs S2, E1, S1 close call 1, and call 2's card stays", async () => {
    const now = Date.now();
    const start1 = event('inicio', '3510', '1133334444', new Date(now - 60000));
    const end1 = event('fim', '3510', '1133334444', new Date(now - 30000));
    const start2 = event('inicio', '3510', '1133334444', new Date(now - 10000));
    await processCallEvent(deps, start2);
    await processCallEvent(deps, end1);
    await processCallEvent(deps, start1);
    const byEvent = new Map((await rows('3510')).map((r) => [r.evento_id, r]));
    expect(byEvent.size).toBe(2);
    expect(byEvent.get(start1.eventId)).toMatchObject({
      status: 'finalizada',
      sem_inicio: 0,
      duracao_segundos: 30,
      evento_fim_id: end1.eventId,
    });
    expect(byEvent.get(start2.eventId)).toMatchObject({ status: 'tocando', evento_fim_id: null });
    const active = (await activePops(redis, prefix, empresaId, '3510')).map((text) => JSON.parse(text) as { callId: string; type: string });
    expect(active).toEqual([expect.objectContaining({ callId: start2.eventId, type: 'caller' })]);
  });

  it.each([
    ['start then end', false],
    ['end then start', true],
  ])('an end stamped 5 ms before its start (clock skew between ingress hosts), %s, closes it: one row', async (_, endFirst) => {
    const ramal = endFirst ? '3513' : '3512';
    const startedAt = new Date(Date.now() - 1000);
    const start = event('inicio', ramal, '1133334444', startedAt);
    const end = event('fim', ramal, '1133334444', new Date(startedAt.getTime() - 5));
    for (const job of endFirst ? [end, start] : [start, end]) await processCallEvent(deps, job);
    const [row, ...more] = await rows(ramal);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      status: 'finalizada',
      sem_inicio: 0,
      duracao_segundos: 0,
      evento_id: start.eventId,
      evento_fim_id: end.eventId,
    });
    expect(await activePops(redis, prefix, empresaId, ramal)).toEqual([]);
  });

  it('an end without a start names the caller it finds, of its own empresa only (trial F4)', async () => {
    const conta = await insertConta(database.db, empresaId, 'Só Fim', { celular: '(47) 99876-1234' });
    const outra = await createEmpresa(database.db, 'Outra F4');
    await insertConta(database.db, outra, 'Alheia', { celular: '(47) 99876-1234' });
    expect(await processCallEvent(deps, event('fim', '3711', '47998761234', new Date()))).toMatchObject({ semInicio: true });
    expect((await rows('3711')).map((r) => [r.sem_inicio, r.conta_id, r.status])).toEqual([[1, conta, 'finalizada']]);
  });

  it("a call that rang on one ramal and ended on another closes the first ramal's row as transferida and its card (trial F6)", async () => {
    const now = Date.now();
    await processCallEvent(deps, event('inicio', '3721', '4733221100', new Date(now - 20000)));
    const handedOver = new Date(now - 8000);
    await processCallEvent(deps, event('inicio', '3722', '4733221100', handedOver));
    // An unknown caller on a third ramal is not the same call: it keeps ringing.
    await processCallEvent(deps, event('inicio', '3723', 'anonymous', new Date(now - 20000)));
    expect(await activePops(redis, prefix, empresaId, '3721')).not.toEqual([]);
    await processCallEvent(deps, event('fim', '3722', '(47) 3322-1100', new Date(now), { urlAudio: 't.wav' }));
    await processCallEvent(deps, event('fim', '3724', 'anonymous', new Date(now)));
    const [first] = await rows('3721');
    expect(first).toMatchObject({ status: 'transferida', duracao_segundos: 12, evento_fim_id: null });
    expect(new Date(first?.fim as Date | string).getTime()).toBe(handedOver.getTime());
    expect((await rows('3722')).map((r) => [r.status, r.url_audio, r.duracao_segundos])).toEqual([['finalizada', 't.wav', 8]]);
    expect((await rows('3723')).map((r) => r.status)).toEqual(['tocando']);
    expect(await activePops(redis, prefix, empresaId, '3721')).toEqual([]);
    expect(callStatusReason('en', 'transferida')).toMatch(/transferred/);
    // Its own end after all: a call the hub closed is never reopened; that end is logged as a call of its own.
    await processCallEvent(deps, event('fim', '3721', '4733221100', new Date(now + 1000)));
    expect((await rows('3721')).map((r) => `${r.status} ${r.sem_inicio}`).sort()).toEqual(['finalizada 1', 'transferida 0']);
  });

  it('the hand-over takes only calls begun shortly before as transferred; a leg of the same ring within the clock skew is answered elsewhere', async () => {
    const now = Date.now();
    const numero = '4733225500';
    // A missed call ten minutes earlier, a leg of a ring group begun 1 s after the ramal that answered (another clock).
    await processCallEvent(deps, event('inicio', '3751', numero, new Date(now - 600000)));
    await processCallEvent(deps, event('inicio', '3752', numero, new Date(now - 30000)));
    await processCallEvent(deps, event('inicio', '3753', numero, new Date(now - 9000)));
    await processCallEvent(deps, event('inicio', '3754', numero, new Date(now - 10000)));
    await processCallEvent(deps, event('fim', '3754', numero, new Date(now)));
    expect((await rows('3751')).map((r) => r.status)).toEqual(['tocando']);
    expect((await rows('3752')).map((r) => [r.status, r.duracao_segundos])).toEqual([['transferida', 20]]);
    expect((await rows('3753')).map((r) => [r.status, r.duracao_segundos])).toEqual([['outro ramal atendeu', 0]]);
    expect(await activePops(redis, prefix, empresaId, '3751')).not.toEqual([]);
    // Its own end still closes the call that was never taken, and a leg's own end coming after all closes that leg.
    await processCallEvent(deps, event('fim', '3751', numero, new Date(now)));
    await processCallEvent(deps, event('fim', '3753', numero, new Date(now)));
    expect((await rows('3751')).map((r) => [r.status, r.sem_inicio, r.duracao_segundos])).toEqual([['finalizada', 0, 600]]);
    expect((await rows('3753')).map((r) => [r.status, r.sem_inicio, r.duracao_segundos])).toEqual([['finalizada', 0, 9]]);
  });

  it('a ring group answered on one ramal closes the legs that got no end as outro ramal atendeu, and nothing else', async () => {
    const now = Date.now();
    const numero = '4733227700';
    const answeredAt = new Date(now - 30000);
    const outra = await createEmpresa(database.db, 'Outra Grupo');
    const foreign = { ...event('inicio', '3772', numero, answeredAt), tenant: { empresaId: outra, filialId: null } };
    // The group rings 3771, 3772 and 3773 for one caller (the ingress clocks 1 s and 1.5 s apart); 3774 rings for
    // another number at the same time, 3776 for the same number 3 s before (past the clock skew: handed over, not a
    // leg); another empresa's ramal 3772 rings for the same number.
    await processCallEvent(deps, event('inicio', '3771', numero, new Date(answeredAt.getTime() - 1000)));
    await processCallEvent(deps, event('inicio', '3772', numero, answeredAt));
    await processCallEvent(deps, event('inicio', '3773', numero, new Date(answeredAt.getTime() + 1500)));
    await processCallEvent(deps, event('inicio', '3774', '4733227711', answeredAt));
    await processCallEvent(deps, event('inicio', '3776', numero, new Date(answeredAt.getTime() - 3000)));
    await processCallEvent(deps, foreign);
    expect(await activePops(redis, prefix, empresaId, '3771')).not.toEqual([]);
    // 3772 answered; its end is the only one the PBX sends.
    await processCallEvent(deps, event('fim', '3772', numero, new Date(now), { urlAudio: 'g.wav' }));
    expect((await rows('3772')).map((r) => [r.status, r.url_audio, r.duracao_segundos])).toEqual([['finalizada', 'g.wav', 30]]);
    for (const ramal of ['3771', '3773']) {
      const [leg, ...more] = await rows(ramal);
      expect(more).toEqual([]);
      expect(leg).toMatchObject({ status: 'outro ramal atendeu', evento_fim_id: null, duracao_segundos: ramal === '3771' ? 1 : 0 });
      expect(await activePops(redis, prefix, empresaId, ramal)).toEqual([]);
    }
    expect((await rows('3774')).map((r) => r.status)).toEqual(['tocando']);
    expect((await rows('3776')).map((r) => r.status)).toEqual(['transferida']);
    const alheia = await database.db.selectFrom('ligacoes').selectAll().where('empresa_id', '=', outra).execute();
    expect(alheia.map((r) => [r.ramal, r.status])).toEqual([['3772', 'tocando']]);
    expect(callStatusReason('pt-BR', 'outro ramal atendeu')).toMatch(/atendida em outro ramal/);
    expect(callStatusReason('en', 'outro ramal atendeu')).toMatch(/answered on another ramal/);
  });

  it("the end of a click-to-call leaves the number's inbound calls on other ramais ringing; a hand-over takes the same number only (trial CTI 3, finding 1)", async () => {
    const now = Date.now();
    // Missed calls of the customer on two ramais (the PBX sent no end), and a call of another line sharing its key
    // (DDD + last 8 digits: 11 9 3456-7890 beside 11 3456-7890).
    await processCallEvent(deps, event('inicio', '3831', '(11) 3456-7890', new Date(now - 60000)));
    await processCallEvent(deps, event('inicio', '3832', '1134567890', new Date(now - 50000)));
    await processCallEvent(deps, event('inicio', '3833', '+5511934567890', new Date(now - 40000)));
    // The agent on 3830 calls the customer back (a click-to-call row, as click-to-call writes it), and the PBX sends its end.
    const outbound = { empresaId, ramal: '3830', usuarioId: null, telefone: '1134567890', normalizado: '+551134567890' };
    const common = { ...outbound, key: '1134567890', contaId: null, contatoId: null, direcao: 'saida' as const };
    await insertCall(database.db, { ...common, status: 'em andamento', inicio: new Date(now - 30000), eventId: 'c2c-3830' });
    await processCallEvent(deps, event('fim', '3830', '1134567890', new Date(now)));
    expect((await rows('3830')).map((r) => [r.direcao, r.status, r.duracao_segundos])).toEqual([['saida', 'finalizada', 30]]);
    for (const ramal of ['3831', '3832', '3833']) {
      expect((await rows(ramal)).map((r) => r.status)).toEqual(['tocando']);
      expect(await activePops(redis, prefix, empresaId, ramal)).not.toEqual([]);
    }
    // An incoming call of that number answered on 3834 and ended there hands over the same number's calls only.
    await processCallEvent(deps, event('inicio', '3834', '11 3456-7890', new Date(now - 20000)));
    await processCallEvent(deps, event('fim', '3834', '1134567890', new Date(now)));
    expect((await rows('3832')).map((r) => r.status)).toEqual(['transferida']);
    expect((await rows('3833')).map((r) => r.status)).toEqual(['tocando']);
    expect(await activePops(redis, prefix, empresaId, '3833')).not.toEqual([]);
  });

  it('a start repeated past the dedupe window leaves no ghost ringing: the older row is closed and leaves the pop (trial CTI 3, finding 6)', async () => {
    const now = Date.now();
    const outra = await createEmpresa(database.db, 'Outra (repetido)');
    const first = event('inicio', '3841', '2122334455', new Date(now - 10000));
    await processCallEvent(deps, first);
    // Another empresa's same ramal and number, and another number on the same ramal: untouched.
    await processCallEvent(deps, {
      ...event('inicio', '3841', '2122334455', new Date(now - 10000)),
      tenant: { empresaId: outra, filialId: null },
    });
    await processCallEvent(deps, event('inicio', '3841', '2122339999', new Date(now - 10000)));
    const again = event('inicio', '3841', '(21) 2233-4455', new Date(now - 6000));
    await processCallEvent(deps, again);
    const byEvent = async () => new Map((await rows('3841')).map((r) => [r.evento_id, [r.status, r.duracao_segundos]]));
    expect((await byEvent()).get(first.eventId)).toEqual(['início repetido', 4]);
    expect((await byEvent()).get(again.eventId)).toEqual(['tocando', null]);
    const cards = (await activePops(redis, prefix, empresaId, '3841')).map((text) => (JSON.parse(text) as { callId: string }).callId);
    expect(cards).not.toContain(first.eventId);
    expect(cards).toContain(again.eventId);
    // One end closes the live call; nothing of that number rings on 3841 afterwards.
    await processCallEvent(deps, event('fim', '3841', '2122334455', new Date(now)));
    expect((await rows('3841')).filter((r) => r.status === 'tocando').map((r) => r.telefone)).toEqual(['2122339999']);
    const alheia = await database.db.selectFrom('ligacoes').select('status').where('empresa_id', '=', outra).execute();
    expect(alheia.map((r) => r.status)).toEqual(['tocando']);
    expect(callStatusReason('pt-BR', 'início repetido')).toMatch(/novo início do mesmo número/);
  });

  it('a repeated start closes only a start within a ring before it, never a live answered call of a shared trunk number (rev9b L1)', async () => {
    // WConnect sends no answer event: call A, answered 20 min ago, is still "tocando" when the switchboard's second
    // call B waits on the same ramal; B's start and its end leave A alone.
    const longDeps = { ...deps, callTimeoutMs: 4 * 3600_000 };
    const now = Date.now();
    const a = event('inicio', '3851', '4733221100', new Date(now - 20 * 60_000));
    const b = event('inicio', '3851', '4733221100', new Date(now - 60_000));
    await processCallEvent(longDeps, a);
    await processCallEvent(longDeps, b);
    await processCallEvent(longDeps, event('fim', '3851', '4733221100', new Date(now)));
    const byEvent = new Map((await rows('3851')).map((r) => [r.evento_id, [r.status, r.duracao_segundos]]));
    expect(byEvent.get(a.eventId)).toEqual(['tocando', null]);
    expect(byEvent.get(b.eventId)).toEqual(['finalizada', 60]);
    // With CTI_RING_TIMEOUT_MS shorter than the window, a start past the ring timeout is left to it too.
    const ringDeps = { ...longDeps, ringTimeoutMs: 30_000 };
    const c = event('inicio', '3852', '4733221100', new Date(now - 45_000));
    await processCallEvent(ringDeps, c);
    await processCallEvent(ringDeps, event('inicio', '3852', '4733221100', new Date(now - 5_000)));
    expect((await rows('3852')).find((r) => r.evento_id === c.eventId)?.status).toBe('tocando');
    // Left open on purpose: taken away so the timeout tests below count only their own rows.
    await database.db.deleteFrom('ligacoes').where('empresa_id', '=', empresaId).where('ramal', 'in', ['3851', '3852']).execute();
  });

  it('withheld callers are not one number: a second private call on the ramal closes nothing, and an end takes the oldest private call (review: fixcti 3)', async () => {
    const now = Date.now();
    const a = event('inicio', '3861', 'anonymous', new Date(now - 60_000));
    const b = event('inicio', '3861', 'anonymous', new Date(now - 30_000));
    await processCallEvent(deps, a);
    await processCallEvent(deps, b);
    const byEvent = async () => new Map((await rows('3861')).map((r) => [r.evento_id, [r.status, r.duracao_segundos]]));
    // B is another caller, not A's start repeated: A (live, maybe answered) stays on the log and on the screen pop.
    expect(await byEvent()).toEqual(
      new Map([
        [a.eventId, ['tocando', null]],
        [b.eventId, ['tocando', null]],
      ]),
    );
    const cards = async () =>
      (await activePops(redis, prefix, empresaId, '3861')).map((text) => (JSON.parse(text) as { callId: string }).callId);
    expect((await cards()).sort()).toEqual([a.eventId, b.eventId].sort());
    // A's end ends A (the first to ring, the first to end); B stays open and on the pop.
    await processCallEvent(deps, event('fim', '3861', 'anonymous', new Date(now)));
    expect(await byEvent()).toEqual(
      new Map([
        [a.eventId, ['finalizada', 60]],
        [b.eventId, ['tocando', null]],
      ]),
    );
    expect(await cards()).toEqual([b.eventId]);
    // Every PBX word for it is the one withheld key: B's end, sent as "Privado", ends B; nothing is logged apart.
    await processCallEvent(deps, event('fim', '3861', 'Privado', new Date(now + 5_000)));
    expect(await byEvent()).toEqual(
      new Map([
        [a.eventId, ['finalizada', 60]],
        [b.eventId, ['finalizada', 35]],
      ]),
    );
    expect((await rows('3861')).map((r) => [r.chave_telefone, r.sem_inicio])).toEqual([
      ['anonymous', 0],
      ['anonymous', 0],
    ]);
  });

  it('a PBX that sends an end for every leg of a ring group: each leg is closed by its own end, none logged apart', async () => {
    const now = Date.now();
    const numero = '4733228800';
    const rang = new Date(now - 60000);
    for (const ramal of ['3781', '3782', '3783']) await processCallEvent(deps, event('inicio', ramal, numero, rang));
    // 3782 answers 10 s in: the PBX ends the other legs then (their ends come first), and 3782's after the talk.
    await processCallEvent(deps, event('fim', '3781', numero, new Date(rang.getTime() + 10000)));
    await processCallEvent(deps, event('fim', '3783', numero, new Date(rang.getTime() + 10000)));
    await processCallEvent(deps, event('fim', '3782', numero, new Date(now), { urlAudio: 'b.wav' }));
    const all = await Promise.all(['3781', '3782', '3783'].map(rows));
    expect(all.map((legs) => legs.map((r) => [r.ramal, r.status, r.sem_inicio, r.duracao_segundos]))).toEqual([
      [['3781', 'finalizada', 0, 10]],
      [['3782', 'finalizada', 0, 60]],
      [['3783', 'finalizada', 0, 10]],
    ]);
  });

  it('with CTI_RING_TIMEOUT_MS a ring-group leg takes its own end within the ring timeout only, never a later call’s', async () => {
    const ringDeps = { ...deps, ringTimeoutMs: 60000, callTimeoutMs: 4 * 3600000 };
    const numero = '4733229900';
    const first = new Date(Date.now() - 2_500_000);
    // Call 1 rings 3811 and 3812; 3812 answers and its end is the only one sent: 3811's leg is "outro ramal atendeu".
    await processCallEvent(ringDeps, event('inicio', '3811', numero, first));
    await processCallEvent(ringDeps, event('inicio', '3812', numero, first));
    await processCallEvent(ringDeps, event('fim', '3812', numero, new Date(first.getTime() + 30000)));
    expect((await rows('3811')).map((r) => r.status)).toEqual(['outro ramal atendeu']);
    // Call 2 of that number rings 3811 40 min later; its jobs run end first. Its end is not call 1's leg's.
    const second = new Date(first.getTime() + 2_400_000);
    await processCallEvent(ringDeps, event('fim', '3811', numero, new Date(second.getTime() + 5000)));
    await processCallEvent(ringDeps, event('inicio', '3811', numero, second));
    const calls = (await rows('3811')).sort((a, b) => a.id - b.id);
    expect(calls.map((r) => [r.status, r.sem_inicio, r.duracao_segundos])).toEqual([
      ['outro ramal atendeu', 0, 0],
      ['finalizada', 0, 5],
    ]);
    // Within the ring timeout a leg still takes its own end: a PBX that ends every leg when one answers.
    const third = new Date(Date.now() - 60000);
    await processCallEvent(ringDeps, event('inicio', '3813', numero, third));
    await processCallEvent(ringDeps, event('inicio', '3814', numero, third));
    await processCallEvent(ringDeps, event('fim', '3814', numero, new Date(third.getTime() + 10000)));
    await processCallEvent(ringDeps, event('fim', '3813', numero, new Date(third.getTime() + 40000)));
    expect((await rows('3813')).map((r) => [r.status, r.sem_inicio, r.duracao_segundos])).toEqual([['finalizada', 0, 40]]);
  });

  it('a shared trunk number: two people’s calls to two ramais within 2 s look like ring-group legs (documented)', async () => {
    // One company's trunk shows one number for all its people (WConnect sends no call id): the call on 3816 ending
    // closes the live call on 3817, begun 1 s later, as "outro ramal atendeu"; that call still takes its own end.
    const trunkDeps = { ...deps, callTimeoutMs: 3600000 };
    const numero = '4733221200';
    const rang = new Date(Date.now() - 300000);
    await processCallEvent(trunkDeps, event('inicio', '3816', numero, rang));
    await processCallEvent(trunkDeps, event('inicio', '3817', numero, new Date(rang.getTime() + 1000)));
    await processCallEvent(trunkDeps, event('fim', '3816', numero, new Date(rang.getTime() + 20000)));
    expect((await rows('3817')).map((r) => r.status)).toEqual(['outro ramal atendeu']);
    expect(await activePops(redis, prefix, empresaId, '3817')).toEqual([]);
    await processCallEvent(trunkDeps, event('fim', '3817', numero, new Date(rang.getTime() + 241000)));
    const logged = await Promise.all(['3816', '3817'].map(rows));
    expect(logged.map((calls) => calls.map((r) => [r.status, r.sem_inicio, r.duracao_segundos]))).toEqual([
      [['finalizada', 0, 20]],
      [['finalizada', 0, 240]],
    ]);
  });

  it('the hand-over runs when the end job runs again after closing its call, and when the start pairs an end that came first', async () => {
    const now = Date.now();
    const numero = '4733226600';
    const start = event('inicio', '3762', numero, new Date(now - 10000));
    const end = event('fim', '3762', numero, new Date(now));
    await processCallEvent(deps, start);
    await processCallEvent(deps, end);
    // The first ramal's start logged after that end (its job late): the end's job, run again, hands it over.
    await processCallEvent(deps, event('inicio', '3761', numero, new Date(now - 30000)));
    expect(await processCallEvent(deps, end)).toMatchObject({ duplicate: true });
    expect((await rows('3761')).map((r) => r.status)).toEqual(['transferida']);
    expect(await activePops(redis, prefix, empresaId, '3761')).toEqual([]);
    // The end's job first (an end-only row), then its start pairs with it: that start hands the first ramal's call over.
    const other = '4733226611';
    await processCallEvent(deps, event('inicio', '3763', other, new Date(now - 30000)));
    await processCallEvent(deps, event('fim', '3764', other, new Date(now)));
    expect((await rows('3763')).map((r) => r.status)).toEqual(['tocando']);
    expect(await processCallEvent(deps, event('inicio', '3764', other, new Date(now - 10000)))).toMatchObject({ paired: true });
    expect((await rows('3763')).map((r) => r.status)).toEqual(['transferida']);
  });

  it('a call from another ramal is internal: logged as interna and popped as an internal call, not an unknown caller (trial F8)', async () => {
    await processCallEvent(deps, event('inicio', '3741', '3502', new Date()));
    expect((await rows('3741')).map((r) => [r.direcao, r.status, r.conta_id])).toEqual([['interna', 'tocando', null]]);
    const active = (await activePops(redis, prefix, empresaId, '3741')).map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(active).toEqual([expect.objectContaining({ type: 'caller', numero: '3502', interno: true, matches: [] })]);
    await processCallEvent(deps, event('fim', '3742', '3502', new Date()));
    expect((await rows('3742')).map((r) => [r.direcao, r.sem_inicio])).toEqual([['interna', 1]]);
  });

  it('an end stamped before its start makes one row that never ends before it begins (trial F7)', async () => {
    const endedAt = new Date(Date.now() - 5000);
    await processCallEvent(deps, event('fim', '3731', '4733221199', endedAt));
    await processCallEvent(deps, event('inicio', '3731', '4733221199', new Date(endedAt.getTime() + 600)));
    const [row, ...more] = await rows('3731');
    expect(more).toEqual([]);
    expect(row).toMatchObject({ status: 'finalizada', sem_inicio: 0, duracao_segundos: 0 });
    expect(new Date(row?.fim as Date | string).getTime()).toBe(new Date(row?.inicio as Date | string).getTime());
  });

  it('a start with an invalid 40-digit number is logged, its normalised number capped at the column (varchar 30)', async () => {
    const telefone = '1234567890'.repeat(4);
    await processCallEvent(deps, event('inicio', '3511', telefone, new Date(Date.now() - 5000)));
    await processCallEvent(deps, event('fim', '3511', telefone, new Date()));
    const [row, ...more] = await rows('3511');
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      status: 'finalizada',
      sem_inicio: 0,
      telefone: telefone.slice(0, 30),
      telefone_normalizado: telefone.slice(0, 30),
    });
  });

  it('a start and its end taken at the same instant (two workers) still make one closed row', async () => {
    const ramais = Array.from({ length: 20 }, (_, i) => String(3600 + i));
    await Promise.all(
      ramais.map((ramal) => {
        const startedAt = new Date(Date.now() - 5000);
        return Promise.all([
          processCallEvent(deps, event('inicio', ramal, '1133334444', startedAt)),
          processCallEvent(deps, event('fim', ramal, '1133334444', new Date())),
        ]);
      }),
    );
    for (const ramal of ramais) {
      const found = await rows(ramal);
      expect(found.map((r) => [ramal, r.status, r.sem_inicio, r.evento_id !== null, r.evento_fim_id !== null])).toEqual([
        [ramal, 'finalizada', 0, true, true],
      ]);
    }
  });

  it("starts of two empresas taken at once each log their own empresa's row; one whose row fails fails alone", async () => {
    const outra = await createEmpresa(database.db, 'Outra');
    const of = (empresaId: number, e: ReturnType<typeof event>) => ({ ...e, tenant: { empresaId, filialId: null } });
    // A row the database refuses (a constraint of this test): its job fails, the others of its group do not.
    const refuse =
      dialect === 'sqlite'
        ? sql`CREATE TRIGGER teste_ramal_recusado BEFORE INSERT ON ligacoes WHEN NEW.ramal = '3799' BEGIN SELECT RAISE(ABORT, 'teste_ramal_recusado'); END`
        : sql`ALTER TABLE ligacoes ADD CONSTRAINT teste_ramal_recusado CHECK (ramal <> '3799')`;
    await refuse.execute(database.db);
    try {
      const startedAt = new Date(Date.now() - 5000);
      // Outra's end of its call on 3790 came first; Acme has a call on the same ramal and number.
      await processCallEvent(deps, of(outra, event('fim', '3790', '1133334444', new Date())));
      // A conta of each empresa written just before the calls: noted, not yet indexed, so every start catches the
      // phone index up at once (on MariaDB they deadlocked on each other's gap locks on cti_telefones: see reindexRecords).
      const novas = new Map<number, number>();
      for (const empresa of [empresaId, outra]) {
        novas.set(empresa, await insertConta(database.db, empresa, 'Conta Nova', { telefone: '(11) 5555-6666' }));
      }
      const acme3791 = event('inicio', '3791', '1133334444', startedAt);
      const starts = [
        event('inicio', '3790', '1133334444', startedAt),
        of(outra, event('inicio', '3790', '1133334444', startedAt)),
        acme3791,
        // Outra's start with the same event id as Acme's (another number: not a leg of Outra's call on 3790, which
        // its pairing would close as "outro ramal atendeu").
        of(outra, { ...event('inicio', '3792', '1133334455', startedAt), eventId: acme3791.eventId }),
        event('inicio', '3799', '1133334444', startedAt),
        ...['3793', '3794', '3795'].map((ramal, i) =>
          i % 2 ? of(outra, event('inicio', ramal, '1155556666', startedAt)) : event('inicio', ramal, '1155556666', startedAt),
        ),
      ];
      const outcomes = await Promise.allSettled(starts.map((start) => processCallEvent(deps, start)));

      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      expect(outcomes[4]?.status === 'rejected' && String(outcomes[4].reason)).toMatch(/teste_ramal_recusado/);
      const logged = await database.db
        .selectFrom('ligacoes')
        .selectAll()
        .where('ramal', 'in', ['3790', '3791', '3792', '3793', '3794', '3795', '3799'])
        .orderBy('ramal')
        .orderBy('empresa_id')
        .execute();
      expect(logged.map((r) => [r.ramal, r.empresa_id, r.evento_id, r.status, r.sem_inicio])).toEqual([
        // Only Outra's start took Outra's end: Acme's call on the same ramal and number stays open.
        ['3790', empresaId, starts[0]?.eventId, 'tocando', 0],
        ['3790', outra, starts[1]?.eventId, 'finalizada', 0],
        ['3791', empresaId, acme3791.eventId, 'tocando', 0],
        ['3792', outra, acme3791.eventId, 'tocando', 0],
        ['3793', empresaId, starts[5]?.eventId, 'tocando', 0],
        ['3794', outra, starts[6]?.eventId, 'tocando', 0],
        ['3795', empresaId, starts[7]?.eventId, 'tocando', 0],
      ]);
      // The calls on the new number name the conta their own empresa wrote just before.
      expect(logged.filter((r) => r.telefone_normalizado === '+551155556666').map((r) => [r.ramal, r.conta_id])).toEqual([
        ['3793', novas.get(empresaId)],
        ['3794', novas.get(outra)],
        ['3795', novas.get(empresaId)],
      ]);
      expect(outcomes[1]).toMatchObject({ value: { paired: true } });
      expect(outcomes[0]).toMatchObject({ value: { paired: false } });
    } finally {
      const allow =
        dialect === 'sqlite' ? sql`DROP TRIGGER teste_ramal_recusado` : sql`ALTER TABLE ligacoes DROP CONSTRAINT teste_ramal_recusado`;
      await allow.execute(database.db);
    }
  });

  it('a start without an end becomes "sem fim recebido" after the timeout, and the list pages', async () => {
    await processCallEvent(deps, event('inicio', '3503', '1133334444', new Date(Date.now() - 120000)));
    await processCallEvent(deps, event('inicio', '3503', '1155556666', new Date()));
    expect(await expireOpenCalls(deps)).toBe(1);
    expect((await rows('3503')).map((r) => r.status).sort()).toEqual(['sem fim recebido', 'tocando']);
    const page = await listCalls(database.db, empresaId, { ramal: '3503', limit: 1 });
    expect(page.calls).toHaveLength(1);
    const next = await listCalls(database.db, empresaId, { ramal: '3503', limit: 1, before: page.nextCursor ?? 0 });
    expect(next).toMatchObject({ nextCursor: null });
    expect(next.calls[0]?.id).not.toBe(page.calls[0]?.id);
    expect((await listCalls(database.db, empresaId + 1000, { limit: 50 })).calls).toEqual([]);
  });
  it('a click-to-call to an extension still "em andamento" past CTI_EXTENSION_CALL_TIMEOUT_MS becomes "ramal sem fim"; external ones wait', async () => {
    const extDeps = { ...deps, extensionCallTimeoutMs: 60000, callTimeoutMs: 3600000 };
    const old = new Date(Date.now() - 120000);
    const outbound = (eventId: string, telefone: string, key: string, inicio: Date) =>
      insertCall(database.db, {
        empresaId,
        ramal: '3521',
        usuarioId: null,
        telefone,
        normalizado: telefone,
        key,
        contaId: null,
        contatoId: null,
        direcao: 'saida',
        status: 'em andamento',
        inicio,
        eventId,
      });
    // As click-to-call writes them: an extension's number key is `r<digits>` (normalizePhone's ramal kind).
    await outbound('c2c-ramal-velho', '202', 'r202', old);
    await outbound('c2c-ramal-recente', '203', 'r203', new Date(Date.now() - 10000));
    await outbound('c2c-externo-velho', '1177778888', '1177778888', old);
    expect(await expireOpenCalls(extDeps)).toBe(1);
    const byEvent = new Map((await rows('3521')).map((r) => [r.evento_id, r.status]));
    expect(Object.fromEntries(byEvent)).toEqual({
      'c2c-ramal-velho': 'ramal sem fim',
      'c2c-ramal-recente': 'em andamento',
      'c2c-externo-velho': 'em andamento',
    });
    expect(callStatusReason('pt-BR', 'ramal sem fim')).toMatch(/^encerrada pelo hub: ligação para um ramal interno/);
    expect(callStatusReason('en', 'ramal sem fim')).toMatch(/^ended by the hub: a call to an internal extension/);
    // Not shorter than the call timeout: off (the call timeout alone applies, as before).
    await outbound('c2c-ramal-2', '204', 'r204', old);
    expect(await expireOpenCalls({ ...extDeps, extensionCallTimeoutMs: 3600000 })).toBe(0);
  });

  it('a call still ringing past the ring timeout becomes "não atendida" and leaves the pop; an end after that is a call of its own', async () => {
    const outra = await createEmpresa(database.db, 'Outra (toque)');
    // Set by config (CTI_RING_TIMEOUT_MS / CTI_CALL_TIMEOUT_MS): the ring timeout closes any call still `tocando` after a
    // minute, answered or not (WConnect sends no answer event); the call timeout catches what nothing else closed.
    const ringDeps = { ...deps, ringTimeoutMs: 60000, callTimeoutMs: 3600000 };
    const startedAt = new Date(Date.now() - 120000);
    const ringing = event('inicio', '3509', '1133334444', startedAt);
    await processCallEvent(ringDeps, ringing);
    const shown = { ramal: '3509', numero: ringing.telefone, normalizado: '+551133334444', recebidoEm: ringing.receivedAt };
    await publishPop(redis, prefix, empresaId, { type: 'ringing', callId: ringing.eventId, ...shown }, 3600000);
    // Not past the ring timeout, and a call known to be answered (click-to-call placed): both stay.
    const recent = event('inicio', '3509', '1155556666', new Date(Date.now() - 10000));
    await processCallEvent(ringDeps, recent);
    const common = { empresaId, ramal: '3509', usuarioId: null, telefone: '1177778888', normalizado: '+551177778888', key: '1177778888' };
    await insertCall(database.db, {
      ...common,
      contaId: null,
      contatoId: null,
      direcao: 'saida',
      status: 'em andamento',
      inicio: startedAt,
      eventId: 'c2c-3509',
    });
    // Another empresa's call on the same ramal and number, as old: the sweep closes it too, but under its own empresa.
    const foreign = { ...ringing, tenant: { empresaId: outra, filialId: null }, eventId: randomBytes(9).toString('base64url') };
    await processCallEvent(ringDeps, foreign);

    const channel = popKeys(prefix).channel(empresaId, '3509');
    const seen: { type: string; callId: string }[] = [];
    const subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    try {
      subscriber.on('message', (from: string, text: string) => {
        if (from === channel) seen.push(JSON.parse(text) as { type: string; callId: string });
      });
      await subscriber.subscribe(channel);
      await expireOpenCalls(ringDeps);
      const byEvent = new Map((await rows('3509')).map((r) => [r.evento_id, r]));
      expect(byEvent.get(ringing.eventId)).toMatchObject({ status: 'não atendida', fim: null, duracao_segundos: null });
      expect(byEvent.get(recent.eventId)).toMatchObject({ status: 'tocando' });
      expect(byEvent.get('c2c-3509')).toMatchObject({ status: 'em andamento' });
      expect(callStatusReason('pt-BR', 'não atendida')).toMatch(/^encerrada pelo hub: tocou além de CTI_RING_TIMEOUT_MS/);
      expect(callStatusReason('en', 'não atendida')).toMatch(/^ended by the hub: it rang past CTI_RING_TIMEOUT_MS/);
      expect(callStatusReason('en', 'finalizada')).toBeNull();
      // The operator page drops it: "ended" to the live pages, nothing left to replay.
      const active = (await activePops(redis, prefix, empresaId, '3509')).map((text) => JSON.parse(text) as { callId: string });
      expect(active.map((c) => c.callId)).not.toContain(ringing.eventId);

      // An end now names no call (WConnect sends no id): it may be this call's, late, or a later call's of the same
      // number whose start was lost. It never reopens a call the hub closed: it is logged as a call of its own.
      const end = event('fim', '3509', '(11) 3333-4444', new Date(startedAt.getTime() + 120_000), { urlAudio: 'tarde.wav' });
      const logged = await processCallEvent(ringDeps, end);
      expect(await processCallEvent(ringDeps, end)).toMatchObject({ duplicate: true, ligacaoId: logged.ligacaoId });
      expect(logged).toMatchObject({ kind: 'fim', semInicio: true });
      expect(logged.ligacaoId).not.toBe(byEvent.get(ringing.eventId)?.id);
      const after = new Map((await rows('3509')).map((r) => [r.id, r]));
      expect(after.get(byEvent.get(ringing.eventId)?.id ?? 0)).toMatchObject({ status: 'não atendida', fim: null, url_audio: null });
      expect(after.get(logged.ligacaoId)).toMatchObject({
        status: 'finalizada',
        url_audio: 'tarde.wav',
        sem_inicio: 1,
        duracao_segundos: null,
      });
      await subscriber.ping();
      // One "ended" for the expired call (the end-only row takes nothing off the page).
      expect(seen.filter((e) => e.type === 'ended' && e.callId === ringing.eventId)).toHaveLength(1);
    } finally {
      subscriber.disconnect();
    }
    // The other empresa's call was closed under its own empresa and this end did not touch it.
    const foreignRow = await database.db
      .selectFrom('ligacoes')
      .selectAll()
      .where('evento_id', '=', foreign.eventId)
      .executeTakeFirstOrThrow();
    expect(foreignRow).toMatchObject({ empresa_id: outra, status: 'não atendida', url_audio: null });
  });

  it.each([
    ['closeStaleCalls', closeStaleCalls, 'sem fim recebido'],
    ['closeUnansweredCalls', closeUnansweredCalls, 'não atendida'],
  ] as const)(
    '%s returns only the rows it closed, not one whose end arrived between its pick and its write',
    async (_, sweep, closedAs) => {
      const ramal = closedAs === 'não atendida' ? '3601' : '3602';
      const old = new Date(Date.now() - 7200000);
      await processCallEvent(deps, event('inicio', ramal, '1133334444', old));
      await processCallEvent(deps, event('inicio', ramal, '1155556666', old));
      const [raced, swept] = (await rows(ramal)).sort((a, b) => a.id - b.id) as [CallRowOf, CallRowOf];
      // The call's end, written by another connection right after the sweep's SELECT answered (the old sweep selected,
      // then updated): on PostgreSQL and SQLite the sweep is one UPDATE … RETURNING and has no SELECT to race.
      const endElsewhere = async () => {
        if (dialect !== 'sqlite') {
          await sql`UPDATE ligacoes SET status = 'finalizada' WHERE id = ${raced.id}`.execute(database.db);
          return;
        }
        const SQLite = require('better-sqlite3') as typeof import('better-sqlite3');
        const other = new SQLite(sqlitePath(database.url));
        try {
          other.prepare("UPDATE ligacoes SET status = 'finalizada' WHERE id = ?").run(raced.id);
        } finally {
          other.close();
        }
      };
      const selects = new Set<string>();
      let ended = false;
      const racing: KyselyPlugin = {
        transformQuery: (args) => {
          if (args.node.kind === 'SelectQueryNode') selects.add(args.queryId.queryId);
          return args.node;
        },
        transformResult: async (args) => {
          const rowsSeen = args.result.rows as { id?: unknown }[];
          if (!ended && selects.has(args.queryId.queryId) && rowsSeen.some((r) => Number(r.id) === raced.id)) {
            ended = true;
            await endElsewhere();
          }
          return args.result;
        },
      };
      const closed = (await sweep(database.db.withPlugin(racing), new Date(Date.now() - 3600000)))
        .filter((r) => r.id === raced.id || r.id === swept.id)
        .map((r) => ({ id: r.id, status: r.status }));
      const after = new Map((await rows(ramal)).map((r) => [r.id, r.status]));
      // Exactly the rows this sweep changed, each as it left it.
      expect(closed.sort((a, b) => a.id - b.id)).toEqual(
        [raced, swept].filter((r) => after.get(r.id) === closedAs).map((r) => ({ id: r.id, status: closedAs })),
      );
      expect(after.get(swept.id)).toBe(closedAs);
      if (dialect === 'mysql' || ended) expect(after.get(raced.id)).toBe('finalizada');
    },
  );
});
