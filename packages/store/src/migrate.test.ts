import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { sql } from 'kysely';
import { findIntegracao, listIntegracoes } from './integracao.repository';
import { migrateDownAll, migrateToLatest } from './migrate';
import { createEmpresa, findTenantByApiKey, issueApiKey, parseApiKey, revokeApiKey } from './tenants.repository';

describe.each(ALL_DIALECTS)('store on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('migrates to the latest schema, and again without changes', async () => {
    expect(await migrateToLatest(database)).toEqual([]);
    const tables = (await database.db.introspection.getTables()).map((t) => t.name);
    for (const table of [
      'empresas',
      'api_keys',
      'conexao_integracao',
      'integracao',
      'campos_integracao',
      'dependencias',
      'regras',
      'contas',
      'contatos',
      'oportunidades',
      'atividades',
      'eventos',
      'usuarios',
      'ligacoes',
      'integracao_sincronizacao',
      'integracao_sincronizacao_chaves',
      'integracao_sincronizacao_execucoes',
    ]) {
      expect(tables).toContain(table);
    }
  });

  it('loads seed 001 SET-WS-CONTAS exactly as the seed writes it', async () => {
    const { db } = database;
    await db.insertInto('conexao_integracao').values({ id: 3, tipo_conexao: 'WS', nome_conexao: 'senior_g5' }).execute();
    await sql`INSERT INTO integracao (id, nome, tipo_servico, empresa_id, empresa_filial_id, link, tabela, consulta, conexao_integracao_id, porta_ws, indice_array_retorno, indice_valor_retorno, indice_erro_retorno, sql_consulta, sql_insert, sql_update, dependente, depende_de, parametros_obrigatorios)
      VALUES (19, 'SET-WS-CONTAS', 'SET', 1, 1, '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes?wsdl', 'contas',
      ${'{"consulta":"SELECT c.id_erp, c.fax, c.email_geral, c.email_financeiro, c.cadastro_timestamp, c.cliente_desde, c.status, c.representante_id, c.id, c.tipo_conta, c.tipo_pessoa, c.cidade_id, c.celular, c.telefone, c.telefone2, c.telefone3, c.nome, c.fantasia, c.cnpj, c.cpf, c.ramo_atividade_id, c.inscricao, c.inscricao_municipal, c.endereco, c.complemento, c.numero, c.cep, c.bairro FROM contas AS c WHERE c.id = #contaId#"}'},
      3, 'GravarClientes', 'retornosClientes', 'codCli', 'erro,mensagemErro,erroExecucao', NULL, NULL, 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#', NULL, NULL, NULL)`.execute(
      db,
    );
    const empresa = { empresaId: 1, filialId: null, nome: 'x' };
    const row = await findIntegracao(db, empresa, 19);
    expect(row).toMatchObject({ nome: 'SET-WS-CONTAS', porta_ws: 'GravarClientes', ordem: 0, ativo: 1, indice_valor_retorno: 'codCli' });
    // The seed's consulta runs as written against contas (with the #var# bound).
    const consulta = JSON.parse(row?.consulta as string).consulta.replace('#contaId#', '?');
    const parts = consulta.split('?');
    await db.insertInto('contas').values({ empresa_id: 1, nome: 'ACME Ltda', cnpj: '12345678000199', telefone: '4733334444' }).execute();
    const result = await sql`${sql.raw(parts[0])}${1}`.execute(db);
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({ nome: 'ACME Ltda', cnpj: '12345678000199', id_erp: null });
  });

  it('003-get-sync: GET columns on integracao, and id_erp unique per empresa on contas', async () => {
    const { db } = database;
    await db
      .insertInto('integracao')
      .values({ nome: 'GET-CLIENTES', tipo_servico: 'GET', empresa_id: 1, chave: 'id_erp', campo_cursor: 'DATALT', modo: 'incremental' })
      .execute();
    const row = await db.selectFrom('integracao').selectAll().where('nome', '=', 'GET-CLIENTES').executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      chave: 'id_erp',
      campo_cursor: 'DATALT',
      modo: 'incremental',
      reconciliacao_horas: null,
      tamanho_lote: null,
    });
    await db.insertInto('contas').values({ empresa_id: 7, nome: 'A', id_erp: '501' }).execute();
    await db.insertInto('contas').values({ empresa_id: 8, nome: 'A', id_erp: '501' }).execute();
    // Matched by message: better-sqlite3's error class may come from another test file's module registry (toThrow misses it).
    await expect(db.insertInto('contas').values({ empresa_id: 7, nome: 'B', id_erp: '501' }).execute()).rejects.toMatchObject({
      message: expect.stringMatching(/unique|duplicate/i),
    });
    // Rows without an ERP key (created in the CRM) are not constrained.
    await db
      .insertInto('contas')
      .values([
        { empresa_id: 7, nome: 'C' },
        { empresa_id: 7, nome: 'D' },
      ])
      .execute();
    const conta = await db
      .selectFrom('contas')
      .selectAll()
      .where('id_erp', '=', '501')
      .where('empresa_id', '=', 7)
      .executeTakeFirstOrThrow();
    expect(conta).toMatchObject({ origem_integracao_id: null, origem_geracao: null, removido_origem_em: null });
  });

  it('stores API keys only as hashes and resolves the tenant', async () => {
    const { db } = database;
    const a = await createEmpresa(db, 'Empresa A');
    const b = await createEmpresa(db, 'Empresa B');
    const keyA = await issueApiKey(db, a, null, 'default');
    const keyB = await issueApiKey(db, b, null, 'default');
    const stored = await db.selectFrom('api_keys').selectAll().execute();
    for (const row of stored) {
      expect(keyA).not.toContain(row.key_hash);
      expect(JSON.stringify(row)).not.toContain(parseApiKey(keyA)?.secret);
    }
    expect(await findTenantByApiKey(db, keyA)).toMatchObject({ empresaId: a, nome: 'Empresa A' });
    expect(await findTenantByApiKey(db, keyB)).toMatchObject({ empresaId: b });
    expect(await findTenantByApiKey(db, `${keyA.slice(0, -1)}x`)).toBeNull();
    expect(await findTenantByApiKey(db, 'garbage')).toBeNull();
    expect(await revokeApiKey(db, a, parseApiKey(keyA)?.prefix as string)).toBe(1);
    expect(await findTenantByApiKey(db, keyA)).toBeNull();
  });

  it('scopes integrations to the tenant and filial', async () => {
    const { db } = database;
    await db
      .insertInto('integracao')
      .values([
        { nome: 'A-empresa', tipo_servico: 'SET', empresa_id: 50, empresa_filial_id: null, ordem: 2 },
        { nome: 'A-filial-1', tipo_servico: 'SET', empresa_id: 50, empresa_filial_id: 1, ordem: 1 },
        { nome: 'A-filial-2', tipo_servico: 'SET', empresa_id: 50, empresa_filial_id: 2, ordem: 0 },
        { nome: 'B', tipo_servico: 'SET', empresa_id: 51, empresa_filial_id: null, ordem: 0 },
      ])
      .execute();
    const whole = await listIntegracoes(db, { empresaId: 50, filialId: null, nome: '' });
    expect(whole.map((r) => r.nome)).toEqual(['A-filial-2', 'A-filial-1', 'A-empresa']);
    const filial = await listIntegracoes(db, { empresaId: 50, filialId: 1, nome: '' });
    expect(filial.map((r) => r.nome)).toEqual(['A-filial-1', 'A-empresa']);
    const b = whole.find((r) => r.nome === 'A-empresa');
    expect(await findIntegracao(db, { empresaId: 51, filialId: null, nome: '' }, b?.id as number)).toBeUndefined();
  });

  (dialect === 'postgres' ? it : it.skip)(
    '016-outbox-storage: lz4 envelopes where the server has lz4, room for HOT outbox updates',
    async () => {
      const { db } = database;
      const { rows: version } = await sql<{ num: number }>`SELECT current_setting('server_version_num')::int AS num`.execute(db);
      const { rows: options } = await sql<{ reloptions: string[] | null }>`
      SELECT reloptions FROM pg_class WHERE oid = 'integracao_execucoes'::regclass`.execute(db);
      // 016's 85 (028 widened it to 50 before its release; 029 puts it back).
      expect(options[0]?.reloptions).toEqual(['fillfactor=85']);
      // Column compression (pg_attribute.attcompression, pg_column_compression) exists from PostgreSQL 14: before it
      // the migration leaves the envelopes as they are, and there is nothing more to read.
      if ((version[0]?.num ?? 0) < 140000) return;
      const { rows: lz4 } = await sql<{
        on: boolean;
      }>`SELECT coalesce(bool_or(v = 'lz4'), false) AS on FROM pg_settings, unnest(enumvals) v WHERE name = 'default_toast_compression'`.execute(
        db,
      );
      const { rows: columns } = await sql<{ attname: string; attcompression: string }>`
      SELECT attname, attcompression::text AS attcompression FROM pg_attribute
      WHERE attrelid = 'integracao_tentativas'::regclass AND attname IN ('requisicao', 'resposta', 'erro') ORDER BY attname`.execute(db);
      // 'l' = lz4; '' = the server's default (pglz) where lz4 is missing: the migration skipped it.
      const expected = lz4[0]?.on ? 'l' : '';
      expect(columns).toEqual(['erro', 'requisicao', 'resposta'].map((attname) => ({ attname, attcompression: expected })));
      if (!lz4[0]?.on) return;
      // An envelope past the ~2 KB row threshold is stored compressed with lz4, and reads back whole.
      const envelope = `<soap:Envelope>${Array.from({ length: 200 }, (_, i) => `<campo${i}>valor ${i}</campo${i}>`).join('')}</soap:Envelope>`;
      await sql`INSERT INTO integracao_tentativas (execucao_id, tentativa, requisicao) VALUES (1, 1, ${envelope})`.execute(db);
      const { rows: stored } = await sql<{ method: string | null; requisicao: string }>`
      SELECT pg_column_compression(requisicao) AS method, requisicao FROM integracao_tentativas WHERE execucao_id = 1`.execute(db);
      expect(stored[0]).toEqual({ method: 'lz4', requisicao: envelope });
      await sql`DELETE FROM integracao_tentativas WHERE execucao_id = 1`.execute(db);
    },
  );

  it('rolls every migration back', async () => {
    await migrateDownAll(database);
    const tables = (await database.db.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('integracao');
    expect(tables).not.toContain('integracao_execucoes');
    expect(tables).not.toContain('integracao_sincronizacao');
    expect(tables).not.toContain('servicos_endpoint');
    // Other issues add their own migrations to the list: each of these must be among them, in order.
    const applied = await migrateToLatest(database);
    const known = [
      '001-initial',
      '002-execucoes',
      '003-get-sync',
      '004-servicos-endpoint',
      '006-limites-tenant',
      '007-tenant-guard',
      '008-cti',
      '009-webhooks',
      '010-dashboard',
      '013-lote-set',
    ];
    expect(applied.filter((name) => known.includes(name))).toEqual(known);
    expect(tables).not.toContain('registro_jobs');
  });
});
