import type { Viewer } from '../access';

/** An admin operator seeing every tenant, in UTC, as the view tests render pages for (no CSRF form token). */
export const adminViewer = (locale: Viewer['locale']): Viewer => ({
  autor: 'opa',
  operadorId: 1,
  papel: 'admin',
  scope: 'all',
  filialId: null,
  timeZone: 'UTC',
  locale,
  csrf: null,
});
