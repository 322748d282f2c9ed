import type { ServicoEndpointInput } from '@integrador/store';
import { checkServiceInput } from './service-input';

const SERVICE: ServicoEndpointInput = {
  nome: 'ERP',
  urlBase: 'https://erp.example.com',
  autenticacao: 'nenhuma',
  usuario: null,
  segredoRef: null,
  ativo: true,
  eventos: [{ tipo: 'contato', url: 'https://erp.example.com/contatos' }],
};

describe('checkServiceInput: cron', () => {
  it('accepts 5 fields, or 6 with seconds first', () => {
    for (const cron of ['*/15 * * * *', '*/30 * * * * *']) expect(checkServiceInput({ ...SERVICE, cron })).toBeNull();
  });

  it('refuses a 4-field cron and a step wider than its field, which the schedules would refuse', () => {
    expect(checkServiceInput({ ...SERVICE, cron: '*/5 * * *' })).toMatchObject({
      field: 'body.cron',
      code: 'INPUT_CRON',
      params: { value: '*/5 * * *', detail: expect.stringContaining('expected 5 fields') },
    });
    expect(checkServiceInput({ ...SERVICE, cron: '*/61 * * * *' })).toMatchObject({ code: 'INPUT_CRON' });
  });
});
