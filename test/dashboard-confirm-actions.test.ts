import { isTenantPaused } from '@integrador/queue';
import { findJobRecord, recordJobEvents } from '@integrador/store';
import { flashOf, suiteHarness, unescapeHtml } from './support/dashboard-harness';

/**
 * The operator trial's F13 and F9: "Descartar" and "Pausar empresa" ask first (as the bulk retry does), say what they
 * did in words, and a paused empresa shows on the overview and the failures list — to its own viewers only.
 */
describe('dashboard: discard and tenant pause ask first and say what they did', () => {
  const h = suiteHarness();

  const post = (cookie: string, url: string, payload: Record<string, string | string[]>) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { cookie, host: 'dash.test', referer: 'http://dash.test/dashboard/falhas?estado=todos' },
      payload,
    });
  const get = async (cookie: string, url: string) => (await h.app.inject({ url, headers: { cookie } })).body;

  /** A SET job of tenant A failed in BullMQ and recorded falhou (a worker failing it at once, then closed). */
  async function failedJob(jobId: string): Promise<void> {
    await h.failSetJobs([jobId]);
    await h.recordSetJob(jobId);
  }

  it('discards only after a confirmation naming the job and its customer, then words the result', async () => {
    await failedJob('confirm-discard');
    const { cookie, csrf } = await h.login('opa');
    const asked = await post(cookie, '/dashboard/acoes/descartar', { _csrf: csrf, job: 'set/confirm-discard' });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain(
      'Descartar 1 job? Ele não será mais reprocessado: o que não foi enviado ao sistema de destino fica sem envio.',
    );
    expect(asked.body).toMatch(/<li><code>set\/confirm-discard<\/code> <span class="cliente">[^<]+<\/span><\/li>/);
    expect(asked.body).toContain('<input type="hidden" name="voltar" value="/dashboard/falhas?estado=todos">');
    // Nothing happened yet.
    expect(await (await h.producer.getJob('set', 'confirm-discard'))?.getState()).toBe('failed');
    expect((await findJobRecord(h.database.db, 'all', 'set', 'confirm-discard'))?.estado).toBe('falhou');

    // Another tenant's operator confirming it discards nothing.
    const b = await h.login('opb');
    await post(b.cookie, '/dashboard/acoes/descartar', { _csrf: b.csrf, job: 'set/confirm-discard', confirmado: '1' });
    expect(await (await h.producer.getJob('set', 'confirm-discard'))?.getState()).toBe('failed');

    const confirmed = await post(cookie, '/dashboard/acoes/descartar', {
      _csrf: csrf,
      job: 'set/confirm-discard',
      confirmado: '1',
      voltar: '/dashboard/jobs/set/confirm-discard',
    });
    expect(confirmed.statusCode).toBe(302);
    expect(confirmed.headers.location).toBe('/dashboard/jobs/set/confirm-discard?feito=1&acao=discard');
    expect(await h.producer.getJob('set', 'confirm-discard')).toBeUndefined();
    expect(flashOf(await get(cookie, confirmed.headers.location as string))).toBe('1 job descartado.');
    expect(flashOf(await get(cookie, `${confirmed.headers.location}&lang=en`))).toBe('1 job discarded.');
    // A confirmation's `voltar` of another site is not followed.
    const away = await post(cookie, '/dashboard/acoes/descartar', {
      _csrf: csrf,
      job: 'set/confirm-discard',
      confirmado: '1',
      voltar: 'https://elsewhere.example/dashboard',
    });
    expect(away.headers.location).toMatch(/^\/dashboard\/falhas\?/);
  });

  it("retry all asks first saying how many held SET records it releases and sends again, counting the viewer's jobs only", async () => {
    const held = { classe: 'PermanentError', codigo: 'SET_RECORD_HELD', mensagem: 'integracao #19: record id42 not sent again' };
    await h.recordSetJob('confirm-held-1', { erro: held });
    await h.recordSetJob('confirm-held-2', { erro: held });
    await h.recordSetJob('confirm-refused');
    // Tenant B's held job is not counted for tenant A's operator.
    await h.recordSetJob('confirm-held-b', { empresaId: h.empresaB, erro: held });
    const { cookie, csrf } = await h.login('opa');
    const asked = await post(cookie, '/dashboard/acoes/reprocessar', { _csrf: csrf, modo: 'filtro', filtro_q: 'confirm-' });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('Reprocessar 3 jobs que falharam neste filtro?');
    expect(unescapeHtml(asked.body)).toContain(
      '<p id="retidos" class="flash err">2 deles falharam com registro retido (SET_RECORD_HELD: o ERP já aceitou o registro e nada foi gravado no CRM): reprocessar libera o registro e o envia de novo ao ERP, o que pode duplicá-lo lá. Confira no ERP antes de confirmar.</p>',
    );
    const english = await h.app.inject({
      method: 'POST',
      url: '/dashboard/acoes/reprocessar?lang=en',
      headers: { cookie, host: 'dash.test', referer: 'http://dash.test/dashboard/falhas?estado=todos&lang=en' },
      payload: { _csrf: csrf, modo: 'filtro', filtro_q: 'confirm-held-1' },
    });
    expect(unescapeHtml(english.body)).toContain(
      '1 of them failed holding back a record (SET_RECORD_HELD: the ERP already accepted the record and nothing was written to the CRM): retrying releases the record and sends it to the ERP again, which may duplicate it there.',
    );
    // A filter without a held job says nothing of it.
    const plain = await post(cookie, '/dashboard/acoes/reprocessar', { _csrf: csrf, modo: 'filtro', filtro_q: 'confirm-refused' });
    expect(plain.body).toContain('Reprocessar 1 job que falhou');
    expect(plain.body).not.toContain('id="retidos"');
  });

  it('retry all counts the held SET records among the jobs it retries only (at most 5000), not past them', async () => {
    const base = { empresaId: h.empresaA, filialId: null, fila: 'set', nomeJob: 'integration.run', integracaoId: 19 } as const;
    const failed = { estado: 'falhou', tentativas: 1, maxTentativas: 1, parametros: {} } as const;
    await recordJobEvents(
      h.database.db,
      Array.from({ length: 5000 }, (_, i) => ({
        ...base,
        ...failed,
        jobId: `cap-${i}`,
        erro: { classe: 'PermanentError', codigo: 'RECEPTOR_ERROR', mensagem: 'recusado' },
      })),
    );
    // The 5001st: held, and left out of the 5000 the retry takes (the first by id).
    await h.recordSetJob('cap-held', { erro: { classe: 'PermanentError', codigo: 'SET_RECORD_HELD', mensagem: 'held' } });
    const { cookie, csrf } = await h.login('opa');
    const asked = await post(cookie, '/dashboard/acoes/reprocessar', { _csrf: csrf, modo: 'filtro', filtro_q: 'cap-' });
    expect(asked.body).toContain('Reprocessar 5000 jobs que falharam neste filtro?');
    expect(asked.body).not.toContain('id="retidos"');
  });

  it('retry selected with whole groups asks first as retry all does: count, held records, and a count changed since', async () => {
    const held = { classe: 'PermanentError', codigo: 'SET_RECORD_HELD', mensagem: 'integracao #19: record id42 not sent again' };
    for (const id of ['group-held-1', 'group-held-2']) {
      await h.failSetJobs([id]);
      await h.recordSetJob(id, { erro: held });
    }
    const grupo = `${h.empresaA}/19/SET_RECORD_HELD`;
    const { cookie, csrf } = await h.login('opa');
    const selection = { _csrf: csrf, modo: 'selecao', grupo, filtro_q: 'group-held-' };
    const asked = await post(cookie, '/dashboard/acoes/reprocessar', selection);
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('Reprocessar 2 jobs que falharam nos grupos e linhas selecionados?');
    expect(unescapeHtml(asked.body)).toContain('<p id="retidos" class="flash err">2 deles falharam com registro retido');
    expect(asked.body).toContain(`<input type="hidden" name="grupo" value="${grupo}">`);
    expect(asked.body).toContain('<input type="hidden" name="esperado" value="2">');
    expect(await (await h.producer.getJob('set', 'group-held-1'))?.getState()).toBe('failed');

    // Another tenant's operator confirming tenant A's group retries nothing.
    const b = await h.login('opb');
    const crafted = await post(b.cookie, '/dashboard/acoes/reprocessar', { ...selection, _csrf: b.csrf, esperado: '2' });
    expect(crafted.headers.location).toContain('vazio=1');
    expect(await (await h.producer.getJob('set', 'group-held-1'))?.getState()).toBe('failed');

    // A run of the group failed after the confirmation was shown: nothing retried, asked again with the new count.
    await h.failSetJobs(['group-held-3']);
    await h.recordSetJob('group-held-3', { erro: held });
    const changed = await post(cookie, '/dashboard/acoes/reprocessar', { ...selection, esperado: '2' });
    expect(changed.statusCode).toBe(200);
    expect(flashOf(changed.body)).toBe(
      'Nada foi reprocessado: o filtro agora encontra 3 jobs que falharam a reprocessar, não os 2 confirmados. Confira a lista e confirme de novo.',
    );
    expect(await (await h.producer.getJob('set', 'group-held-3'))?.getState()).toBe('failed');

    const confirmed = await post(cookie, '/dashboard/acoes/reprocessar', { ...selection, esperado: '3' });
    expect(confirmed.statusCode).toBe(302);
    expect(confirmed.headers.location).toContain('feito=3');
    for (const id of ['group-held-1', 'group-held-2', 'group-held-3'])
      expect(await (await h.producer.getJob('set', id))?.getState()).not.toBe('failed');
  });

  it('says that nothing was selected instead of "0 job(s)"', async () => {
    const { cookie, csrf } = await h.login('opa');
    for (const [url, payload] of [
      ['/dashboard/acoes/descartar', { _csrf: csrf }],
      ['/dashboard/acoes/reprocessar', { _csrf: csrf, modo: 'selecao' }],
    ] as const) {
      const answer = await post(cookie, url, payload);
      expect(answer.headers.location).toBe('/dashboard/falhas?estado=todos&vazio=1');
      expect(flashOf(await get(cookie, answer.headers.location as string))).toBe('Nenhum job selecionado; nada foi feito.');
    }
  });

  it('pauses an empresa only after a confirmation naming it; the pause shows on the overview and Falhas, to its viewers only', async () => {
    const { cookie, csrf } = await h.login('opa');
    const empresa = String(h.empresaA);
    const asked = await post(cookie, '/dashboard/acoes/empresa', { _csrf: csrf, empresa, modo: 'pausar' });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain(`Pausar a empresa Empresa SET (#${empresa})? Os agendamentos dela param`);
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);
    // Tenant B's operator is not asked about tenant A (a 404, as the pause itself answers).
    const b = await h.login('opb');
    expect((await post(b.cookie, '/dashboard/acoes/empresa', { _csrf: b.csrf, empresa, modo: 'pausar' })).statusCode).toBe(404);

    const confirmed = await post(cookie, '/dashboard/acoes/empresa', { _csrf: csrf, empresa, modo: 'pausar', confirmado: '1' });
    expect(confirmed.headers.location).toBe(`/dashboard/agendamentos?pausada=${empresa}`);
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(true);
    expect(flashOf(await get(cookie, confirmed.headers.location as string))).toBe(`Empresa Empresa SET (#${empresa}) pausada.`);
    // Another tenant's id in the query words nothing.
    expect(flashOf(await get(b.cookie, confirmed.headers.location as string))).toBeUndefined();

    for (const url of ['/dashboard', '/dashboard/falhas']) {
      expect(await get(cookie, url)).toMatch(
        new RegExp(`id="empresas-pausadas">Empresas pausadas [^<]*<a [^>]*><span class="badge pausada">Empresa SET \\(#${empresa}\\)`),
      );
      expect(await get(b.cookie, url)).not.toContain('empresas-pausadas');
    }

    const resumed = await post(cookie, '/dashboard/acoes/empresa', { _csrf: csrf, empresa, modo: 'retomar' });
    expect(resumed.headers.location).toBe(`/dashboard/agendamentos?retomada=${empresa}`);
    expect(await isTenantPaused(h.redis, h.prefix, h.empresaA)).toBe(false);
    expect(await get(cookie, '/dashboard')).not.toContain('empresas-pausadas');
  });
});
