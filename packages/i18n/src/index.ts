export { type Catalogue, defineCatalogue, defineTexts, fillTemplate, type MessageParams, type MessageTable, plural } from './catalogue';
export { DEFAULT_LOCALE, LOCALES, type Locale, localeFromAcceptLanguage } from './locale';
export { type PatternTakes, VALIDATION_TEMPLATE, type ValidationIssue, validationMessage } from './validation-message';
