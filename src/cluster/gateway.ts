/**
 * The public gateway of the one-machine cluster: Debian's nginx with deploy/nginx/api.conf, the
 * file docker-compose.yml mounts, used as it is except for two lines — the listen address and the
 * upstream, which become a group of the API replicas' loopback ports instead of Docker's `api`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type ManagedProcess } from '../platform/processes.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GATEWAY_CONF = path.join(PROJECT_ROOT, 'deploy/nginx/api.conf');

/** nginx on PATH or in /usr/sbin, if installed. */
export function nginxBinary(): string | undefined {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

/**
 * deploy/nginx/api.conf for this machine: `listen` on `listen`, requests spread over `upstreams`
 * (host:port each) through an upstream group. Throws when the file no longer has the two lines.
 */
export function gatewayConfig(listen: string, upstreams: string[]): string {
  const original = readFileSync(GATEWAY_CONF, 'utf8');
  if (!/listen 3000;/.test(original) || !original.includes('http://api:3000')) {
    throw new Error(`${path.relative(process.cwd(), GATEWAY_CONF)} no longer has 'listen 3000;' and 'http://api:3000': update src/cluster/gateway.ts with it`);
  }
  // With several replicas the variable names the upstream group (nginx looks groups up first).
  const group = ['upstream api_replicas {', ...upstreams.map((u) => `    server ${u};`), '    keepalive 16;', '}', ''].join('\n');
  return group + original.replace(/listen 3000;/, `listen ${listen};`).replace('http://api:3000', 'http://api_replicas');
}

/** Writes the config into `dir` and runs nginx in the foreground (its own pid, logs and temp files there). */
export function startGateway({ dir: given, listen, upstreams }: { dir: string; listen: string; upstreams: string[] }): ManagedProcess {
  // nginx takes paths relative to its prefix (-p), so every path it is given is absolute.
  const dir = path.resolve(given);
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed; the gateway runs the real nginx (Debian: apt-get install -y nginx)');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'api.conf'), gatewayConfig(listen, upstreams));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events {}',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
      `  include ${dir}/api.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  return startProcess({
    name: 'gateway',
    command: bin,
    args: ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'],
    logDir: dir,
  });
}
