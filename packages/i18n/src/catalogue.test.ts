import { defineCatalogue, defineTexts, fillTemplate, plural } from './catalogue';
import { localeFromAcceptLanguage } from './locale';

describe('message catalogue', () => {
  const catalogue = defineCatalogue({
    NOT_FOUND: { 'pt-BR': 'a integração #{id} não existe', en: 'integration #{id} does not exist' },
  });

  it('renders a code in each locale with its placeholders filled', () => {
    expect(catalogue.message('pt-BR', 'NOT_FOUND', { id: 7 })).toBe('a integração #7 não existe');
    expect(catalogue.message('en', 'NOT_FOUND', { id: '7' })).toBe('integration #7 does not exist');
    expect(catalogue.has('NOT_FOUND')).toBe(true);
    expect(catalogue.has('OTHER')).toBe(false);
  });

  it('keeps a placeholder without a value visible, in every catalogue alike', () => {
    expect(fillTemplate('falta {nome} em {tabela}', { tabela: 'contas' })).toBe('falta {nome} em contas');
    expect(catalogue.message('pt-BR', 'NOT_FOUND')).toBe('a integração #{id} não existe');
  });

  it('picks per-locale text objects and the locale of an Accept-Language header', () => {
    const texts = defineTexts({ 'pt-BR': { hello: 'olá' }, en: { hello: 'hello' } });
    expect(texts('en').hello).toBe('hello');
    expect(localeFromAcceptLanguage('en-US,en;q=0.9')).toBe('en');
    expect(localeFromAcceptLanguage('fr, pt-BR;q=0.5')).toBe('pt-BR');
    expect(localeFromAcceptLanguage(undefined)).toBe('pt-BR');
  });
});

describe('plural', () => {
  it('takes the singular for exactly one and the plural for zero and more', () => {
    expect([0, 1, 2].map((n) => plural(n, 'falha', 'falhas'))).toEqual(['0 falhas', '1 falha', '2 falhas']);
    expect(plural(1, 'failure', 'failures')).toBe('1 failure');
  });
});
