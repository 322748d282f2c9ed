import { parseAddressAllowlist } from '@integrador/connections';
import { validateRecords, writeContatos } from '@integrador/integrador';
import { createEmpresa, issueApiKey, setPermitirRedePrivada } from '@integrador/store';
import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { type JsonEndpointServer, startJsonEndpoint } from '@integrador/test-support/json-endpoint';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { CONTATO_EXEMPLO, EVENTO_EXEMPLO } from '@integrador/test-support/seed-003';
import { ATIVIDADE_108, CONTATO_341, EVENTO_934, OPORTUNIDADE_150 } from '@integrador/test-support/seed-004';
import { typeDrift } from '@integrador/test-support/seed-004-types';
import { type Receiver, spawnReceiver } from '@integrador/test-support/webhook-receiver';
import { buildPayload, createWebhookHttpClient, DEFAULT_WEBHOOK_SETTINGS, type WebhookHttpClient } from '@integrador/webhooks';
import type { FastifyInstance } from 'fastify';
import { startTestIngress, type TestIngress } from './support/test-ingress';

const TOKEN = 'tok-contrato-5b1c';

/**
 * The contract between seed 003 and seed 004: the seed's own example contato and evento, pulled from a JSON endpoint by
 * the endpoint service (worker-get), stored in the CRM, then reported through POST /v1/events/crm-change and delivered
 * by worker-webhook, arrive at the receiver with seed 004's types in every field (texts where the seed has texts,
 * `{id, nome}` where it has objects) and with nothing that was stored lost (curso, origens, basesLegais).
 */
describe.each(ALL_DIALECTS)('seed 003 → seed 004 payload contract on %s', (dialect) => {
  let database: TestDatabase;
  let endpoint: JsonEndpointServer;
  let receiver: Receiver;
  let ingress: TestIngress;
  let app: FastifyInstance;
  let http: WebhookHttpClient;
  let workers: AppProcess[] = [];
  let empresaId: number;
  let key: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    endpoint = await startJsonEndpoint();
    receiver = await spawnReceiver();
    empresaId = await createEmpresa(database.db, 'Faculdade Contrato');
    key = await issueApiKey(database.db, empresaId, null, 'test');
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowlist: parseAddressAllowlist(['127.0.0.1/32']) };
    http = createWebhookHttpClient(settings);
    ingress = await startTestIngress(database, { deps: { webhooks: { settings, http } } });
    app = ingress.app;
    const env = { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: ingress.prefix, CRM_DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    workers = [
      spawnApp('apps/worker-get/src/main.ts', { ...env, [`ENDPOINT_SECRET_${empresaId}_TOKEN`]: TOKEN }),
      spawnApp('apps/worker-webhook/src/main.ts', { ...env, WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32' }),
    ];
    await Promise.all(workers.map((w) => w.waitForLog('worker started')));
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await ingress?.close();
    await http?.close();
    await receiver?.close();
    await endpoint?.close();
    await database?.drop();
  });

  const headers = () => ({ authorization: `Bearer ${key}` });

  async function syncSeedExamples() {
    endpoint.routes.set('/contatos', { body: [CONTATO_EXEMPLO], authorization: `Bearer ${TOKEN}` });
    // The seed's example leaves its dates empty: here the evento has its own date (a prova) and a vencimento for the
    // atividade it may generate; dataAgendamento is the evento's date.
    const evento = { ...EVENTO_EXEMPLO, data: '2024-03-10 14:30:00', dataVencimento: '2024-03-20 18:00:00' };
    endpoint.routes.set('/eventos', { body: [evento], authorization: `Bearer ${TOKEN}` });
    const created = await app.inject({
      method: 'POST',
      url: '/v1/endpoints',
      headers: headers(),
      payload: {
        nome: 'Envio dos egressos',
        urlBase: endpoint.url,
        autenticacao: 'bearer',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${NOME} secret reference, as a tenant writes it
        segredo: '${TOKEN}',
        eventos: [
          { tipo: 'contato', url: `${endpoint.url}/contatos` },
          { tipo: 'evento', url: `${endpoint.url}/eventos` },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    const servicoId = created.json().id as number;
    await setPermitirRedePrivada(database.db, empresaId, servicoId, true);
    const accepted = await app.inject({ method: 'POST', url: `/v1/endpoints/${servicoId}/sync`, headers: headers() });
    expect(accepted.statusCode).toBe(202);
    const jobId = accepted.json().jobId as string;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = (await app.inject({ url: `/v1/jobs/get/${jobId}`, headers: headers() })).json();
      if (job.state === 'completed' || job.state === 'failed') {
        expect([job.state, job.returnvalue?.status]).toEqual(['completed', 'ok']);
        return;
      }
      if (Date.now() > deadline) throw new Error(`sync job still ${job.state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function change(tabela: string, id: number) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events/crm-change',
      headers: headers(),
      payload: { tabela, id: String(id), operacao: 'criado' },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json().webhooks.entregas).toHaveLength(1);
  }

  it("delivers the seed's example contato and evento with seed 004's types in every field, nothing stored lost", async () => {
    await syncSeedExamples();
    const hook = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: headers(),
      payload: { nome: 'contrato', url: `${receiver.url}/ok/contract-${dialect}`, gatilhos: ['contato.criado', 'evento.criado'] },
    });
    expect(hook.statusCode).toBe(201);
    const contato = await database.db
      .selectFrom('contatos')
      .select('id')
      .where('empresa_id', '=', empresaId)
      .where('codigo', '=', CONTATO_EXEMPLO.codigo)
      .executeTakeFirstOrThrow();
    const evento = await database.db.selectFrom('eventos').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow();
    await change('contatos', Number(contato.id));
    await change('eventos', Number(evento.id));

    const received = await receiver.waitFor(`/ok/contract-${dialect}`, 2);
    const bodies = received.map((r) => JSON.parse(r.body) as Record<string, unknown>[]);
    expect(bodies.map((b) => b.length)).toEqual([1, 1]);
    // The two deliveries may arrive in either order: the contato is the one with a codigo of its own.
    const contatoBody = bodies.map((b) => b[0]).find((b) => b && 'codigo' in b);
    const eventoBody = bodies.map((b) => b[0]).find((b) => b && !('codigo' in b));
    expect(typeDrift(CONTATO_341, contatoBody)).toEqual([]);
    expect(typeDrift(EVENTO_934, eventoBody)).toEqual([]);
    const contatoId = String(contato.id);
    expect(contatoBody).toEqual({
      id: contatoId,
      codigo: '34985761',
      nome: 'Luís Arthur Roberto Souza',
      nomeSocial: null,
      imagem: null,
      cpf: '95839575690',
      dataNascimento: '1998-05-19',
      endereco: 'Rua Carbonita',
      numero: '342',
      bairro: 'Sevilha (2ª Seção)',
      cidade: 'Ribeirão das Neves',
      uf: 'MG',
      genero: 'M',
      canhoto: '0',
      profissao: null,
      aluno: '1',
      exaluno: '0',
      anoFormacao: '2022',
      // The CRM has no lookup tables for these: the id as sent, the name unknown (null).
      estadoCivil: { id: '1', nome: null },
      cor: { id: '2', nome: null },
      grauInstrucao: { id: '2', nome: null },
      outrasDeficiencias: null,
      deficiencias: [
        {
          id: '1',
          nome: null,
          tipos: [
            { id: '1', nome: null },
            { id: '3', nome: null },
          ],
        },
      ],
      origens: [{ id: '2', nome: null }],
      emails: { principal: 'luisarthurrobertosouza@evolink.com.br', secundarios: null },
      telefones: { principal: '3126582323', secundarios: null },
      tagsRDStation: null,
      camposPersonalizados: { campanhaOrigem: 'Facebook' },
      assinaturas: null,
      basesLegais: [{ id: 1, nome: null }],
    });
    expect(eventoBody).toEqual({
      id: String(evento.id),
      tipo: { id: null, codigo: null, nome: 'evento' },
      descricao: '<b>Completou a primeira etapa</b>',
      contato: { id: contatoId, codigo: '34985761' },
      contatosSecundarios: null,
      curso: { id: null, codCurso: 'ADM', codOferta: 'ADM_3' },
      dataAgendamento: { data: '2024-03-10 14:30', tipo: null },
    });
  }, 60_000);

  it("types every field of the registro de processo and atividade as seed 004's examples when dados holds numbers, booleans and bare ids", async () => {
    const db = database.db;
    await db.insertInto('usuarios').values({ empresa_id: empresaId, nome: 'Marcos Aurélio', email: 'marcos@exemplo.com.br' }).execute();
    const usuarioId = Number(
      (await db.selectFrom('usuarios').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow()).id,
    );
    const oportunidade = {
      empresa_id: empresaId,
      usuario_id: usuarioId,
      titulo: 'Captação',
      status: 'Perdida',
      dados: JSON.stringify({
        processo: 1,
        contatos: [{ id: 635, codigo: 'COD156', principal: true, tipo: { id: 1, nome: 'Aluno' } }],
        cursos: [{ id: 21, codCurso: 'ADM', codOferta: 'ADM_2', principal: 1 }],
        criacao: '2019-02-06 11:06:00',
        origem: 2,
        modalidade: { id: 1, nome: 'Presencial' },
        dataAtividade: '2019-02-06 23:06',
        compareceuAtividade: false,
        notaEnem: 760,
        formaIngresso: 'Processo seletivo presencial',
        resumoAtual: 1,
        localOferta: '1',
        unidade: { id: 1, nome: 'Unidade 1' },
        ultimaAlteracaoStatus: '2019-02-06 15:06',
        objecao: 1,
        observacaoPerda: '',
        concorrente: { id: 1, nome: 'Uniexemplo' },
      }),
    };
    await db.insertInto('oportunidades').values(oportunidade).execute();
    const opId = Number(
      (await db.selectFrom('oportunidades').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow()).id,
    );
    await db
      .insertInto('atividades')
      .values({
        empresa_id: empresaId,
        usuario_id: usuarioId,
        tipo: 'ligacao',
        descricao: 'Ligação',
        status: 'aberta',
        dados: JSON.stringify({
          duracao: 5,
          registroProcesso: opId,
          curso: { id: 21, codOferta: 'ADM_2', codCurso: 'ADM' },
          resumoAtual: { id: 1, nome: 'Não contactado' },
          formaContato: 'Ativo',
        }),
      })
      .execute();
    const atId = Number((await db.selectFrom('atividades').select('id').where('empresa_id', '=', empresaId).executeTakeFirstOrThrow()).id);

    const [op] = (await buildPayload(db, empresaId, 'oportunidade.criada', opId)) ?? [];
    const [at] = (await buildPayload(db, empresaId, 'atividade.criada', atId)) ?? [];
    expect(typeDrift(OPORTUNIDADE_150, op)).toEqual([]);
    expect(typeDrift(ATIVIDADE_108, at)).toEqual([]);
    expect(op).toMatchObject({
      processo: { id: '1', nome: null },
      contatos: [{ id: '635', codigo: 'COD156', principal: '1', tipo: 'Aluno' }],
      cursos: [{ id: '21', codCurso: 'ADM', codOferta: 'ADM_2', principal: '1' }],
      criacao: '2019-02-06 11:06',
      origem: { id: '2', nome: null },
      compareceuAtividade: '0',
      notaEnem: '760',
      localOferta: { id: '1', nome: null },
      observacaoPerda: null,
    });
    expect(at).toMatchObject({ duracao: '5', registroProcesso: String(opId), curso: { id: '21', codOferta: 'ADM_2', codCurso: 'ADM' } });
  });

  it('a synced contato without origem, with secondary e-mails, phones and assinaturas: origens is the CRM, the lists kept', async () => {
    const { valid, errors } = validateRecords('contato', [
      {
        codigo: 'SEM-ORIGEM',
        nome: 'Contato Sem Origem',
        emailPrincipal: 'a@exemplo.com.br',
        emails: ['b@exemplo.com.br'],
        telefonePrincipal: '55(31)26582323',
        telefones: ['55(31)26582324'],
        baseLegal: '3',
        assinaturas: [{ id: '4' }],
      },
    ]);
    expect(errors).toEqual([]);
    await writeContatos(database, empresaId, valid);
    const row = await database.db
      .selectFrom('contatos')
      .select('id')
      .where('empresa_id', '=', empresaId)
      .where('codigo', '=', 'SEM-ORIGEM')
      .executeTakeFirstOrThrow();
    const [payload] = (await buildPayload(database.db, empresaId, 'contato.criado', Number(row.id))) ?? [];
    expect(typeDrift(CONTATO_341, payload)).toEqual([]);
    expect(payload).toMatchObject({
      origens: [{ id: null, nome: 'CRM' }],
      emails: { principal: 'a@exemplo.com.br', secundarios: ['b@exemplo.com.br'] },
      telefones: { principal: '3126582323', secundarios: ['3126582324'] },
      basesLegais: [{ id: 3, nome: null }],
      assinaturas: [{ id: 4, nome: null, justificativa: null, baseLegal: null }],
    });
  });
});
