import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'sqlite-realm');

/** Runs Jest on the two fixture files, in name order, in one process (as the suite runs: maxWorkers 1). */
function runFixtures(): Promise<{ code: number | null; output: string }> {
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [
    jest,
    '--runInBand',
    '--ci',
    '--testSequencer',
    path.join(FIXTURES, 'sequencer.js'),
    '--testMatch',
    '<rootDir>/test/fixtures/sqlite-realm/*.fixture.ts',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe("Jest's setup for better-sqlite3's errors", () => {
  it('a later test file sees its raw better-sqlite3 errors as Errors: toThrow() and rejects.toThrow() match them', async () => {
    // The first file opens a database (the addon keeps its SqliteError); the second expects SqliteErrors to be thrown.
    const run = await runFixtures();
    expect(run.output).toContain('PASS test/fixtures/sqlite-realm/a-opens.fixture.ts');
    expect(run.output).toContain('PASS test/fixtures/sqlite-realm/b-rejects.fixture.ts');
    expect(run.output).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(run.code).toBe(0);
  }, 120_000);
});
