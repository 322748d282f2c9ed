import { ConfigError } from './load-config';
import { preferredLocale } from './preferred-locale';

describe('preferredLocale', () => {
  it('reads INTEGRADOR_LANG first, then LC_ALL, LC_MESSAGES and LANG in that order', () => {
    expect(preferredLocale({ INTEGRADOR_LANG: 'en', LC_ALL: 'pt_BR.UTF-8' })).toBe('en');
    expect(preferredLocale({ INTEGRADOR_LANG: 'pt-BR', LANG: 'en_US.UTF-8' })).toBe('pt-BR');
    expect(preferredLocale({ LC_ALL: 'en_GB.UTF-8', LC_MESSAGES: 'pt_BR', LANG: 'pt_BR' })).toBe('en');
    expect(preferredLocale({ LC_MESSAGES: 'en_US', LANG: 'pt_BR.UTF-8' })).toBe('en');
    expect(preferredLocale({ LANG: 'en_US.UTF-8' })).toBe('en');
    expect(preferredLocale({ LANG: 'pt_PT.UTF-8' })).toBe('pt-BR');
    // An empty variable counts as unset.
    expect(preferredLocale({ INTEGRADOR_LANG: '', LC_ALL: '', LANG: 'en' })).toBe('en');
  });

  it('gives undefined (the caller default) for C, POSIX, other languages and nothing set', () => {
    expect(preferredLocale({})).toBeUndefined();
    expect(preferredLocale({ LANG: 'C.UTF-8' })).toBeUndefined();
    expect(preferredLocale({ LC_ALL: 'POSIX', LANG: 'en_US' })).toBeUndefined();
    expect(preferredLocale({ LANG: 'de_DE.UTF-8' })).toBeUndefined();
  });

  it('refuses an INTEGRADOR_LANG naming no language it speaks, naming the variable', () => {
    expect(() => preferredLocale({ INTEGRADOR_LANG: 'fr' })).toThrow(ConfigError);
    expect(() => preferredLocale({ INTEGRADOR_LANG: 'fr' })).toThrow(
      'invalid environment variable INTEGRADOR_LANG: expected pt-BR or en, got "fr"',
    );
  });
});
