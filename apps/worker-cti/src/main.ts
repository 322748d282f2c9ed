// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { SettingsCache, TtlCache } from '@integrador/cti';
import { pingProcessor } from '@integrador/queue';
import { runWorkerApp } from '@integrador/runtime';
import { startCtiSweep } from './cti-sweep';
import { createCallEventProcessor } from './processors/call-event.processor';
import { createClickToCallProcessor } from './processors/click-to-call.processor';

// The cti worker (seed 002): PBX call events (call log, caller lookup, screen pop) and click-to-call; one process per
// replica, scaled on the depth of the "cti" queue.
runWorkerApp('worker-cti', 'cti', (deps, services) => {
  const { config } = deps;
  const db = deps.database.db;
  const callDeps = {
    db,
    redis: services.redis,
    prefix: config.keyPrefix,
    callTimeoutMs: config.cti.callTimeoutMs,
    ringTimeoutMs: config.cti.ringTimeoutMs,
    extensionCallTimeoutMs: config.cti.extensionCallTimeoutMs,
    settings: new SettingsCache(db),
    // A usuario's new ramal applies to calls within 5 s, as a settings change does.
    usuarios: new TtlCache<number | null>(5000),
  };
  const sweep = startCtiSweep(callDeps, config.cti.sweepIntervalMs, deps.logger);
  services.shutdown.add('cti sweep', async () => sweep.stop());
  return {
    'system.ping': pingProcessor,
    'cti.call-event': createCallEventProcessor(callDeps),
    'cti.click-to-call': createClickToCallProcessor({
      db: deps.database.db,
      env: config.secretSource,
      pbxTimeoutMs: config.cti.pbxTimeoutMs,
      expiryMs: config.cti.clickToCallExpiryMs,
      lockMs: config.jobLockMs,
    }),
  };
}).catch((err: unknown) => {
  process.stderr.write(`worker-cti failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
