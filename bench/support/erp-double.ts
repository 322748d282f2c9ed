import { startSeniorG5Server } from '../../test/fixtures/senior-g5';

// The Senior G5 double in a process of its own (so its CPU is not counted with the client's): prints one JSON line
// with its URL, WSDL path and credentials, then serves until killed.
startSeniorG5Server().then(
  (server) => process.stdout.write(`${JSON.stringify({ url: server.url, wsdlPath: server.wsdlPath, credentials: server.credentials })}\n`),
  (err: unknown) => {
    process.stderr.write(`erp double failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
