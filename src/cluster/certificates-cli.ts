/**
 * `npm run cluster:certs -- --dir DIR`: the Temporal cluster's certificates (src/cluster/tls.ts),
 * made once and reused, and handed out in two folders: what Temporal's services need, and what a
 * client needs. docker-compose.yml runs it as a one-shot service on a volume and mounts each
 * folder only where it belongs, so a client never holds a service's key or a CA's key.
 */
import { parseArgs } from 'node:util';
import { CLUSTER_SERVER_NAME, issueClusterCertificates } from './tls.js';

const USAGE = `Usage: npm run cluster:certs -- --dir DIR

Makes, with openssl, in DIR/authority (unless all are there already; delete DIR for new ones)
the two CAs with their keys, the services' certificate (name ${CLUSTER_SERVER_NAME}) and the
pipeline's client certificate, then copies:
  DIR/temporal/   for Temporal's services: cluster-ca.pem, client-ca.pem, service.pem, service.key
  DIR/client/     for the API, the workers and the Web UI: cluster-ca.pem, client.pem, client.key
The CA keys stay in DIR/authority, which only this command needs. Keys are readable by their
owner only (mode 0600).

Options:
  --dir DIR    where the files go (required)
  -h, --help   this text

Exit codes: 0 done, 1 openssl failed (the message says why), 2 usage error.`;

let values;
try {
  ({ values } = parseArgs({ options: { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (err) {
  console.error(`error: ${(err as Error).message}\nRun 'npm run cluster:certs -- --help' for usage.`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.dir) {
  console.error(`error: --dir is required\nRun 'npm run cluster:certs -- --help' for usage.`);
  process.exit(2);
}
try {
  const issued = issueClusterCertificates(values.dir);
  console.log(`certificates: ${issued.temporalDir} for Temporal's services, ${issued.clientDir} for its clients (server name ${CLUSTER_SERVER_NAME})`);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
}
