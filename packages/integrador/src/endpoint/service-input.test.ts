import type { ServicoEndpointInput } from '@integrador/store';
import { statusMessage } from './endpoint-messages';
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

  it('refuses a 4-field cron and a step wider than its field, which the schedules would refuse, worded per language', () => {
    const four = checkServiceInput({ ...SERVICE, cron: '*/5 * * *' });
    expect(four).toEqual({ field: 'body.cron', code: 'CRON_FIELD_COUNT', params: { value: '*/5 * * *', count: '4' } });
    const step = checkServiceInput({ ...SERVICE, cron: '*/61 * * * *' });
    expect(step).toEqual({
      field: 'body.cron',
      code: 'CRON_STEP_TOO_WIDE',
      params: { value: '*/61 * * * *', step: '61', min: '0', max: '59' },
    });
    if (!step) throw new Error('refused above');
    expect(statusMessage('pt-BR', step.code, step.params)).toBe(
      'cron "*/61 * * * *" inválido (o passo /61 é maior que o intervalo 0-59 do seu campo); esperado um padrão como "0 */6 * * *" (minuto hora dia mês dia-da-semana)',
    );
    expect(statusMessage('en', step.code, step.params)).toMatch(
      /^invalid cron "\*\/61 \* \* \* \*" \(step \/61 is wider than its field's 0-59 range\)/,
    );
    // What cron-parser itself refuses keeps INPUT_CRON, its reason as the library words it.
    expect(checkServiceInput({ ...SERVICE, cron: 'toda hora' })).toMatchObject({ code: 'INPUT_CRON', params: { value: 'toda hora' } });
  });
});
