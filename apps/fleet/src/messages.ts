import { defineCatalogue } from '@integrador/i18n';

/** The fleet's own words to the operator who ran `npm start` (its log lines stay English JSON). */
export const FLEET_MESSAGES = defineCatalogue<'PORT_IN_USE'>({
  PORT_IN_USE: {
    'pt-BR':
      'porta {port} em uso (outra frota?): {variable} {port} já está ocupada em {host}; pare o processo que a usa ou escolha outra porta ({variable}). A frota não foi iniciada.',
    en: 'port {port} in use (another fleet?): {variable} {port} is already taken on {host}; stop the process using it or choose another port ({variable}). The fleet was not started.',
  },
});
