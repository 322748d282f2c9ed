import { buildApps } from './processes';

/**
 * Jest's global setup: the suites start the apps from their builds (spawnApp, runCli), so the run first rebuilds
 * them when a source under apps/ or packages/ changed since the last build, once, before any suite: `npx jest <file>`
 * after an edit tests the edit, and `npm test`, which builds first, pays only the staleness check.
 */
export default function buildAppsOnce(globalConfig: { rootDir: string }): void {
  buildApps(globalConfig.rootDir);
}
