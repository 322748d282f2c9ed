/**
 * Jest runs the TypeScript sources through SWC (ts-jest does not accept TypeScript 7).
 * Some dependencies ship ESM only: cookie and content-disposition (Fastify plugins), and got with most of its tree.
 * Node 20.19+ loads them with require(esm) at run time, but Jest's module system does not, so SWC turns them into
 * CommonJS here. `esmOnly` lists those with no "require" export (keyv, @keyv/serialize and form-data-encoder have one);
 * got's and cacheable-request's own node_modules hold only ESM-only versions (decompress-response, mimic-response,
 * get-stream, is-stream) and are transformed whole, while the CommonJS copies of those names higher up are left alone.
 * After upgrading got, a "Must use import to load ES Module" names the package to add.
 */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];
const esmOnly = [
  'cookie',
  'content-disposition',
  'got',
  '@sindresorhus/is',
  '@sec-ant/readable-stream',
  'byte-counter',
  'cacheable-lookup',
  'cacheable-request',
  'lowercase-keys',
  'normalize-url',
  'p-cancelable',
  'responselike',
].join('|');
const esmNested = 'got|cacheable-request';

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, [`/node_modules/(${esmOnly})/.+\\.js$`]: swc },
  transformIgnorePatterns: [`(?<!/node_modules/(${esmNested}))/node_modules/(?!(${esmOnly})/)`],
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/apps/*/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // better-sqlite3's errors in every test file are that file's Errors (the file says why).
  // The suite's doubles listen on loopback: the test run opens it as an operator would (OUTBOUND_ALLOW_LOOPBACK).
  // The suites start the compiled apps: rebuilt here when stale (the file says why).
  globalSetup: '<rootDir>/packages/test-support/src/jest-build-apps.ts',
  setupFiles: ['<rootDir>/packages/test-support/src/jest-sqlite-realm.ts', '<rootDir>/packages/test-support/src/jest-loopback-doubles.ts'],
  testTimeout: 60000,
  maxWorkers: 1,
};
