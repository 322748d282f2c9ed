/**
 * The hub's release version: the root package.json's, the one owner (the chart's appVersion and the image tag follow
 * it). The build (esbuild) inlines that file into each app's bundle, so a built app reports the version it was built
 * as; from source (tsx, jest) it is read where it lies.
 */
export const HUB_VERSION: string = require('../../../package.json').version;
