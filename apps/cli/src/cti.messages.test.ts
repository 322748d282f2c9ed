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

describe('integrador cti: counts and the ramal length', () => {
  it('puts a count in the number it takes: one record is singular, never "1 registros" (trial finding 5)', () => {
    expect(ctiMessages('pt-BR').reindexed(1)).toBe('1 registro reindexado');
    expect(ctiMessages('pt-BR').reindexed(0)).toBe('0 registros reindexados');
    expect(ctiMessages('pt-BR').reindexed(12)).toBe('12 registros reindexados');
    expect(ctiMessages('en').reindexed(1)).toBe('1 record re-indexed');
    expect(ctiMessages('en').reindexed(2)).toBe('2 records re-indexed');
  });

  it('says what --ramal-length counts, its default and that 5-digit extensions need 5 (trial finding 5)', () => {
    expect(ctiMessages('pt-BR').ramalLengthOption).toContain('padrão 4; um PABX de ramais de 5 dígitos pede 5');
    expect(ctiMessages('en').ramalLengthOption).toContain('default 4; a PBX with 5-digit extensions needs 5');
  });
});
