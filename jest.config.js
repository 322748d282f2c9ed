/**
 * Jest runs the TypeScript sources through SWC (ts-jest does not accept TypeScript 7).
 * Two dependencies of Fastify's plugins ship ESM only (cookie, content-disposition); Node 20.19+ loads them
 * with require(esm) at run time, but Jest's module system does not, so SWC turns them into CommonJS here.
 */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, '/node_modules/(cookie|content-disposition)/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition)/)'],
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/apps/*/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 1,
};
