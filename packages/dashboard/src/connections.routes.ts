import { connectionUsableBy, testConnection } from '@integrador/integrador';
import type { ConnectionTestResult } from '@integrador/sources';
import { type ConexaoIntegracao, findTenantConexao, listConexoesOfEmpresas } from '@integrador/store';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { canAct, seesTenant, type Viewer, viewerOf } from './access';
import { auditAction } from './actions';
import type { DashboardDeps } from './deps';
import { formId } from './form-input';
import { html, type Raw } from './html';
import { messages, word } from './i18n';
import { visibleEmpresas } from './pages.routes';
import { sendStatusPage } from './status-page';
import { layout } from './views/layout';

/** A connection's test, shown under its row: the engine's steps, each worded in the viewer's language. */
interface ShownTest {
  conexaoId: number;
  result: ConnectionTestResult;
}

/** Where the connections file stands on a row's nome_conexao for its empresa: defined, missing, or another's. */
type FileState = 'defined' | 'missing' | 'restricted';

function testBlock(viewer: Viewer, shown: ShownTest): Raw {
  const t = messages(viewer.locale);
  return html`<ul id="teste-conexao" data-conexao="${shown.conexaoId}">${shown.result.steps.map(
    (s) =>
      html`<li data-passo="${s.step}" class="${s.ok ? 'concluido' : 'falhou'}"><strong>${word(t.connectionSteps, s.step)}</strong>: ${s.message} <span class="muted">(${s.ms} ms)</span></li>`,
  )}</ul>`;
}

/**
 * The connections the empresas the viewer sees use (conexao_integracao: their own rows and the shared ones their
 * integrações name, tenantConexoesQuery), with the integrações on each and, for operators, "Testar conexão": the
 * engine's testConnection — the one `integrador connections test` and POST /v1/connections/:name/test run — through
 * the outbound guard, answered beside the row in the viewer's language, never with a secret.
 */
export function connectionsRoutes(deps: DashboardDeps): FastifyPluginAsync {
  const fileState = (conexao: ConexaoIntegracao, empresaId: number): FileState => {
    if (!deps.connections?.get(conexao.nome_conexao)) return 'missing';
    return deps.connections.usableBy(conexao.nome_conexao, empresaId) ? 'defined' : 'restricted';
  };
  return async (app) => {
    const connectionsPage = async (reply: FastifyReply, viewer: Viewer, flash?: { text: string; error?: boolean }, shown?: ShownTest) => {
      const t = messages(viewer.locale);
      const act = canAct(viewer);
      const sections = [];
      const empresas = await visibleEmpresas(deps, viewer);
      // Two statements for every empresa the viewer sees (an admin sees them all), each row bound to its empresa.
      const listed = await listConexoesOfEmpresas(
        deps.database.db,
        empresas.map(({ id }) => Number(id)),
        viewer.filialId,
      );
      for (const { id, nome } of empresas) {
        const empresa = { id: Number(id), nome };
        const { conexoes, integracoes } = listed.get(empresa.id) ?? { conexoes: [], integracoes: [] };
        if (!conexoes.length) continue;
        sections.push(html`<section data-empresa="${empresa.id}"><h2>${empresa.nome} (#${empresa.id})</h2><table><thead><tr><th>#</th><th>${t.name}</th><th>${t.connectionKind}</th><th>${t.connectionFile}</th><th>${t.integrations}</th><th></th></tr></thead><tbody>
${conexoes.map((c) => {
  const state = fileState(c, empresa.id);
  const using = integracoes.filter((i) => i.conexao_integracao_id !== null && Number(i.conexao_integracao_id) === Number(c.id));
  return html`<tr data-conexao="${c.id}"><td>${c.id}</td><td><code>${c.nome_conexao}</code></td><td>${c.tipo_conexao}</td><td class="${state === 'defined' ? 'concluido' : 'falhou'}">${word(t.connectionFileStates, state)}</td><td>${using.length ? using.map((i, n) => html`${n ? ', ' : ''}${i.nome} (#${i.id})`) : '—'}${shown?.conexaoId === c.id ? testBlock(viewer, shown) : ''}</td>
<td>${act ? html`<form method="post" action="/dashboard/acoes/conexao-testar" class="inline"><input type="hidden" name="_csrf" value="${viewer.csrf ?? ''}"><input type="hidden" name="empresa" value="${empresa.id}"><input type="hidden" name="conexao" value="${c.id}"><button>${t.testConnection}</button></form>` : ''}</td></tr>`;
})}
</tbody></table></section>`);
      }
      const body = sections.length ? html`${sections}` : html`<p class="muted">${t.noRows}</p>`;
      return reply.type('text/html').send(layout(viewer, { title: t.connections, active: 'connections', body, flash }));
    };

    app.get('/dashboard/conexoes', async (request, reply) => connectionsPage(reply, viewerOf(request)));

    // The test answers with the page (the steps under the connection's row); nothing is written but the audit row.
    app.post('/dashboard/acoes/conexao-testar', async (request, reply) => {
      const viewer = viewerOf(request);
      if (!canAct(viewer)) return sendStatusPage(reply, viewer, 403);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const empresaId = formId(body, 'empresa');
      const conexaoId = formId(body, 'conexao');
      // An empresa the viewer does not see, or a row that is not this empresa's (another tenant's id): not found.
      const conexao = seesTenant(viewer, empresaId) ? await findTenantConexao(deps.database.db, empresaId, conexaoId) : undefined;
      if (!conexao) return sendStatusPage(reply, viewer, 404);
      const t = messages(viewer.locale);
      const connection = deps.connections?.get(conexao.nome_conexao);
      // The engine's rule of who may test a connection of the file (the /v1 route's): an entry the file restricts to
      // another empresa is refused, naming neither that empresa nor anything of the entry.
      if (!connection || !(await connectionUsableBy(deps.database.db, connection, empresaId))) {
        const state: FileState = connection ? 'restricted' : 'missing';
        return connectionsPage(reply, viewer, { text: t.connectionNotTestable(conexao.nome_conexao, state), error: true });
      }
      const result = await testConnection(connection, { locale: viewer.locale });
      await auditAction(deps, viewer, {
        empresaId,
        acao: 'connection-test',
        alvo: `conexao/${conexao.id} (${conexao.nome_conexao})`,
        quantidade: 1,
        detalhe: { ok: result.ok, ...(result.error ? { codigo: result.error.code } : {}) },
      });
      const text = result.ok
        ? t.connectionTestOk(conexao.nome_conexao, result.serverVersion)
        : t.connectionTestFailed(conexao.nome_conexao, result.error?.message ?? '');
      return connectionsPage(reply, viewer, { text, error: !result.ok }, { conexaoId: conexao.id, result });
    });
  };
}
