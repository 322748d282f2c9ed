import { createRedis, isTenantPaused } from '@integrador/queue';
import { findJobRecord } from '@integrador/store';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { Worker } from 'bullmq';
import { suiteHarness } from './support/dashboard-harness';

/**
 * The operator trial's F13 and F9: "Descartar" and "Pausar empresa" ask first (as the bulk retry does), say what they
 * did in words, and a paused empresa shows on the overview and the failures list — to its own viewers only.
 */
describe('dashboard: discard and tenant pause ask first and say what they did', () => {
  const h = suiteHarness();

  const unescapeHtml = (text: string) => text.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
  const flashOf = (body: string) => {
    const text = /<div class="flash[^"]*" role="status">([^<]*)<\/div>/.exec(body)?.[1];
    return text === undefined ? undefined : unescapeHtml(text);
  };
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
    const queue = h.producer.queue('set');
    const connection = createRedis(TEST_REDIS_URL, { role: 'worker' });
    const worker = new Worker(
      'set',
      async () => {
        throw new Error('recusado');
      },
      { connection, prefix: h.prefix },
    );
    try {
      const data = { tenant: { empresaId: h.empresaA, filialId: null }, integracaoId: 19 };
      await queue.add('integration.run' as never, data as never, { jobId, attempts: 1 } as never);
      for (let i = 0; i < 200 && (await queue.getJob(jobId))?.finishedOn === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.close();
      connection.disconnect();
    }
    await h.recordSetJob(jobId);
  }

  it('discards only after a confirmation naming the job and its customer, then words the result', async () => {
    await failedJob('confirm-discard');
    const { cookie, csrf } = await h.login('opa');
    const asked = await post(cookie, '/dashboard/acoes/descartar', { _csrf: csrf, job: 'set/confirm-discard' });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain(
      'Descartar 1 job(s)? Eles não serão mais reprocessados: o que não foi enviado ao sistema de destino fica sem envio.',
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
    expect(flashOf(await get(cookie, confirmed.headers.location as string))).toBe('1 job(s) descartado(s).');
    expect(flashOf(await get(cookie, `${confirmed.headers.location}&lang=en`))).toBe('1 job(s) discarded.');
    // A confirmation's `voltar` of another site is not followed.
    const away = await post(cookie, '/dashboard/acoes/descartar', {
      _csrf: csrf,
      job: 'set/confirm-discard',
      confirmado: '1',
      voltar: 'https://elsewhere.example/dashboard',
    });
    expect(away.headers.location).toMatch(/^\/dashboard\/falhas\?/);
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
