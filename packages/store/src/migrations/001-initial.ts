import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../create-database';
import { columnTypes, nowColumn, withId } from './column-types';

/** Tenants, API keys, the Integrador configuration tables (seed 001) and the CRM tables they read and write. */
export function initialMigration(dialect: DialectName): Migration {
  const { timestamp } = columnTypes(dialect);
  const now = nowColumn(dialect);
  // biome-ignore lint/suspicious/noExplicitAny: migrations are written against the database as it was then, not today's types.
  const tenantTable = (db: Kysely<any>, name: string) =>
    withId(db.schema.createTable(name), dialect)
      .addColumn('empresa_id', 'integer', (c) => c.notNull())
      .addColumn('empresa_filial_id', 'integer');

  return {
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async up(db: Kysely<any>) {
      await withId(db.schema.createTable('empresas'), dialect)
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('documento', 'varchar(20)')
        .addColumn('ativo', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('criado_em', timestamp, now)
        .execute();
      await withId(db.schema.createTable('empresa_filiais'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('criado_em', timestamp, now)
        .execute();
      await withId(db.schema.createTable('api_keys'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('empresa_filial_id', 'integer')
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('key_prefix', 'varchar(32)', (c) => c.notNull().unique())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', timestamp, now)
        .addColumn('last_used_at', timestamp)
        .addColumn('revoked_at', timestamp)
        .execute();

      // Seed 001's configuration tables: names and columns as the seed writes them, so existing rows load as they are.
      await withId(db.schema.createTable('conexao_integracao'), dialect)
        .addColumn('tipo_conexao', 'varchar(40)', (c) => c.notNull())
        .addColumn('nome_conexao', 'varchar(100)', (c) => c.notNull())
        .addColumn('empresa_id', 'integer')
        .execute();
      await withId(db.schema.createTable('integracao'), dialect)
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('tipo_servico', 'varchar(10)', (c) => c.notNull())
        .addColumn('empresa_id', 'integer')
        .addColumn('empresa_filial_id', 'integer')
        .addColumn('link', 'varchar(1000)')
        .addColumn('tabela', 'varchar(100)')
        .addColumn('consulta', 'text')
        .addColumn('conexao_integracao_id', 'integer')
        .addColumn('porta_ws', 'varchar(200)')
        .addColumn('indice_array_retorno', 'varchar(200)')
        .addColumn('indice_valor_retorno', 'varchar(500)')
        .addColumn('indice_erro_retorno', 'varchar(500)')
        .addColumn('sql_consulta', 'text')
        .addColumn('sql_insert', 'text')
        .addColumn('sql_update', 'text')
        .addColumn('dependente', 'integer')
        .addColumn('depende_de', 'integer')
        .addColumn('parametros_obrigatorios', 'varchar(500)')
        .addColumn('ordem', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cron', 'varchar(100)')
        .addColumn('ativo', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('timeout_ms', 'integer')
        .addColumn('criado_em', timestamp, now)
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await withId(db.schema.createTable('campos_integracao'), dialect)
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('campo_crm', 'text', (c) => c.notNull())
        .addColumn('ordem', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('descricao', 'varchar(200)')
        .execute();
      await withId(db.schema.createTable('dependencias'), dialect)
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('campos_integracao_id', 'integer')
        .addColumn('variavel', 'varchar(100)', (c) => c.notNull())
        .addColumn('tipo', 'varchar(20)', (c) => c.notNull())
        .addColumn('consulta', 'text')
        .addColumn('integracao_origem_id', 'integer')
        .addColumn('indice_valor', 'varchar(200)')
        .addColumn('obrigatoria', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('descricao', 'varchar(200)')
        .execute();
      await withId(db.schema.createTable('regras'), dialect)
        .addColumn('integracao_id', 'integer', (c) => c.notNull())
        .addColumn('campos_integracao_id', 'integer')
        .addColumn('campo', 'varchar(200)', (c) => c.notNull())
        .addColumn('tipo', 'varchar(30)', (c) => c.notNull())
        .addColumn('parametros', 'text')
        .addColumn('ordem', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('descricao', 'varchar(200)')
        .execute();
      for (const table of ['integracao', 'campos_integracao', 'dependencias', 'regras']) {
        const column = table === 'integracao' ? 'empresa_id' : 'integracao_id';
        await db.schema.createIndex(`${table}_${column}_idx`).on(table).column(column).execute();
      }

      // The CRM tables the integrations read and write; every row belongs to one empresa.
      await withId(db.schema.createTable('cidades'), dialect)
        .addColumn('empresa_id', 'integer', (c) => c.notNull())
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('uf', 'varchar(2)')
        .addColumn('codigo_ibge', 'varchar(7)')
        .addColumn('id_erp', 'varchar(50)')
        .execute();
      await tenantTable(db, 'contas')
        .addColumn('id_erp', 'varchar(50)')
        .addColumn('fax', 'varchar(30)')
        .addColumn('email_geral', 'varchar(200)')
        .addColumn('email_financeiro', 'varchar(200)')
        .addColumn('cadastro_timestamp', timestamp, now)
        .addColumn('cliente_desde', 'date')
        .addColumn('status', 'varchar(20)')
        .addColumn('representante_id', 'integer')
        .addColumn('tipo_conta', 'varchar(20)')
        .addColumn('tipo_pessoa', 'varchar(1)')
        .addColumn('cidade_id', 'integer')
        .addColumn('celular', 'varchar(30)')
        .addColumn('telefone', 'varchar(30)')
        .addColumn('telefone2', 'varchar(30)')
        .addColumn('telefone3', 'varchar(30)')
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('fantasia', 'varchar(200)')
        .addColumn('cnpj', 'varchar(20)')
        .addColumn('cpf', 'varchar(14)')
        .addColumn('ramo_atividade_id', 'integer')
        .addColumn('inscricao', 'varchar(30)')
        .addColumn('inscricao_municipal', 'varchar(30)')
        .addColumn('endereco', 'varchar(200)')
        .addColumn('complemento', 'varchar(100)')
        .addColumn('numero', 'varchar(20)')
        .addColumn('cep', 'varchar(10)')
        .addColumn('bairro', 'varchar(100)')
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await tenantTable(db, 'contatos')
        .addColumn('conta_id', 'integer')
        .addColumn('codigo', 'varchar(50)')
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('cargo', 'varchar(100)')
        .addColumn('email', 'varchar(200)')
        .addColumn('telefone', 'varchar(30)')
        .addColumn('celular', 'varchar(30)')
        .addColumn('data_nascimento', 'date')
        .addColumn('id_erp', 'varchar(50)')
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await tenantTable(db, 'oportunidades')
        .addColumn('conta_id', 'integer')
        .addColumn('usuario_id', 'integer')
        .addColumn('titulo', 'varchar(200)', (c) => c.notNull())
        .addColumn('valor', 'numeric(15, 2)')
        .addColumn('status', 'varchar(20)')
        .addColumn('etapa', 'varchar(50)')
        .addColumn('numero_pedido', 'varchar(50)')
        .addColumn('data_fechamento', 'date')
        .addColumn('id_erp', 'varchar(50)')
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await tenantTable(db, 'atividades')
        .addColumn('conta_id', 'integer')
        .addColumn('contato_id', 'integer')
        .addColumn('usuario_id', 'integer')
        .addColumn('tipo', 'varchar(50)', (c) => c.notNull())
        .addColumn('assunto', 'varchar(200)')
        .addColumn('descricao', 'text')
        .addColumn('inicio', timestamp)
        .addColumn('fim', timestamp)
        .addColumn('status', 'varchar(20)')
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await tenantTable(db, 'eventos')
        .addColumn('conta_id', 'integer')
        .addColumn('contato_id', 'integer')
        .addColumn('cod_contato', 'varchar(50)')
        .addColumn('tipo', 'varchar(50)', (c) => c.notNull())
        .addColumn('descricao', 'text')
        .addColumn('data', timestamp)
        .addColumn('origem', 'varchar(100)')
        .addColumn('dados', 'text')
        .addColumn('atualizado_em', timestamp, now)
        .execute();
      await tenantTable(db, 'usuarios')
        .addColumn('nome', 'varchar(200)', (c) => c.notNull())
        .addColumn('email', 'varchar(200)')
        .addColumn('ramal', 'varchar(20)')
        .addColumn('ativo', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await tenantTable(db, 'ligacoes')
        .addColumn('usuario_id', 'integer')
        .addColumn('conta_id', 'integer')
        .addColumn('ramal', 'varchar(20)', (c) => c.notNull())
        .addColumn('telefone', 'varchar(30)', (c) => c.notNull())
        .addColumn('direcao', 'varchar(10)', (c) => c.notNull())
        .addColumn('inicio', timestamp, (c) => c.notNull())
        .addColumn('fim', timestamp)
        .addColumn('duracao_segundos', 'integer')
        .addColumn('url_audio', 'varchar(1000)')
        .addColumn('status', 'varchar(20)')
        .addColumn('criado_em', timestamp, now)
        .execute();
      for (const table of ['cidades', 'contas', 'contatos', 'oportunidades', 'atividades', 'eventos', 'ligacoes']) {
        await db.schema.createIndex(`${table}_empresa_id_idx`).on(table).column('empresa_id').execute();
      }
      await db.schema.createIndex('usuarios_empresa_ramal_uq').on('usuarios').columns(['empresa_id', 'ramal']).unique().execute();
      await db.schema.createIndex('api_keys_empresa_id_idx').on('api_keys').column('empresa_id').execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    async down(db: Kysely<any>) {
      const tables = [
        'ligacoes',
        'usuarios',
        'eventos',
        'atividades',
        'oportunidades',
        'contatos',
        'contas',
        'cidades',
        'regras',
        'dependencias',
        'campos_integracao',
        'integracao',
        'conexao_integracao',
        'api_keys',
        'empresa_filiais',
        'empresas',
      ];
      for (const table of tables) await db.schema.dropTable(table).ifExists().execute();
    },
  };
}
