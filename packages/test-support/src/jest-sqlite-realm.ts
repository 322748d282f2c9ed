import path from 'node:path';

/**
 * A Jest setup file (jest.config.js `setupFiles`: it runs before every test file, in that file's module registry).
 * better-sqlite3's native addon is loaded once per Jest process and keeps the SqliteError class it was given first:
 * the first test file's, whose prototype chain ends at that file's `Error`. In every later file of the process its
 * errors are then not `instanceof Error`, and `toThrow()` / `rejects.toThrow()` read "did not throw". Handing the addon
 * this file's SqliteError (the one its `require('better-sqlite3')` will load) makes them this file's errors again.
 * Only SqliteError: the addon's own argument errors (TypeError, RangeError) still come from the first file's realm.
 */
interface SqliteAddon {
  setErrorConstructor(errorClass: new (message: string, code: string) => Error): void;
}

const root = path.dirname(require.resolve('better-sqlite3/package.json'));
// better-sqlite3 finds its addon with `bindings`; asked the same way, Node's module cache gives the same addon object.
const addon = require('bindings')({ bindings: 'better_sqlite3.node', module_root: root }) as SqliteAddon;
addon.setErrorConstructor(require(path.join(root, 'lib', 'sqlite-error')));
