import { Coalescer, type CoalescerStats, type Database, getOrCreate } from '@integrador/store';
import type { Kysely } from 'kysely';
import {
  insertStartIfNewThenFindLateEnd,
  insertStartsIfNewThenFindLateEnds,
  type LoggedStart,
  type StartToLog,
} from './call-log.repository';

const groupsByDatabase = new WeakMap<Kysely<Database>, Coalescer<StartToLog, LoggedStart>>();

function startGroupsOf(db: Kysely<Database>): Coalescer<StartToLog, LoggedStart> {
  return getOrCreate(
    groupsByDatabase,
    db,
    () =>
      new Coalescer<StartToLog, LoggedStart>({
        name: 'cti call starts',
        runGroup: (starts) => insertStartsIfNewThenFindLateEnds(db, starts),
        runOne: ({ call, windowMs }) => insertStartIfNewThenFindLateEnd(db, call, windowMs),
      }),
  );
}

/**
 * A call start's row on PostgreSQL (startsWithoutReading), logged together with the starts of the other jobs in flight
 * in this process (the store's Coalescer): their rows in one multi-row insert and their end-only reads in one statement,
 * one round trip and one commit for the group instead of one per start — the insert was a start's costliest statement
 * (bench/README.md, CTI). Starts of any empresa share a group (each row carries its own job's empresa_id; no tenant
 * scope applies: the call log's statements are the engine's, not a configuration's). It resolves only once the group's
 * insert has committed; when the group's statements fail, each start runs again alone (insertStartIfNewThenFindLateEnd)
 * with its own outcome. `db` is a pool, never a transaction: a group commits on its own.
 */
export function logStartGrouped(db: Kysely<Database>, start: StartToLog): Promise<LoggedStart> {
  return startGroupsOf(db).add(start);
}

/** The call-start groups of `db` so far (groups run together, and those that failed and ran start by start). */
export function callStartStats(db: Kysely<Database>): CoalescerStats {
  return { ...(groupsByDatabase.get(db)?.stats ?? { groups: 0, fallbacks: 0 }) };
}
