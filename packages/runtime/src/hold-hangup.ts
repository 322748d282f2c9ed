// Imported first by every entry point (ingress, dashboard, workers, fleet), before the modules that take a while to
// load: Node's default for SIGHUP ends the process, and a `kill -HUP` to the fleet's group while an app is starting
// (logrotate's postrotate, an operator's habit) would kill it. Until the app's own handler takes over (takeHeldHangup),
// a SIGHUP is only remembered. Nothing imported here: this module must load in no time.

let held = false;
const remember = () => {
  held = true;
};
process.on('SIGHUP', remember);

/**
 * Ends the hold, once the caller's own SIGHUP handler is installed (so that no signal falls between the two), and tells
 * whether a SIGHUP came during the start: the caller acts on it once, now that it can.
 */
export function takeHeldHangup(): boolean {
  process.off('SIGHUP', remember);
  const came = held;
  held = false;
  return came;
}
