import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { DEFAULT_CREDENTIALS, seniorG5ConnectionsYaml } from '../../../test/fixtures/senior-g5';

/** A temporary connections file whose senior_g5 (seed 001's conexao 3) points at the local Senior G5 double. */
export interface SeniorConnections {
  file: string;
  remove(): void;
}

/** Writes the connections file (extraLines: more settings of senior_g5); the password stays a ${SENIOR_PASSWORD} reference, as in production. */
export function writeSeniorConnections(erpUrl: string, ...extraLines: string[]): SeniorConnections {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-set-'));
  const file = path.join(dir, 'connections.yaml');
  fs.writeFileSync(file, [seniorG5ConnectionsYaml(erpUrl), ...extraLines].join('\n'));
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What a CLI run and worker-set share: one database, the test Redis under `prefix`, and the connections to the double. */
export function seniorVariables(databaseUrl: string, connectionsFile: string, prefix: string): Record<string, string> {
  return {
    CRM_DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    KEY_PREFIX: prefix,
    CONNECTIONS_FILE: connectionsFile,
    SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
  };
}
