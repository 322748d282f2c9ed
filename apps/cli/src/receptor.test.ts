import type { DialectName } from '@integrador/store';
import { createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import { testPrefix } from '@integrador/test-support/redis-server';
import { DEFAULT_CREDENTIALS, type SeniorG5Server, startSeniorG5Server } from '../../../test/fixtures/senior-g5';
import { addInfoWsCliente, CONTA, SET_WS_CONTAS, SET_WS_CONTAS_CAMPO, seedSetWsContas } from '../../../test/fixtures/set-ws-contas';
import { cliEnv, runCli } from '../test/run-cli';
import { type SeniorConnections, seniorVariables, writeSeniorConnections } from '../test/senior-g5-env';

describe.each<DialectName>(['postgres', 'sqlite'])('integrador preview and info on %s (local Senior G5 SOAP service)', (dialect) => {
  let erp: SeniorG5Server;
  let connections: SeniorConnections;
  let database: TestDatabase;
  let empresa: string;
  let env: NodeJS.ProcessEnv;

  const cli = (command: string, id: number, ...args: string[]) => runCli([command, String(id), '--empresa', empresa, ...args], env);

  async function nothingWritten(): Promise<void> {
    expect(erp.requests.count).toBe(0);
    expect(await database.db.selectFrom('integracao_execucoes').select('id').execute()).toEqual([]);
    const conta = await database.db.selectFrom('contas').select('id_erp').where('id', '=', CONTA.id).executeTakeFirstOrThrow();
    expect(conta.id_erp).toBeNull();
  }

  beforeAll(async () => {
    erp = await startSeniorG5Server();
    connections = writeSeniorConnections(erp.url);
  });

  afterAll(async () => {
    await erp.close();
    connections.remove();
  });

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    empresa = String((await seedSetWsContas(database.db)).empresaId);
    // No Redis is involved: a prefix nobody uses shows that preview and info never enqueue.
    env = cliEnv(database.url, seniorVariables(database.url, connections.file, testPrefix()));
    erp.customers.clear();
    erp.requests.count = 0;
  });

  afterEach(async () => {
    await database.drop();
  });

  it('preview prints the consulta with its bound value and the SOAP envelope, sending nothing', async () => {
    const result = await cli('preview', 19, '-p', `contaId=${CONTA.id}`);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Consulta (com os valores ligados):');
    // The statement as it runs: the seed's consulta, with contas narrowed to the tenant's rows where the dialect needs it.
    expect(lines[1]).toMatch(/^(WITH "contas" AS \(SELECT \* FROM \S+ WHERE empresa_id = \S+\) )?SELECT c\.id_erp, /);
    expect(lines[1]).toMatch(/ FROM contas AS c WHERE c\.id = (\?|\$\d+)$/);
    expect(lines.filter((line) => /^ {2}(\?|\$)\d+ = "42"$/.test(line))).toHaveLength(1);
    expect(lines).toContain(`Registro id 42 (1 de 1), para ${erp.url}/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes:`);
    const english = await cli('preview', 19, '-p', `contaId=${CONTA.id}`, '--lang', 'en');
    expect(english.stdout.split('\n')).toContain(
      `Record id 42 (1 of 1), to ${erp.url}/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes:`,
    );
    expect(result.stdout).toContain('GravarClientes');
    expect(result.stdout).toContain(CONTA.nome);
    // The regras already applied: digits only.
    expect(result.stdout).toContain('12345678000195');
    expect(result.stdout).not.toContain(DEFAULT_CREDENTIALS.password);
    expect(lines.at(-2)).toBe('Nada foi enviado (1 registro).');
    await nothingWritten();
  });

  it('preview --json gives the consulta, the values, the body and the request of each record', async () => {
    const result = await cli('preview', 19, '-p', `contaId=${CONTA.id}`, '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const preview = JSON.parse(result.stdout) as {
      consulta: { sql: string; parameters: unknown[] };
      records: { key: string; values: Record<string, unknown>; body: Record<string, unknown>; request: { url: string; request: string } }[];
    };
    // The tenant's empresa id is bound by the engine beside the caller's value.
    expect(preview.consulta.parameters.at(-1)).toBe('42');
    expect(preview.records).toHaveLength(1);
    expect(preview.records[0]).toMatchObject({
      key: 'id42',
      values: expect.objectContaining({ nome: CONTA.nome, contaId: '42' }),
      body: { dadosGeraisCliente: expect.objectContaining({ nomCli: CONTA.nome, cgcCpf: '12345678000195', ideExt: 'crm-42' }) },
    });
    expect(preview.records[0]?.request.request).toContain('GravarClientes');
    expect(result.stdout).not.toContain(DEFAULT_CREDENTIALS.password);
    await nothingWritten();
  });

  it("preview warns when the campos miss the WSDL's wrapper (GravarClientes' dadosGeraisCliente), naming it", async () => {
    // The fields at the top of parameters: soap sends them as given and the ERP ignores them.
    await database.db
      .updateTable('campos_integracao')
      .set({ campo_crm: JSON.stringify(SET_WS_CONTAS_CAMPO.dadosGeraisCliente) })
      .where('integracao_id', '=', 19)
      .execute();
    await database.db.deleteFrom('regras').where('integracao_id', '=', 19).execute();
    const result = await cli('preview', 19, '-p', `contaId=${CONTA.id}`);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const warning = result.stdout.split('\n').find((line) => line.startsWith('Aviso:'));
    expect(warning).toMatch(
      /^Aviso: nomCli, apeCli, .*, ideExt estão no topo de parameters, mas o WSDL de GravarClientes os espera dentro de <dadosGeraisCliente>/,
    );
    expect(warning).toContain('{"dadosGeraisCliente": {"nomCli": …}}');
    const english = await cli('preview', 19, '-p', `contaId=${CONTA.id}`, '--lang', 'en');
    expect(english.stdout).toMatch(/Warning: nomCli, .* the WSDL of GravarClientes expects them inside <dadosGeraisCliente>/);
    const json = JSON.parse((await cli('preview', 19, '-p', `contaId=${CONTA.id}`, '--json')).stdout);
    expect(json.records[0].request.missingWrapper).toEqual({
      wrapper: 'dadosGeraisCliente',
      fields: expect.arrayContaining(['nomCli', 'ideExt']),
    });
    await nothingWritten();
    // config lint --wsdl says the same of the row, before any run; without --wsdl it stays offline (no WSDL read).
    const lint = await runCli(['config', 'lint', '--empresa', empresa, '--wsdl'], env);
    expect(lint.code).toBe(0);
    expect(lint.stdout).toMatch(
      /^\[aviso\] campos_integracao #\d+ \(integracao #19 SET-WS-CONTAS\) coluna campo_crm: nomCli, .* estão no topo de parameters, mas o WSDL de GravarClientes os espera dentro de <dadosGeraisCliente>.*\[SOAP_WRAPPER_MISSING\]$/m,
    );
    const offline = await runCli(['config', 'lint', '--empresa', empresa], env);
    expect(offline.stdout).not.toContain('SOAP_WRAPPER_MISSING');
    // The seed's own mapping (inside the wrapper) gets no warning.
    await database.db
      .updateTable('campos_integracao')
      .set({ campo_crm: JSON.stringify(SET_WS_CONTAS_CAMPO) })
      .where('integracao_id', '=', 19)
      .execute();
    const fitting = await cli('preview', 19, '-p', `contaId=${CONTA.id}`);
    expect(fitting.stdout).not.toContain('Aviso:');
    expect((await runCli(['config', 'lint', '--empresa', empresa, '--wsdl'], env)).stdout).not.toContain('SOAP_WRAPPER_MISSING');
  });

  it('preview without its parametros_obrigatorios exits 1 naming them', async () => {
    const result = await cli('preview', 19);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('erro: falta o parâmetro obrigatório contaId (use -p contaId=valor); nada foi enfileirado nem enviado\n');
    await nothingWritten();
  });

  it('preview of a record the empresa does not have says so in one language, naming the value and the empresa', async () => {
    const result = await cli('preview', 19, '-p', 'contaId=999');
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      `erro: a consulta da integração #19 (SET-WS-CONTAS) não encontrou nenhum registro com contaId=999 na empresa ${empresa}: confira o valor (registros de outra empresa não contam)\n`,
    );
    // A secret-named parameter is listed masked (it was shown as given).
    const english = await cli('preview', 19, '-p', 'contaId=999', '-p', 'senha=SegredoDoPreview', '--lang', 'en');
    expect(english.stderr).toBe(
      `error: the consulta of integracao #19 (SET-WS-CONTAS) found no record with contaId=999, senha=•••••• in empresa ${empresa}: check the value (records of another empresa do not count)\n`,
    );
  });

  it('preview reports a configuration the engine refuses in one line', async () => {
    const consulta = SET_WS_CONTAS.consulta.replace('WHERE c.id = #contaId#', 'WHERE c.id = #contaId# AND c.status = #situacao#');
    await database.db.updateTable('integracao').set({ consulta }).where('id', '=', 19).execute();
    const result = await cli('preview', 19, '-p', 'contaId=42');
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'erro: a integração #19 (SET-WS-CONTAS) usa #situacao#, que não tem valor: nem os parâmetros, nem a consulta, nem as dependências o fornecem; informe-o com -p situacao=…\n',
    );

    const noConnection = await runCli(['--lang', 'en', 'preview', '19', '--empresa', empresa, '-p', 'contaId=42'], {
      ...env,
      CONNECTIONS_FILE: '',
    });
    expect(noConnection.code).toBe(1);
    expect(noConnection.stderr).toMatch(
      /^warning: CONNECTIONS_FILE is not set.*\nerror: integracao #19 \(SET-WS-CONTAS\) failed: .*senior_g5.*\n$/,
    );
    await nothingWritten();
  });

  it('preview of a campo_crm typo (#fantazia#) names the row and the nearest column, in one language, advising no -p (trial M3)', async () => {
    const campo = await database.db.selectFrom('campos_integracao').select('id').where('integracao_id', '=', 19).executeTakeFirstOrThrow();
    const typo = JSON.stringify(SET_WS_CONTAS_CAMPO).replace('#fantasia#', '#fantazia#');
    await database.db.updateTable('campos_integracao').set({ campo_crm: typo }).where('id', '=', campo.id).execute();
    const result = await cli('preview', 19, '-p', `contaId=${CONTA.id}`);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      `erro: a integração SET-WS-CONTAS usa #fantazia# em campos_integracao #${campo.id}, e nada lhe dá valor (quis dizer #fantasia#?): corrija a grafia em campos_integracao #${campo.id}\n`,
    );
    const english = await cli('preview', 19, '-p', `contaId=${CONTA.id}`, '--lang', 'en');
    expect(english.stderr).toBe(
      `error: integracao SET-WS-CONTAS uses #fantazia# in campos_integracao #${campo.id}, and nothing gives it a value (did you mean #fantasia#?): fix the spelling in campos_integracao #${campo.id}\n`,
    );
    await nothingWritten();
  });

  it('preview of a step whose #var# an upstream step of its flow hands down says so, and how to give it', async () => {
    // A SET before #19 in its flow (#19.dependente) whose receptor returns codRep: a run gets it, a preview does not.
    await database.db
      .insertInto('integracao')
      .values({
        ...SET_WS_CONTAS,
        id: 23,
        nome: 'SET-WS-REPRESENTANTE',
        indice_valor_retorno: 'codRep',
        empresa_id: Number(empresa),
        empresa_filial_id: null,
        ordem: 0,
        ativo: 1,
      })
      .execute();
    const consulta = SET_WS_CONTAS.consulta.replace('WHERE c.id = #contaId#', 'WHERE c.id = #contaId# AND c.fax = #codRep#');
    await database.db.updateTable('integracao').set({ consulta, dependente: 23 }).where('id', '=', 19).execute();
    const result = await cli('preview', 19, '-p', `contaId=${CONTA.id}`);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'erro: a integração #19 (SET-WS-CONTAS) usa #codRep#, que vem da integração #23 (SET-WS-REPRESENTANTE), executada antes dela no fluxo (dependente/depende_de); a pré-visualização não executa essa etapa: informe o valor com -p codRep=…\n',
    );
    await nothingWritten();
  });

  it("info answers the receptor's values for an INFO integration, writing nothing", async () => {
    erp.customers.set(1001, { codCli: 1001, nomCli: CONTA.nome, apeCli: CONTA.fantasia, sitCli: 'A', enderecosEntrega: [] });
    await database.db.updateTable('contas').set({ id_erp: '1001' }).where('id', '=', CONTA.id).execute();
    await addInfoWsCliente(database.db, Number(empresa), 1);

    const json = await cli('info', 22, '-p', `contaId=${CONTA.id}`, '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual({ 'INFO-WS-CLIENTE': { codCli: 1001, nomCli: CONTA.nome, sitCli: 'A' } });
    const text = await cli('info', 22, '-p', `contaId=${CONTA.id}`);
    expect(text.stdout).toMatch(/^Valores devolvidos pelo receptor \(INFO-WS-CLIENTE\):\n\{\n {2}"codCli": 1001,/);
    expect(erp.requests.count).toBe(2);
    expect(await database.db.selectFrom('integracao_execucoes').select('id').execute()).toEqual([]);

    const notInfo = await cli('info', 19, '-p', `contaId=${CONTA.id}`);
    expect(notInfo).toMatchObject({ code: 1, stdout: '' });
    expect(notInfo.stderr).toBe(
      'erro: a integração #19 (SET-WS-CONTAS) é do tipo SET, não INFO; use `integrador preview` ou `integrador run`\n',
    );
    expect(erp.requests.count).toBe(2);
  });

  it('shows the consulta and the fields before saying that nothing answers at the WSDL address', async () => {
    const unreachable = writeSeniorConnections('http://127.0.0.1:1');
    const wsdl = 'http://127.0.0.1:1/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes?wsdl';
    try {
      const run = (...extra: string[]) =>
        runCli(['preview', '19', '--empresa', empresa, '-p', `contaId=${CONTA.id}`, ...extra], {
          ...env,
          CONNECTIONS_FILE: unreachable.file,
        });
      const result = await run();
      expect(result.code).toBe(1);
      const lines = result.stdout.split('\n');
      // The dry run needs no receptor for the consulta with its bound value and the fields of each record.
      expect(lines[0]).toBe('Consulta (com os valores ligados):');
      expect(lines.filter((line) => /^ {2}(\?|\$)\d+ = "42"$/.test(line))).toHaveLength(1);
      expect(lines).toContain('Registro id 42 (1 de 1), os campos do pedido (o envelope SOAP precisa do WSDL do receptor):');
      expect(result.stdout).toContain(CONTA.nome);
      expect(result.stdout).toContain('12345678000195');
      expect(result.stdout).not.toContain(DEFAULT_CREDENTIALS.password);
      expect(result.stderr).toBe(
        `erro: nada responde no endereço do WSDL ${wsdl} (conexão senior_g5): confira o baseUrl dessa conexão no CONNECTIONS_FILE ou inicie o serviço (na demo: npm run erp-double); a consulta e os campos acima não dependem dele\n`,
      );
      const english = await run('--lang', 'en');
      expect(english.code).toBe(1);
      expect(english.stdout.split('\n')).toContain(
        "Record id 42 (1 of 1), the request's fields (the SOAP envelope needs the receptor's WSDL):",
      );
      expect(english.stderr).toBe(
        `error: nothing answers at the WSDL address ${wsdl} (connection senior_g5): check that connection's baseUrl in CONNECTIONS_FILE or start the service (for the demo: npm run erp-double); the consulta and fields above do not depend on it\n`,
      );
      const json = await run('--json');
      expect(JSON.parse(json.stdout)).toMatchObject({ records: [{ key: 'id42', request: null, requestUnavailable: true }] });
      await nothingWritten();
    } finally {
      unreachable.remove();
    }
  });
});
