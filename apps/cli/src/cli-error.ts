/** A failure the user can fix; its message is printed as it is, on one line, and the command exits with code 1. */
export class CliError extends Error {
  override name = 'CliError';
}
