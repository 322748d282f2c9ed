/** One thing wrong with a connections file; `entry` is the connection name, `field` a dotted path inside it. */
export interface ConnectionsProblem {
  entry?: string;
  field?: string;
  line?: number;
  message: string;
}

/** Formats a problem as one self-contained line. */
export function formatProblem(file: string, problem: ConnectionsProblem): string {
  const line = problem.line === undefined ? '' : `line ${problem.line}: `;
  const entry = problem.entry === undefined ? '' : `connection "${problem.entry}": `;
  const field = problem.field === undefined ? '' : `field "${problem.field}": `;
  return `connections file ${file}: ${line}${entry}${field}${problem.message}`;
}

/** Thrown when the connections file cannot be read or is invalid; the message lists every problem, one per line. */
export class ConnectionsFileError extends Error {
  override name = 'ConnectionsFileError';

  constructor(
    readonly file: string,
    readonly problems: readonly ConnectionsProblem[],
    readonly code: 'CONNECTIONS_FILE_INVALID' | 'CONNECTIONS_FILE_UNREADABLE' = 'CONNECTIONS_FILE_INVALID',
    options?: ErrorOptions,
  ) {
    super(problems.map((problem) => formatProblem(file, problem)).join('\n'), options);
  }
}

/** Thrown when an integration names a connection the file does not define. */
export class ConnectionNotFoundError extends Error {
  override name = 'ConnectionNotFoundError';
  readonly code = 'CONNECTION_NOT_FOUND';
  readonly permanent = true;

  constructor(
    readonly connection: string,
    file: string | undefined,
    defined: readonly string[],
  ) {
    const known = defined.length > 0 ? `defined: ${defined.join(', ')}` : 'it defines none';
    super(
      file === undefined
        ? `connection "${connection}" is not defined: no connections file is configured`
        : `connection "${connection}" is not defined in connections file ${file} (${known})`,
    );
  }
}

/** Thrown when a connection restricted to one empresa is asked for by another. */
export class ConnectionForbiddenError extends Error {
  override name = 'ConnectionForbiddenError';
  readonly code = 'CONNECTION_FORBIDDEN';
  readonly permanent = true;

  constructor(
    readonly connection: string,
    readonly allowedEmpresaId: number,
    readonly empresaId: number,
  ) {
    super(`connection "${connection}" is restricted to empresa ${allowedEmpresaId}; empresa ${empresaId} may not use it`);
  }
}
