#!/usr/bin/env node
import fs from 'node:fs';
// Compiles every app, with the workspace packages it imports, into apps/<app>/dist/main.js (+ .js.map), so that
// the fleet, the workers and the CLI start as plain JavaScript instead of compiling TypeScript at every start.
//
// Why esbuild and a bundle per app rather than `tsc` per package: the packages export their TypeScript sources
// (`exports: "./src/index.ts"`, `moduleResolution: bundler`, imports without extensions), which tsx, jest and the
// typecheck read directly; emitting them with tsc would mean a dist and a second set of `exports` per package. A
// bundle inlines the workspace packages and leaves node_modules external, takes about a second for all apps, and is
// what tsx already does at run time (esbuild is the compiler under tsx), so the compiled code is the code the tests
// run. Type checking stays `npm run typecheck`; this script only compiles.
//
// Usage: node scripts/build.mjs [--quiet] [--if-stale]
//   --if-stale  skip the build when every app's dist/main.js is newer than every source file and manifest (npm start)
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILTINS = new Set(builtinModules);

/**
 * Dependencies an app loads only when first used (see lazyModule). The CLI answers --help and most commands without
 * a queue: bullmq (with msgpackr's native probing), ioredis and cron-parser are most of its start-up time otherwise;
 * the others are only needed by some commands. Only packages whose module object is not itself called (pino is).
 */
const LAZY = {
  cli: ['bullmq', 'ioredis', 'cron-parser', 'ajv', 'yaml', 'cli-progress', 'undici', 'libphonenumber-js'],
  // The ingress answers /healthz before any CTI number is normalised, webhook sent or schedule computed.
  ingress: ['libphonenumber-js', 'cron-parser'],
};

/** Each app's entry: src/main.ts, or src/server.ts for the ingress (its main is the listener). */
export function appEntries(root = ROOT) {
  const apps = path.join(root, 'apps');
  const entries = [];
  for (const name of fs.readdirSync(apps).sort()) {
    const entry = ['src/main.ts', 'src/server.ts'].map((file) => path.join(apps, name, file)).find((file) => fs.existsSync(file));
    if (entry) entries.push({ name, entry, outfile: path.join(apps, name, 'dist/main.js'), lazy: LAZY[name] ?? [] });
  }
  return entries;
}

/**
 * A stand-in for an external package that requires it on first use. esbuild compiles `import { Queue } from 'bullmq'`
 * to a module object whose properties are getters (`import_bullmq.Queue` at each use); listing those properties must
 * not load the package, so the names (and whether it is transpiled ESM) are read here, at build time, from the
 * installed package.
 */
function lazyModule(specifier, outfile) {
  const real = createRequire(outfile)(specifier);
  return `const names = ${JSON.stringify(Object.keys(real))};
let loaded;
const load = () => (loaded ??= require(${JSON.stringify(specifier)}));
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? ${Boolean(real.__esModule)} : load()[key]),
  has: (_, key) => names.includes(key),
  ownKeys: () => names,
  getOwnPropertyDescriptor: (_, key) =>
    names.includes(key) ? { configurable: true, enumerable: true, get: () => load()[key] } : undefined,
});
`;
}

/** The name of the package a bare import names: `pg`, `@fastify/swagger`, `tsx` for `tsx/cjs/api`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The folder Node would load a package from, starting at a directory (the node_modules lookup of require). */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (dir === path.dirname(dir)) return undefined;
  }
}

/**
 * Dependencies stay external (native modules, files read next to their code, one copy shared with the tests), except
 * the workspace packages (TypeScript, inlined) and a dependency that a package resolves to another version than the
 * bundle's folder would (e.g. a package's own node_modules/lru-cache): that one is inlined so each import keeps its
 * version.
 */
function externals(outfile, lazy) {
  return {
    name: 'externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || BUILTINS.has(args.path.split('/')[0])) return { path: args.path, external: true };
        // The stand-in's own require of the package.
        if (args.namespace === 'lazy') return { path: args.path, external: true };
        const name = packageName(args.path);
        if (name.startsWith('@integrador/')) return undefined;
        const fromImporter = packageDir(name, args.resolveDir);
        const fromBundle = packageDir(name, path.dirname(outfile));
        if (fromImporter !== fromBundle) return undefined;
        return lazy.includes(name) ? { path: args.path, namespace: 'lazy' } : { path: args.path, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
        contents: lazyModule(args.path, outfile),
        loader: 'js',
        resolveDir: path.dirname(outfile),
      }));
    },
  };
}

/** The newest modification time (ms) of the files under a folder, skipping node_modules and dist. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Whether some app has no build, or a source file, manifest or this script changed after the oldest build. */
export function isStale(root = ROOT) {
  const outputs = appEntries(root).map((app) => app.outfile);
  if (!outputs.every((file) => fs.existsSync(file))) return true;
  const built = Math.min(...outputs.map((file) => fs.statSync(file).mtimeMs));
  const inputs = [path.join(root, 'apps'), path.join(root, 'packages')].map(newestMtime);
  const files = ['package.json', 'package-lock.json', 'scripts/build.mjs'].map((file) => fs.statSync(path.join(root, file)).mtimeMs);
  return Math.max(...inputs, ...files) > built;
}

/** Builds one app; resolves with esbuild's warnings. */
async function buildApp({ entry, outfile, lazy }) {
  // Loaded here: `--if-stale` with nothing to do must not pay for loading esbuild.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Stack traces point at the TypeScript files (node --enable-source-maps); the sources stay in the repository and
    // the image, so the map does not embed them.
    sourcemap: true,
    sourcesContent: false,
    // pino and Fastify name things by function/class name; keep them.
    keepNames: true,
    plugins: [externals(outfile, lazy)],
    logLevel: 'silent',
  });
  return result.warnings;
}

/** Builds every app in parallel. */
export async function buildAll(root = ROOT) {
  const apps = appEntries(root);
  const warnings = await Promise.all(apps.map(buildApp));
  return { apps, warnings: warnings.flat() };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const quiet = process.argv.includes('--quiet');
  const started = Date.now();
  if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);
  buildAll().then(
    async ({ apps, warnings }) => {
      if (warnings.length) {
        const { formatMessages } = await import('esbuild');
        const text = await formatMessages(warnings, { kind: 'warning' });
        process.stderr.write(text.join(''));
      }
      if (!quiet) {
        const names = apps.map((app) => app.name).join(', ');
        process.stderr.write(`build: ${apps.length} apps (${names}) → apps/<app>/dist/main.js in ${Date.now() - started} ms\n`);
      }
    },
    (err) => {
      process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
