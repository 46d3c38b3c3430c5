/**
 * Certificates of a cluster on one machine, made with `openssl`: mutual TLS between Temporal's
 * services and between the product and Temporal's frontend, so only holders of a certificate the
 * cluster issued can start, signal, cancel or read an order.
 *
 * Two authorities: the cluster's CA signs the services' certificate (each service presents it as
 * server and as client to the others); the clients' CA signs the product's client certificate.
 * The frontend accepts clients of both CAs; history, matching and worker accept only the
 * cluster's, so a client certificate reaches the frontend and nothing behind it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type TemporalTls } from '../platform/config.js';

/** The name in the services' certificate; clients check the frontend against it. */
export const CLUSTER_SERVER_NAME = 'temporal.cluster';

export interface ClusterCertificates {
  dir: string;
  /** CA of the services' certificate (what clients trust). */
  clusterCa: string;
  /** CA of the clients' certificates (what the frontend accepts besides the services). */
  clientCa: string;
  /** The services' certificate and key (server and client use). */
  serviceCert: string;
  serviceKey: string;
  /** The product's client certificate and key. */
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('making the cluster certificates needs `openssl` on the PATH (Debian: apt-get install openssl)');
  }
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${(result.stderr || result.stdout || '').trim().split('\n').slice(-3).join('; ')}`);
}

const DAYS = '825';

/**
 * Makes the two CAs and the two certificates in `dir` (keys mode 0600), or reuses them when all
 * are there. Delete the directory to issue new ones.
 */
export function ensureClusterCertificates(dir: string): ClusterCertificates {
  dir = path.resolve(dir);
  const files: ClusterCertificates = {
    dir,
    clusterCa: path.join(dir, 'cluster-ca.pem'),
    clientCa: path.join(dir, 'client-ca.pem'),
    serviceCert: path.join(dir, 'service.pem'),
    serviceKey: path.join(dir, 'service.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
  };
  const all = [files.clusterCa, files.clientCa, files.serviceCert, files.serviceKey, files.clientCert, files.clientKey];
  if (all.every((f) => existsSync(f))) return files;
  // The parents as usual (other parts of the cluster, run as other users, live beside it); only this folder private.
  mkdirSync(path.dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string, subject: string) =>
    openssl(
      [
        'req',
        '-x509',
        ...key,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        DAYS,
        '-subj',
        subject,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
  const leaf = (name: string, subject: string, signer: string, extensions: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(['req', '-new', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${signer}.pem`,
        '-CAkey',
        `${signer}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        DAYS,
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  ca('cluster-ca', '/O=Order pipeline/CN=Temporal cluster CA');
  ca('client-ca', '/O=Order pipeline/CN=Temporal clients CA');
  leaf(
    'service',
    `/O=Order pipeline/CN=${CLUSTER_SERVER_NAME}`,
    'cluster-ca',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:${CLUSTER_SERVER_NAME},DNS:localhost,IP:127.0.0.1\n`,
  );
  leaf(
    'client',
    '/O=Order pipeline/CN=orders-pipeline',
    'client-ca',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  for (const name of ['cluster-ca', 'client-ca', 'service', 'client']) chmodSync(path.join(dir, `${name}.key`), 0o600);
  for (const leftover of ['service.csr', 'service.ext', 'client.csr', 'client.ext', 'cluster-ca.srl', 'client-ca.srl'])
    rmSync(path.join(dir, leftover), { force: true });
  return files;
}

/** The certificates handed out by role (`npm run cluster:certs`, docker-compose.yml's temporal-certs). */
export interface IssuedCertificates {
  /** Everything, with the CAs' keys: only the issuing step needs it. */
  authority: ClusterCertificates;
  /** For Temporal's services: cluster-ca.pem, client-ca.pem, service.pem, service.key. */
  temporalDir: string;
  /** For every client (the pipeline, the Web UI): cluster-ca.pem, client.pem, client.key. */
  clientDir: string;
}

/**
 * Makes (or reuses) the certificates in `<dir>/authority` and copies each role's files into
 * `<dir>/temporal` and `<dir>/client`, so a folder can be mounted where it belongs and nowhere
 * else: a client never holds a service's key, nothing but this step a CA's key.
 */
export function issueClusterCertificates(dir: string): IssuedCertificates {
  const authority = ensureClusterCertificates(path.join(dir, 'authority'));
  const handOut = (to: string, files: string[]) => {
    mkdirSync(to, { recursive: true });
    for (const file of files) {
      const target = path.join(to, path.basename(file));
      copyFileSync(file, target);
      chmodSync(target, file.endsWith('.key') ? 0o600 : 0o644);
    }
    return to;
  };
  return {
    authority,
    temporalDir: handOut(path.join(authority.dir, '..', 'temporal'), [authority.clusterCa, authority.clientCa, authority.serviceCert, authority.serviceKey]),
    clientDir: handOut(path.join(authority.dir, '..', 'client'), [authority.clusterCa, authority.clientCert, authority.clientKey]),
  };
}

/** The product's side: what a client or worker of this cluster connects with (read as any process reads TEMPORAL_TLS_*). */
export function clientTls(certs: ClusterCertificates): TemporalTls {
  return loadConfig(clientTlsEnv(certs)).temporal.tls!;
}

/** The same as environment variables (Temporal's own names, which the `temporal` CLI reads too). */
export function clientTlsEnv(certs: ClusterCertificates): Record<string, string> {
  return {
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.clusterCa,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_NAME: CLUSTER_SERVER_NAME,
  };
}

/** The server config's `global.tls`: mTLS between the services and on the frontend. */
export function serverTlsConfig(certs: ClusterCertificates) {
  const client = { serverName: CLUSTER_SERVER_NAME, rootCaFiles: [certs.clusterCa] };
  const server = (clientCaFiles: string[]) => ({ certFile: certs.serviceCert, keyFile: certs.serviceKey, requireClientAuth: true, clientCaFiles });
  return {
    internode: { server: server([certs.clusterCa]), client },
    frontend: { server: server([certs.clusterCa, certs.clientCa]), client },
    // The worker service's own calls to the frontend.
    systemWorker: { certFile: certs.serviceCert, keyFile: certs.serviceKey, client },
  };
}
