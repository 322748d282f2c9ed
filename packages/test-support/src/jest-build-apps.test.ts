import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './processes';

type GlobalSetup = (globalConfig: { rootDir: string }) => void;

/** The global setup jest.config.js names, loaded as Jest loads it. */
function globalSetup(): GlobalSetup {
  const config = require(path.join(ROOT, 'jest.config.js')) as { globalSetup?: string };
  if (!config.globalSetup) throw new Error('jest.config.js names no globalSetup');
  return (require(config.globalSetup.replace('<rootDir>', ROOT)) as { default: GlobalSetup }).default;
}

/** Writes a file with a modification time `ageMs` from now (negative: in the past), as an edit at that time would. */
function writeAt(file: string, text: string, ageMs: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  const at = new Date(Date.now() + ageMs);
  fs.utimesSync(file, at, at);
}

// A suite run right after an edit must test the edit: the apps it spawns are builds, refreshed by the global setup.
describe('the jest global setup builds the apps when a source changed', () => {
  let root: string;
  const output = () => execFileSync(process.execPath, [path.join(root, 'apps/demo/dist/main.js')], { encoding: 'utf8' }).trim();
  const builtAt = () => fs.statSync(path.join(root, 'apps/demo/dist/main.js')).mtimeMs;

  beforeAll(() => {
    // A repository of one app that bundles one workspace package, built by a copy of the real build script.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-build-'));
    const past = -60_000;
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts/build.mjs'), path.join(root, 'scripts/build.mjs'));
    fs.utimesSync(path.join(root, 'scripts/build.mjs'), new Date(Date.now() + past), new Date(Date.now() + past));
    writeAt(path.join(root, 'package.json'), '{}', past);
    writeAt(path.join(root, 'package-lock.json'), '{}', past);
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    writeAt(path.join(root, 'apps/demo/src/main.ts'), "import { word } from '../../../packages/words/src';\nconsole.log(word);\n", past);
    writeAt(path.join(root, 'packages/words/src/index.ts'), "export const word: string = 'um';\n", past);
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds a missing build, leaves a fresh one alone, and rebuilds after a package the app bundles changed', () => {
    const setup = globalSetup();
    setup({ rootDir: root });
    expect(output()).toBe('um');

    const first = builtAt();
    setup({ rootDir: root });
    expect(builtAt()).toBe(first);

    // Edited after the build: a packages/* source, not the app's own.
    writeAt(path.join(root, 'packages/words/src/index.ts'), "export const word: string = 'dois';\n", 5_000);
    setup({ rootDir: root });
    expect(output()).toBe('dois');
  }, 60_000);
});
