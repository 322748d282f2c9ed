/**
 * Connection failures recorded before their messages were narrowed (ConnectionNotFoundError named the connections
 * file's path and every connection it defines — other customers' —, ConnectionForbiddenError both empresas' ids) read
 * as today's messages word them. One owner for every place a stored text is shown, returned or searched (the job
 * records, BullMQ's failedReason of jobs still in Redis) and for the migration that rewrites the stored rows.
 */
// A search text (busca) is cut at SEARCH_TEXT_MAX, the error its last part: a list cut short has no `)`, so the rest of
// the text is taken (it is all path and names).
const NOT_FOUND = /connection "([^"]*)" is not defined in connections file [\s\S]*?(?: \((?:defined: [^()]*|it defines none)\)|$)/gi;
const FORBIDDEN = /connection "([^"]*)" is restricted to empresa \d+; empresa \d+ may not use it/gi;

export function withoutConnectionsFileDetail<T extends string | null | undefined>(text: T): T {
  if (!text) return text;
  return text
    .replace(NOT_FOUND, `connection "$1" is not defined in the workers' connections file`)
    .replace(FORBIDDEN, 'connection "$1" is restricted to another empresa; this empresa may not use it') as T;
}
