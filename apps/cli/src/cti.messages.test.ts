import { EXTENSION_EXPIRED, RING_EXPIRED } from '@integrador/cti';
import { ctiMessages } from './cti.messages';

describe('cti calls: the status column', () => {
  const line = (locale: 'pt-BR' | 'en', status: string) =>
    ctiMessages(locale).callLine({
      id: 1,
      when: '2026-12-05 21:00',
      direcao: 'saida',
      ramal: '3501',
      telefone: '1133334444',
      status,
      duracao: '0',
      conta: '-',
    });

  it('words every status the hub writes under --lang en, the sweep’s closes included', () => {
    expect(line('en', EXTENSION_EXPIRED)).toContain('extension, no end');
    expect(line('en', RING_EXPIRED)).toContain('unanswered');
    expect(line('en', 'em andamento')).toContain('in progress');
    expect(line('en', EXTENSION_EXPIRED)).not.toContain('ramal sem fim');
  });

  it('keeps the stored pt-BR word in Portuguese, and an unknown value as it is', () => {
    expect(line('pt-BR', EXTENSION_EXPIRED)).toContain('ramal sem fim');
    expect(line('en', 'ocupado')).toContain('ocupado');
  });
});
