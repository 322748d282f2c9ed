import { ALL_DIALECTS, createTestDatabase, type TestDatabase } from '@integrador/test-support/databases';
import {
  authenticateOperador,
  createOperador,
  createSessao,
  findSessao,
  listAudit,
  recordAudit,
  verifyPassword,
} from './operadores.repository';
import {
  countByHour,
  countByState,
  countJobRecords,
  findJobRecord,
  fullTextWords,
  type JobEvent,
  markJobRecords,
  recordJobEvent,
  recordJobEvents,
  searchJobRecords,
  searchText,
  type TenantScope,
} from './registro-jobs.repository';

const base: JobEvent = {
  empresaId: 1,
  filialId: null,
  fila: 'set',
  jobId: '1',
  nomeJob: 'integration.run',
  integracaoId: 19,
  parametros: { contaId: '42' },
  estado: 'ativo',
  tentativas: 1,
  maxTentativas: 6,
};

describe.each(ALL_DIALECTS)('dashboard records on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('keeps one row per job through start, failure and retry, searchable by parameter and error, per tenant', async () => {
    const { db } = database;
    await recordJobEvent(db, base);
    await recordJobEvent(db, {
      ...base,
      estado: 'falhou',
      erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'Usuário ou senha inválidos' },
    });
    await recordJobEvent(db, { ...base, empresaId: 2, jobId: '2', parametros: { telefone: '11999990000' }, estado: 'concluido' });
    await recordJobEvent(db, { ...base, jobId: '3', estado: 'concluido' });

    expect(await countJobRecords(db, { scope: 'all' })).toBe(3);
    // A capped count stops one past the cap ("more than 1"), and is exact below it.
    expect(await countJobRecords(db, { scope: 'all' }, 1)).toBe(2);
    expect(await countJobRecords(db, { scope: 'all' }, 10)).toBe(3);
    const failed = await searchJobRecords(db, { scope: [1], estados: ['falhou'] });
    expect(failed).toEqual([
      expect.objectContaining({ job_id: '1', erro_codigo: 'RECEPTOR_ERROR', erro_mensagem: 'Usuário ou senha inválidos' }),
    ]);
    expect((await searchJobRecords(db, { scope: 'all', texto: 'SENHA INVÁLIDOS' })).map((r) => r.job_id)).toEqual(['1']);
    expect((await searchJobRecords(db, { scope: 'all', texto: 'telefone=11999990000' })).map((r) => r.job_id)).toEqual(['2']);
    // Substrings, not only words (MySQL's FULLTEXT prefilter requires only the text's whole words): parts of words at both ends.
    expect((await searchJobRecords(db, { scope: 'all', texto: 'rio ou senha inv' })).map((r) => r.job_id)).toEqual(['1']);
    expect((await searchJobRecords(db, { scope: 'all', texto: '1199999' })).map((r) => r.job_id)).toEqual(['2']);
    // A chave=valor word matches whole: neither the end of a key nor the start of a value.
    expect(await searchJobRecords(db, { scope: 'all', texto: 'one=11999990000' })).toEqual([]);
    expect(await searchJobRecords(db, { scope: 'all', texto: 'telefone=1199999' })).toEqual([]);
    expect(await countJobRecords(db, { scope: 'all', texto: 'senha inválidosx' })).toBe(0);
    // A LIKE wildcard typed by an operator is text, not a pattern.
    expect(await searchJobRecords(db, { scope: 'all', texto: '%' })).toEqual([]);
    // Tenant walls: tenant 2 sees neither tenant 1's rows nor its counts; no tenant at all sees nothing.
    expect(await searchJobRecords(db, { scope: [2], texto: 'senha' })).toEqual([]);
    expect(await findJobRecord(db, [2], 'set', '1')).toBeUndefined();
    expect(await countJobRecords(db, { scope: [] })).toBe(0);
    const counts = await countByState(db, [1], new Date(Date.now() - 3600_000));
    expect(counts).toEqual(
      expect.arrayContaining([expect.objectContaining({ estado: 'falhou', n: 1 }), expect.objectContaining({ estado: 'concluido', n: 1 })]),
    );
    expect((await countByHour(db, 'all', new Date(Date.now() - 3600_000))).reduce((s, h) => s + h.n, 0)).toBe(3);

    const [row] = failed;
    // A retry marks the row only while it is still failed (the worker may already have started it again).
    await markJobRecords(db, [row?.id ?? 0], 'aguardando_retentativa', 'falhou');
    expect((await findJobRecord(db, 'all', 'set', '1'))?.estado).toBe('aguardando_retentativa');
    await markJobRecords(db, [row?.id ?? 0], 'descartado', 'falhou');
    expect((await findJobRecord(db, 'all', 'set', '1'))?.estado).toBe('aguardando_retentativa');
  });

  it('matches a chave=valor word whole at either end of the text: contaId=14 never finds contaId=140', async () => {
    const { db } = database;
    const erro = { classe: 'PermanentError', codigo: 'RECEPTOR_REJECTED', mensagem: 'recusado pelo receptor' };
    const conta = (jobId: string, parametros: Record<string, unknown>) =>
      ({ ...base, empresaId: 7, jobId, parametros, estado: 'falhou', erro }) as JobEvent;
    await recordJobEvents(db, [
      conta('tok-14', { contaId: 14 }),
      conta('tok-140', { contaId: 140 }),
      conta('tok-141', { contaId: '141', filial: 2 }),
      conta('tok-2', { filial: 14, contaId: 2 }),
    ]);
    const ids = async (texto: string, scope: TenantScope = 'all') =>
      (await searchJobRecords(db, { scope, texto })).map((r) => r.job_id).sort();
    for (const scope of ['all', [7]] as TenantScope[]) {
      expect(await ids('contaId=14', scope)).toEqual(['tok-14']);
      expect(await ids('CONTAID=141', scope)).toEqual(['tok-141']);
      // Not last in `busca` (another parameter follows it), and first with more text after it.
      expect(await ids('filial=14', scope)).toEqual(['tok-2']);
      expect(await ids('contaid=14 permanenterror', scope)).toEqual(['tok-14']);
      expect(await ids('aid=14', scope)).toEqual([]);
      // Other text keeps substring semantics.
      expect(await ids('#tok-14', scope)).toEqual(['tok-14', 'tok-140', 'tok-141']);
      expect(await countJobRecords(db, { scope, texto: 'contaId=14' })).toBe(1);
    }
  });

  it('searches accents as written on every dialect, and finds the records of the codes whose wording holds the text', async () => {
    const { db } = database;
    const login = { classe: 'GetConfigError', codigo: 'LOGIN_REFUSED', mensagem: 'password authentication failed for user "crm"' };
    await recordJobEvent(db, { ...base, empresaId: 7, jobId: 'l1', estado: 'falhou', erro: login });
    await recordJobEvent(db, {
      ...base,
      empresaId: 7,
      jobId: 'l2',
      estado: 'falhou',
      erro: { ...login, codigo: null, mensagem: 'Ação negada' },
    });
    const found = async (texto: string, codigos?: string[]) =>
      (await searchJobRecords(db, { scope: [7], texto, codigos })).map((r) => r.job_id).sort();
    // Every record holds "integracao=19": MariaDB's accent-insensitive collation once matched "ação" there.
    expect(await found('ação')).toEqual(['l2']);
    expect(await found('ação negada')).toEqual(['l2']);
    // "recusou" is in the pt-BR wording of LOGIN_REFUSED, not in the stored (English) message.
    expect(await found('recusou')).toEqual([]);
    expect(await found('recusou', ['LOGIN_REFUSED'])).toEqual(['l1']);
    expect(await countJobRecords(db, { scope: [7], texto: 'recusou', codigos: ['LOGIN_REFUSED'] })).toBe(1);
  });

  it('builds a search text with its secret-named parameters masked whatever their type, for any caller (the bench too)', () => {
    const text = searchText({
      ...base,
      parametros: { contaId: 42, senha: 918273, token: { valor: 'tk-aninhado-645' }, credenciais: 'c-1' },
    });
    expect(text).not.toMatch(/918273|tk-aninhado-645|c-1/);
    expect(text).toContain('contaid=42 senha=•••••• token=•••••• credenciais=••••••');
  });

  it("writes the search text with the message's secrets masked, also one the 1000-character cut would halve", async () => {
    const { db } = database;
    // A receptor's refusal quoting the password it was sent, the password straddling the search text's cut.
    const refusal = (pad: number) => `receptor rejected the request: ${'x'.repeat(pad)} {"erro":"login","senha":"segredo-ecoado-pelo-erp"}`;
    // searchText's prefix before the message (name, id, parameters), then a space: where the message starts.
    const start = searchText({ ...base, jobId: '42', erro: { classe: null, codigo: null, mensagem: 'm' } }).length - 1;
    const whole = refusal(0);
    // Pad so that the 1000th character falls 3 characters into the password.
    const straddling = refusal(1000 - start - whole.indexOf('segredo') - 3);
    for (const [jobId, mensagem] of [
      ['41', whole],
      ['42', straddling],
    ] as const)
      await recordJobEvent(db, { ...base, jobId, estado: 'falhou', erro: { classe: null, codigo: null, mensagem } });
    const rows = await searchJobRecords(db, { scope: 'all', texto: 'receptor rejected' });
    expect(rows.map((r) => r.job_id).sort()).toEqual(['41', '42']);
    for (const row of rows) expect(row.busca).toContain('"senha":"•');
    expect(rows.find((r) => r.job_id === '42')?.busca).toHaveLength(1000);
    expect(rows.map((r) => r.busca).join(' ')).not.toMatch(/segredo|"se$/);
    // The stored message keeps the text support reads (the dashboard masks it when shown); searching the secret finds nothing.
    expect(rows.find((r) => r.job_id === '41')?.erro_mensagem).toBe(whole);
    expect(await searchJobRecords(db, { scope: 'all', texto: 'segredo-ecoado' })).toEqual([]);
  });

  it('writes a batch of jobs in one upsert: a start sets iniciado_em, a finish finalizado_em, a delay neither', async () => {
    const { db } = database;
    const t = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
    const job = (jobId: string, extra: Partial<JobEvent>): JobEvent => ({ ...base, fila: 'lote', jobId, ...extra });
    await recordJobEvents(db, [job('a', { estado: 'ativo', at: t(1) }), job('b', { estado: 'ativo', at: t(1) })]);
    await recordJobEvents(db, [
      job('a', { estado: 'concluido', at: t(5) }),
      job('b', { estado: 'adiado', at: t(5) }),
      job('c', { estado: 'concluido', at: t(7), iniciadoEm: t(6) }),
    ]);
    const rows = await db
      .selectFrom('registro_jobs')
      .select(['job_id', 'estado', 'criado_em', 'iniciado_em', 'finalizado_em'])
      .where('fila', '=', 'lote')
      .orderBy('job_id')
      .execute();
    const at = (value: unknown) => (value === null ? null : new Date(value as string).getTime());
    expect(rows.map((r) => [r.job_id, r.estado, at(r.criado_em), at(r.iniciado_em), at(r.finalizado_em)])).toEqual([
      ['a', 'concluido', t(1).getTime(), t(1).getTime(), t(5).getTime()],
      ['b', 'adiado', t(1).getTime(), t(1).getTime(), null],
      ['c', 'concluido', t(6).getTime(), t(6).getTime(), t(7).getTime()],
    ]);
    // A retry starts again: finalizado_em is cleared, iniciado_em moves.
    await recordJobEvents(db, [job('a', { estado: 'ativo', at: t(9) })]);
    const retried = await db
      .selectFrom('registro_jobs')
      .select(['iniciado_em', 'finalizado_em'])
      .where('job_id', '=', 'a')
      .executeTakeFirst();
    expect([at(retried?.iniciado_em), at(retried?.finalizado_em)]).toEqual([t(9).getTime(), null]);
  });

  it('runs the same scrypt check for an unknown or disabled login as for a known one (no timing oracle)', async () => {
    const { db } = database;
    await createOperador(db, { login: 'rui', nome: 'Rui', senha: 's3nha-do-rui', papel: 'operador' });
    await createOperador(db, { login: 'off', nome: 'Off', senha: 's3nha-do-off', papel: 'operador' });
    await db.updateTable('operadores').set({ ativo: 0 }).where('login', '=', 'off').execute();
    const checked: string[] = [];
    const verify = async (password: string, stored: string) => {
      checked.push(stored);
      return verifyPassword(password, stored);
    };
    expect(await authenticateOperador(db, 'rui', 'errada', verify)).toBeUndefined();
    expect(await authenticateOperador(db, 'ninguem', 'errada', verify)).toBeUndefined();
    expect(await authenticateOperador(db, 'off', 's3nha-do-off', verify)).toBeUndefined();
    // Three scrypt checks with the stored hash's cost (N, r, p): the unknown and disabled logins against a dummy hash.
    expect(checked).toHaveLength(3);
    for (const stored of checked) expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    const known = await db.selectFrom('operadores').select('senha_hash').where('login', '=', 'rui').executeTakeFirstOrThrow();
    expect(checked[0]).toBe(known.senha_hash);
    expect(checked[1]).not.toBe(known.senha_hash);
  });

  it('hashes operator passwords, opens sessions and lists the audit log per tenant', async () => {
    const { db } = database;
    const id = await createOperador(db, { login: 'ana', nome: 'Ana', senha: 's3nha-longa', papel: 'operador', empresas: [1] });
    const row = await db.selectFrom('operadores').select('senha_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.senha_hash).toMatch(/^scrypt\$/);
    expect(row.senha_hash).not.toContain('s3nha-longa');
    expect(await authenticateOperador(db, 'ana', 'errada')).toBeUndefined();
    expect(await authenticateOperador(db, 'ana', 's3nha-longa')).toMatchObject({ login: 'ana', empresas: [1] });
    const { token, csrf } = await createSessao(db, id, 60_000);
    expect(await findSessao(db, token)).toMatchObject({ csrf, operador: { login: 'ana' } });
    const expired = await createSessao(db, id, -1);
    expect(await findSessao(db, expired.token)).toBeUndefined();
    await recordAudit(db, { autor: 'ana', operadorId: id, empresaId: 1, acao: 'retry', quantidade: 2 });
    await recordAudit(db, { autor: 'bob', operadorId: null, empresaId: 2, acao: 'discard', quantidade: 1 });
    expect((await listAudit(db, [1])).map((a) => a.autor)).toEqual(['ana']);
    expect(await listAudit(db, 'all')).toHaveLength(2);
  });
});

describe('fullTextWords', () => {
  it('requires only the words a substring match must hold whole (the last as a prefix), never the first', () => {
    expect(fullTextWords('bloqueado no erp')).toBe('+erp*');
    expect(fullTextWords('contaid=54321')).toBe('+54321*');
    expect(fullTextWords('rio ou senha inv')).toBe('+senha +inv*');
    expect(fullTextWords(' senha ')).toBe('+senha');
    expect(fullTextWords('54321')).toBe('');
  });
});
