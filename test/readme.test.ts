import { EnvSchema } from '@integrador/config';
import type { Command } from 'commander';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { messages } from '../apps/cli/src/messages';
import { buildProgram } from '../apps/cli/src/program';
import { buildDocsApp } from './support/docs-app';
import { COMMAND_CELL, README_PATH, type ReadmeRow, ROUTE_CELL, ROW_SHAPES, readmeTable, VARIABLE_CELL } from './support/readme';

// The README's reference tables against the code, so they cannot drift: every route of the OpenAPI document, every
// CLI command commander registers and every variable of the config schema has exactly one row, and every row names
// something that exists. A failure lists each row to add or fix, in the shape the table wants.

const README = README_PATH.replace(`${process.cwd()}/`, '');

/** Rows whose first cell matches `shape`, the others reported as problems; and names given twice. */
function parseRows(
  rows: ReadmeRow[],
  shape: RegExp,
  example: string,
  problems: string[],
  nameOf: (match: RegExpExecArray) => string = (match) => match[1] ?? '',
): Map<string, { row: ReadmeRow; match: RegExpExecArray }> {
  const byName = new Map<string, { row: ReadmeRow; match: RegExpExecArray }>();
  for (const row of rows) {
    const match = shape.exec(row.cells[0] ?? '');
    if (!match) {
      problems.push(`${README}:${row.line}: the first cell must look like ${example}, got "${row.cells[0]}"`);
      continue;
    }
    const name = nameOf(match);
    const earlier = byName.get(name);
    if (earlier) problems.push(`${README}:${row.line}: "${name}" already has a row (line ${earlier.row.line}); keep one`);
    else byName.set(name, { row, match });
  }
  return byName;
}

describe('README route table ("## HTTP API") against the OpenAPI document of the built app', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await buildDocsApp());
  });
  afterAll(async () => {
    await close?.();
  });

  it('has one row per operation, and each row names a route the app serves', () => {
    const problems: string[] = [];
    const rows = parseRows(readmeTable('HTTP API'), ROUTE_CELL, ROW_SHAPES.route, problems, (match) => `${match[1]} ${match[2]}`);
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [openApiPath, operations] of Object.entries(document.paths)) {
      const route = openApiPath.replace(/\{(\w+)\}/g, ':$1');
      for (const method of Object.keys(operations)) {
        const name = `${method.toUpperCase()} ${route}`;
        if (!rows.has(name)) problems.push(`${README} "## HTTP API": no row for ${name}; add | \`${name}\` | what it does |`);
      }
    }
    for (const [name, { row }] of rows) {
      const [method, url] = name.split(' ') as [HTTPMethods, string];
      if (!app.hasRoute({ method, url })) problems.push(`${README}:${row.line}: the app serves no route ${name}; remove or fix the row`);
    }
    expect(problems).toEqual([]);
  });
});

/** Every command that runs something (no subcommands of its own), as its path: `tenant create`, `migrate`. */
function leafCommands(command: Command, prefix: string[] = []): Map<string, Command> {
  const leaves = new Map<string, Command>();
  for (const sub of command.commands) {
    const path = [...prefix, sub.name()];
    if (sub.commands.length === 0) leaves.set(path.join(' '), sub);
    for (const [name, leaf] of leafCommands(sub, path)) leaves.set(name, leaf);
  }
  return leaves;
}

describe('README CLI table ("## CLI") against the commands commander registers', () => {
  it('has one row per command, and each row names a command and options it has', () => {
    const problems: string[] = [];
    const rows = parseRows(readmeTable('CLI'), COMMAND_CELL, ROW_SHAPES.command, problems);
    const program = buildProgram({ locale: 'en', text: messages('en') });
    const commands = leafCommands(program);
    for (const [name, command] of commands) {
      if (!rows.has(name)) {
        const usage = `${name} ${command.usage().replace('[options]', '').trim()}`.trim();
        problems.push(`${README} "## CLI": no row for "integrador ${name}"; add | \`${usage}\` | what it does |`);
      }
    }
    const global = new Set(program.options.map((option) => option.long));
    for (const [name, { row, match }] of rows) {
      const command = commands.get(name);
      if (!command) {
        problems.push(`${README}:${row.line}: there is no command "integrador ${name}"; remove or fix the row`);
        continue;
      }
      const known = new Set([...global, '--help', ...command.options.map((option) => option.long)]);
      for (const flag of (match[2] ?? '').match(/--[a-z][\w-]*/g) ?? []) {
        if (!known.has(flag)) problems.push(`${README}:${row.line}: "integrador ${name}" has no option ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('README configuration table ("## Configuration") against the config schema', () => {
  it('has one row per variable with its default, and each row names a variable the schema reads', () => {
    const problems: string[] = [];
    const rows = parseRows(readmeTable('Configuration'), VARIABLE_CELL, ROW_SHAPES.variable, problems);
    const properties = EnvSchema.properties as Record<string, { default?: unknown }>;
    for (const [name, property] of Object.entries(properties)) {
      const entry = rows.get(name);
      const fallback = property.default === undefined ? 'unset' : `\`${String(property.default)}\``;
      if (!entry) {
        problems.push(`${README} "## Configuration": no row for ${name}; add | \`${name}\` | ${fallback} | what it means |`);
      } else if (property.default !== undefined && !(entry.row.cells[1] ?? '').includes(fallback)) {
        problems.push(`${README}:${entry.row.line}: the default of ${name} is ${fallback}; say so in the second cell`);
      }
    }
    for (const [name, { row }] of rows) {
      // A family of names (`ENDPOINT_SECRET_<empresaId>_<NOME>`) is read by the engine that resolves it, not the schema.
      if (!name.includes('<') && !(name in properties)) {
        problems.push(`${README}:${row.line}: packages/config/src/env.ts reads no ${name}; add it to EnvSchema or remove the row`);
      }
    }
    expect(problems).toEqual([]);
  });
});
