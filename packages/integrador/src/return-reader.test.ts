import { jobFailureText } from '@integrador/queue';
import { joinReasons, ReturnConfigError, readReturn } from './return-reader';

/** Seed 001's SET-WS-CONTAS row. */
const seed = {
  indice_array_retorno: 'retornosClientes',
  indice_valor_retorno: 'codCli',
  indice_erro_retorno: 'erro,mensagemErro,erroExecucao',
};

const cliente = (extra: Record<string, unknown> = {}) => ({
  codCli: 1234,
  cgcCpf: 12345678000190,
  codFor: 0,
  ideExt: '42',
  retorno: 'OK',
  ...extra,
});

describe('readReturn with the ERP (Senior G5) GravarClientes answer and seed 001’s row', () => {
  it('reads a success: the code the ERP gave, its message, one record', () => {
    const reading = readReturn(
      { tipoRetorno: 1, mensagemRetorno: 'Processado com sucesso.', erroExecucao: '', retornosClientes: [cliente()] },
      seed,
    );
    expect(reading).toEqual({
      ok: true,
      message: 'Processado com sucesso.',
      values: { codCli: 1234 },
      records: [{ values: { codCli: 1234 }, error: null }],
      errorKeyFound: null,
      located: true,
    });
  });

  it('reads the same answer parsed from XML: text numbers, nil fields, a list of one as an object', () => {
    const reading = readReturn(
      { tipoRetorno: '1', mensagemRetorno: null, erroExecucao: null, retornosClientes: { codCli: '1234', retorno: 'OK' } },
      seed,
    );
    expect(reading).toMatchObject({ ok: true, message: 'OK', values: { codCli: '1234' }, records: [{ error: null }] });
  });

  it('fails with erroExecucao when the ERP reports an execution error', () => {
    const reading = readReturn(
      { tipoRetorno: 1, mensagemRetorno: '', erroExecucao: 'ORA-00001: restrição exclusiva violada', retornosClientes: [] },
      seed,
    );
    expect(reading).toMatchObject({
      ok: false,
      message: 'ORA-00001: restrição exclusiva violada',
      errorKeyFound: 'erroExecucao',
      records: [],
    });
  });

  it('fails on tipoRetorno 2 with the ERP’s message and each record’s reason', () => {
    const reading = readReturn(
      {
        tipoRetorno: 2,
        mensagemRetorno: 'Erro ao processar a requisição.',
        erroExecucao: '',
        retornosClientes: [cliente({ codCli: 0, retorno: 'CNPJ/CPF 12345678000190 inválido.' })],
      },
      seed,
    );
    expect(reading).toMatchObject({
      ok: false,
      message: 'Erro ao processar a requisição. | CNPJ/CPF 12345678000190 inválido.',
      errorKeyFound: 'retorno',
      records: [{ values: { codCli: 0 }, error: 'CNPJ/CPF 12345678000190 inválido.' }],
    });
  });

  it('fails on tipoRetorno 2 with erroExecucao first, once, and without any record', () => {
    expect(readReturn({ tipoRetorno: '2', mensagemRetorno: 'Falha', erroExecucao: 'Usuário sem permissão' }, seed)).toMatchObject({
      ok: false,
      message: 'Usuário sem permissão | Falha',
      errorKeyFound: 'erroExecucao',
      located: false,
    });
    expect(readReturn({ tipoRetorno: 2, mensagemRetorno: 'Falha', erroExecucao: 'Falha' }, seed).message).toBe('Falha');
    expect(readReturn({ tipoRetorno: 2 }, seed)).toMatchObject({ ok: false, message: 'tipoRetorno 2', errorKeyFound: 'tipoRetorno' });
  });

  it('says each thing once when every record repeats the answer’s own reason (tipoRetorno 2, several records)', () => {
    const restricao = 'Cliente 42 com restrição financeira';
    const reading = readReturn(
      {
        tipoRetorno: 2,
        mensagemRetorno: 'Erro na solicitação',
        erroExecucao: restricao,
        retornosClientes: [cliente({ codCli: 0, retorno: restricao }), cliente({ codCli: 0, ideExt: '43', retorno: restricao })],
      },
      { ...seed, indice_erro_retorno: 'erroExecucao,mensagemRetorno' },
    );
    expect(reading.message).toBe(`${restricao} | Erro na solicitação`);
    expect(joinReasons(['a | b', 'b', null, 'a | c', ''])).toBe('a | b | c');
  });

  it('fails a record whose retorno is not OK even when tipoRetorno is 1', () => {
    const reading = readReturn(
      {
        tipoRetorno: 1,
        mensagemRetorno: 'Processado.',
        erroExecucao: '',
        retornosClientes: [cliente({ codCli: 10, ideExt: '1' }), cliente({ codCli: 0, ideExt: '2', retorno: 'Cidade não cadastrada.' })],
      },
      seed,
    );
    expect(reading).toMatchObject({ ok: false, message: 'Cidade não cadastrada.', errorKeyFound: 'retorno', values: { codCli: 10 } });
    expect(reading.records.map((r) => r.error)).toEqual([null, 'Cidade não cadastrada.']);
  });

  it('finds the return inside a SOAP wrapper and reads errors from the object holding it', () => {
    const answer = {
      GravarClientesResponse: {
        result: { tipoRetorno: 1, erroExecucao: 'Timeout no banco', retornosClientes: [cliente()] },
      },
    };
    expect(readReturn(answer, seed)).toMatchObject({ ok: false, message: 'Timeout no banco', located: true, values: { codCli: 1234 } });
    const wrappedError = { result: { tipoRetorno: 2, erroExecucao: 'Usuário ou senha inválidos.' } };
    expect(readReturn(wrappedError, seed)).toMatchObject({ ok: false, message: 'Usuário ou senha inválidos.', located: false });
  });

  it('reads the async mode’s plain text answer', () => {
    expect(readReturn('OK', seed)).toMatchObject({ ok: true, message: 'OK', values: {}, records: [] });
    expect(readReturn(' ok\n', seed).ok).toBe(true);
    expect(readReturn('Serviço indisponível', seed)).toMatchObject({ ok: false, message: 'Serviço indisponível' });
    expect(readReturn('{"retornosClientes": [{"codCli": 7}]}', seed)).toMatchObject({ ok: true, values: { codCli: 7 } });
  });
});

describe('readReturn: indice_erro_retorno', () => {
  const config = (indice_erro_retorno: string | null) => ({ indice_array_retorno: null, indice_valor_retorno: null, indice_erro_retorno });

  it('lets only the first key decide (seed 001); the others add detail', () => {
    const keys = config('erro,mensagemErro,codigo');
    expect(readReturn({ erro: 'Falha', mensagemErro: 'CNPJ duplicado', codigo: 409 }, keys)).toMatchObject({
      ok: false,
      message: 'Falha | CNPJ duplicado | codigo: 409',
      errorKeyFound: 'erro',
    });
    expect(readReturn({ erro: '', mensagemErro: 'ignorado', codigo: 409 }, keys)).toMatchObject({ ok: true, errorKeyFound: null });
  });

  it('falls through to the first key present when the first is absent (extension)', () => {
    expect(readReturn({ mensagemErro: 'Sem saldo', codigo: 1 }, config('erro,mensagemErro,codigo'))).toMatchObject({
      ok: false,
      message: 'Sem saldo | codigo: 1',
      errorKeyFound: 'mensagemErro',
    });
    // Present but empty still decides: the later keys are not counted.
    expect(readReturn({ mensagemErro: '', codigo: 1 }, config('erro,mensagemErro,codigo')).ok).toBe(true);
  });

  it('reads error values as PHP empty() does', () => {
    const keys = config('erro,mensagem');
    for (const erro of [null, false, 0, '', '0', ' ', [], {}]) expect(readReturn({ erro, mensagem: 'x' }, keys).ok).toBe(true);
    expect(readReturn({ erro: true, mensagem: 'Registro bloqueado' }, keys).message).toBe('Registro bloqueado');
    expect(readReturn({ erro: true }, keys).message).toBe('erro: true');
    expect(readReturn({ erro: 500 }, keys).message).toBe('erro: 500');
    expect(readReturn({ erro: [{ campo: 'cep', msg: 'inválido' }] }, keys).message).toBe('[{"campo":"cep","msg":"inválido"}]');
  });

  it('refuses a list with spaces', () => {
    const run = () => readReturn({}, config('erro, mensagemErro'));
    expect(run).toThrow(ReturnConfigError);
    expect(run).toThrow(
      'indice_erro_retorno "erro, mensagemErro" has spaces; the seed requires keys separated by commas only, e.g. erro,mensagemErro',
    );
    let error: unknown;
    try {
      run();
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'ReturnConfigError', code: 'SPACE_IN_INDEX_LIST', permanent: true, column: 'indice_erro_retorno' });
  });

  it('is a success when nothing is configured', () => {
    expect(readReturn({ anything: 'x' }, config(null))).toMatchObject({ ok: true, message: 'OK', values: {}, records: [{ error: null }] });
  });
});

describe('readReturn: indice_array_retorno and indice_valor_retorno', () => {
  it('takes the answer itself with the reserved word parameters', () => {
    const config = { indice_array_retorno: 'parameters', indice_valor_retorno: 'id,numPed', indice_erro_retorno: 'error' };
    expect(readReturn({ id: 99, numPed: 'P-1', error: null, message: 'Pedido criado' }, config)).toEqual({
      ok: true,
      message: 'Pedido criado',
      values: { id: 99, numPed: 'P-1' },
      records: [{ values: { id: 99, numPed: 'P-1' }, error: null }],
      errorKeyFound: null,
      located: true,
    });
    expect(readReturn({ parameters: { id: 5 } }, config).values).toEqual({ id: 5 });
    expect(readReturn({ error: 'Token expirado' }, { ...config, indice_array_retorno: 'PARAMETERS' })).toMatchObject({
      ok: false,
      message: 'Token expirado',
    });
  });

  it('reads one record per element, values from the element first and then the top level', () => {
    const config = { indice_array_retorno: 'itens', indice_valor_retorno: 'id,lote,codcli,cliente.codigo', indice_erro_retorno: 'erro' };
    const reading = readReturn(
      {
        lote: 'L1',
        id: 'top',
        itens: [
          { id: 1, codCli: 'a', cliente: { codigo: 'c1' }, erro: '' },
          { id: 2, codCli: 'b', erro: 'Duplicado' },
        ],
      },
      config,
    );
    expect(reading.records).toEqual([
      { values: { id: 1, lote: 'L1', codcli: 'a', 'cliente.codigo': 'c1' }, error: null },
      { values: { id: 2, lote: 'L1', codcli: 'b' }, error: 'Duplicado' },
    ]);
    expect(reading).toMatchObject({ ok: false, message: 'Duplicado', errorKeyFound: 'erro', values: reading.records[0]?.values });
  });

  it('searches the key at the top level before going depth-first', () => {
    const config = { indice_array_retorno: 'retorno', indice_valor_retorno: 'codigo', indice_erro_retorno: null };
    expect(readReturn({ dados: { retorno: { codigo: 'nested' } }, retorno: { codigo: 'top' } }, config).values).toEqual({ codigo: 'top' });
    expect(readReturn({ dados: [{ x: 1 }, { retorno: { codigo: 'deep' } }] }, config).values).toEqual({ codigo: 'deep' });
  });

  it('accepts the list itself, an empty list, a missing return and no answer', () => {
    const config = { indice_array_retorno: 'retornosClientes', indice_valor_retorno: 'codCli', indice_erro_retorno: 'erro' };
    expect(readReturn([{ codCli: 1 }, { codCli: 2 }], config)).toMatchObject({ ok: true, values: { codCli: 1 }, located: true });
    expect(readReturn({ retornosClientes: [] }, config)).toMatchObject({ ok: true, values: {}, records: [], located: true });
    expect(readReturn({ codCli: 3 }, config)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/indice_array_retorno ".+" not found in the answer \(keys there: codCli\)/),
      located: false,
      code: 'RETURN_ARRAY_NOT_FOUND',
    });
    // Worded as a configuration problem, not as the ERP's refusal (RECEPTOR_ERROR's "o ERP recusou o registro").
    expect(jobFailureText('pt-BR', 'RETURN_ARRAY_NOT_FOUND', 'detail')).toMatch(
      /^a resposta do sistema receptor não tem o array de retorno configurado \(indice_array_retorno\): confira a configuração/,
    );
    expect(jobFailureText('en', 'RETURN_ARRAY_NOT_FOUND', 'detail')).toMatch(/^the receptor's answer lacks the configured return array/);
    expect(readReturn({ erro: 'x' }, config)).toMatchObject({ ok: false, message: 'x', located: false });
    expect(readReturn({ erro: 'x' }, config).code).toBeUndefined();
    expect(readReturn(null, config)).toMatchObject({ ok: true, message: 'OK', values: {}, records: [] });
  });

  it('wraps a located scalar so its own name reads it', () => {
    const config = { indice_array_retorno: 'numeroPedido', indice_valor_retorno: 'numeroPedido', indice_erro_retorno: null };
    expect(readReturn({ resposta: { numeroPedido: 881 } }, config).values).toEqual({ numeroPedido: 881 });
  });
});
