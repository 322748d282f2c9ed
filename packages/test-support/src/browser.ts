import { type Browser, chromium } from 'playwright-core';
import { testEnv } from './test-env';

/** Debian's chromium (installed by .ci/run), never a downloaded browser. */
export const CHROMIUM_PATH = testEnv().chromiumPath;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts a headless chromium for a browser test. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}
