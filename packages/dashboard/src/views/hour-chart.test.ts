import type { Viewer } from '../access';
import { hourChart } from './pages';

const viewer = (locale: 'pt-BR' | 'en'): Viewer => ({
  autor: 'api:test',
  operadorId: null,
  papel: 'operador',
  scope: [1],
  filialId: null,
  timeZone: 'America/Sao_Paulo',
  locale,
  csrf: null,
});

// The overview's 24-h chart: each bar's tooltip in the viewer's language and time zone, never a raw UTC hour key.
describe('hourChart tooltips', () => {
  const buckets = [{ at: new Date('2026-12-06T01:00:00Z'), ok: 3, failed: 1 }];
  const titles = (locale: 'pt-BR' | 'en') =>
    [...String(hourChart(viewer(locale), buckets)).matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);

  it('words the counts in the viewer’s language and the hour in its zone', () => {
    // English dates unambiguous (the trial's F15: "12/5/26" read as 12 May), 24-hour.
    expect(titles('en')).toEqual(['5 Dec 2026, 22:00: 3 successes, 1 failure']);
    expect(titles('pt-BR')).toEqual(['05/12/2026, 22:00: 3 sucessos, 1 falha']);
  });

  it('puts each count in the number it takes: one is singular, zero and more plural (never "1 falhas")', () => {
    const one = [{ at: new Date('2026-12-06T01:00:00Z'), ok: 1, failed: 0 }];
    expect(String(hourChart(viewer('pt-BR'), one))).toContain('1 sucesso, 0 falhas</title>');
    expect(String(hourChart(viewer('en'), one))).toContain('1 success, 0 failures</title>');
  });
});
