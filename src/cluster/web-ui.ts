/**
 * Temporal's Web UI for the cluster (the UI server built beside the Temporal server): operators
 * trace an order there. It listens on loopback only, reaches the frontend with the cluster's
 * client certificate, decodes payloads through the product's codec endpoint, and is read-only:
 * cancelling or reprioritizing an order goes through the CLI or the API, which authenticate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerTools } from '../platform/temporal/server-build.js';
import { startProcess, type ManagedProcess } from '../platform/processes.js';
import { CLUSTER_SERVER_NAME, type ClusterCertificates } from './tls.js';

export interface WebUiOptions {
  tools: ServerTools;
  dir: string;
  port: number;
  /** The Temporal frontend, host:port. */
  frontend: string;
  /** mTLS to the frontend; unset: plain gRPC. */
  tls?: ClusterCertificates | undefined;
  /** The codec endpoint the browser calls to decode payloads (the API's `/v1/codec`). */
  codecEndpoint: string;
  logDir: string;
}

/** The UI server's config (JSON is YAML); see the UI server's `config/development.yaml`. */
export function webUiConfig(options: Omit<WebUiOptions, 'tools' | 'dir' | 'logDir'>) {
  const origin = `http://127.0.0.1:${options.port}`;
  return {
    temporalGrpcAddress: options.frontend,
    host: '127.0.0.1',
    port: options.port,
    enableUi: true,
    defaultNamespace: 'default',
    // No call to the internet for release news.
    disableNewsFetch: true,
    // Read-only: no cancel, terminate, signal, reset or batch action without the product's authentication.
    disableWriteActions: true,
    cors: { allowOrigins: [origin], cookieInsecure: true },
    codec: { endpoint: options.codecEndpoint, includeCredentials: false },
    auth: { enabled: false },
    ...(options.tls
      ? {
          tls: {
            caFile: options.tls.clusterCa,
            certFile: options.tls.clientCert,
            keyFile: options.tls.clientKey,
            serverName: CLUSTER_SERVER_NAME,
            enableHostVerification: true,
          },
        }
      : {}),
  };
}

export function startWebUi(options: WebUiOptions): ManagedProcess {
  const configDir = path.join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'cluster.yaml'), `${JSON.stringify(webUiConfig(options), null, 2)}\n`);
  return startProcess({
    name: 'temporal-ui',
    command: options.tools.ui,
    args: ['--root', options.dir, '--config', 'config', '--env', 'cluster', 'start'],
    logDir: options.logDir,
  });
}
