/**
 * A streaming read replica of a PostgreSQL primary on this machine: a second server, on a port of
 * its own, whose data directory is a base backup of the primary (`pg_basebackup -R`) and which
 * runs in standby mode, replaying the primary's WAL as it streams in. `npm run cluster` points
 * SHOP_READ_DATABASE_URL at it; test/read-replica.test.ts runs it under the API.
 *
 * A standby copies the whole primary instance (every database on it), not one database.
 *
 * A replication slot while the replica runs: without one, a primary that checkpoints often (every
 * CREATE DATABASE forces a checkpoint: tests, migrations) can recycle the WAL between the end of
 * a base backup and the standby's first connection, and the new standby never streams. The slot
 * is dropped again when the replica stops: a slot of a stopped replica would make the primary
 * keep every WAL segment from then on, and one stopped and forgotten on a development machine
 * would fill the primary's disk. So a replica stopped long enough to miss WAL the primary has
 * recycled cannot catch up; `startReadReplica` then makes a new base backup.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { logTail } from '../src/platform/processes.js';

const exec = promisify(execFile);

export interface ReadReplicaOptions {
  /** URL of the primary, as a user that may open replication connections (a superuser or a REPLICATION role). */
  primaryUrl: string;
  /** Folder of the replica: its data directory (`data/`) and server log (`postgresql.log`). */
  dir: string;
  /** Port the replica listens on (on 127.0.0.1). */
  port: number;
  /** Folder of PostgreSQL's server programs; default: found for the primary's major version. */
  binDir?: string;
  /** How long to wait for a base backup, the start and the first streamed WAL (default 120 s). */
  timeoutMs?: number;
  progress?: (message: string) => void;
}

export interface ReadReplica {
  host: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** `created`: a new base backup; `reused`: the data directory of an earlier run, caught up by streaming. */
  origin: 'created' | 'reused';
  /** Milliseconds from the call until the replica streamed. */
  startMs: number;
  /** `application_name` of the standby in the primary's pg_stat_replication. */
  name: string;
  /** URL of `database` on the replica (the primary URL's user and password). */
  url(database: string): string;
  /** Waits until the replica has replayed everything the primary had written at the call. */
  catchUp(timeoutMs?: number): Promise<void>;
  /** Stops the replica's server (its data directory stays for a fast restart). */
  stop(): Promise<void>;
}

/** Where the base backup or the start of a replica failed, with what to do next in the message. */
export class ReadReplicaError extends Error {
  override name = 'ReadReplicaError';
}

/** Unix socket paths longer than this do not fit in sockaddr_un (108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;
/** Settings a hot standby needs at least as high as its primary's, or it refuses to start. */
const AT_LEAST_PRIMARY = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];

interface Primary {
  host: string;
  port: number;
  user: string;
  password: string;
  major: number;
  systemId: string;
  settings: Record<string, string>;
  hbaFile: string | undefined;
  /** The primary's pg_hba.conf and pg_ident.conf, for a replica whose base backup has none (Debian keeps them in /etc). */
  hba: string | undefined;
  ident: string | undefined;
}

/** Starts (creating or reusing its data directory) a streaming standby of the primary at `options.primaryUrl`. */
export async function startReadReplica(options: ReadReplicaOptions): Promise<ReadReplica> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 120_000;
  const dir = path.resolve(options.dir);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgresql.log');
  const host = '127.0.0.1';
  const name = `read-replica-${options.port}`;

  const primary = await describePrimary(options.primaryUrl);
  const bin = findServerPrograms(primary.major, options.binDir);
  const server = await serverUser();
  const env = { ...process.env, PGPASSWORD: primary.password || undefined, PGCONNECT_TIMEOUT: '10' };
  const asServer = (program: string, args: string[], timeout = timeoutMs) => runAs(server, path.join(bin, program), args, env, timeout);
  await checkReplicationAccess(primary, path.join(bin, 'psql'), env);

  mkdirSync(dir, { recursive: true });
  if (server) {
    chownSync(dir, server.uid, server.gid);
    await runAs(server, 'test', ['-w', dir], env, 10_000).catch(() => {
      throw new ReadReplicaError(
        `the ${server.name} OS user cannot write ${dir}: PostgreSQL refuses to run as root, so the replica runs as ${server.name}; ` +
          `give it access to the parent folders (chmod o+x on each) or choose a folder it can reach`,
      );
    });
  }
  // A server of an earlier run that was not stopped (its owner killed): stop it, it may hold another port.
  if (existsSync(path.join(dataDir, 'postmaster.pid'))) await asServer('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => {});

  // One slot per data directory; pg_basebackup -R names it in primary_slot_name.
  const slot = `orders_read_replica_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  const onPrimary = async <T>(run: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
    const sql = postgres(options.primaryUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      return await run(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  };
  /** Drops the slot once no standby uses it (its walsender ends a moment after the standby stops). */
  const dropSlot = () =>
    onPrimary(async (sql) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const [row] = await sql<{ active: boolean }[]>`select active from pg_replication_slots where slot_name = ${slot}`;
        if (!row) return;
        if (!row.active) {
          await sql`select pg_drop_replication_slot(${slot})`.catch(() => {});
          continue;
        }
        if (Date.now() > deadline)
          throw new ReadReplicaError(`the replication slot ${slot} on the primary is still in use by another standby: stop it, or drop the slot`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
  // Where this start's lines begin in the log (pg_ctl appends): earlier runs' errors do not count.
  let logOffset = 0;
  const start = async (origin: ReadReplica['origin']): Promise<ReadReplica['origin']> => {
    if (origin === 'created') {
      progress(`Making the read replica: a base backup of ${primary.host}:${primary.port} into ${dataDir}…`);
      rmSync(dataDir, { recursive: true, force: true });
      await dropSlot();
      try {
        await asServer('pg_basebackup', [
          ...['-h', primary.host, '-p', String(primary.port), '-U', primary.user, '-D', dataDir],
          // -R: standby.signal, primary_conninfo and primary_slot_name; a fast checkpoint instead of waiting for a spread one.
          ...['-R', '-X', 'stream', '-c', 'fast', '-C', '-S', slot, '--no-password'],
        ]);
      } catch (err) {
        throw new ReadReplicaError(`pg_basebackup from ${primary.host}:${primary.port} failed: ${output(err)}`);
      }
      writeMissingConfig(dataDir, primary, server);
    } else {
      // Reserves WAL from now on; what the standby needs from before is there or not (then it is made again).
      await onPrimary(
        (sql) => sql`select pg_create_physical_replication_slot(${slot}, true) where not exists (select 1 from pg_replication_slots where slot_name = ${slot})`,
      );
    }
    const socketDir = Buffer.byteLength(path.join(dataDir, `.s.PGSQL.${options.port}`)) <= MAX_SOCKET_PATH ? dataDir : '';
    const settings: Record<string, string> = {
      port: String(options.port),
      listen_addresses: host,
      // Its own socket directory (none when the path is too long for a socket): never the primary's.
      unix_socket_directories: socketDir,
      hot_standby: 'on',
      logging_collector: 'off',
      cluster_name: name,
      ...Object.fromEntries(AT_LEAST_PRIMARY.filter((k) => primary.settings[k]).map((k) => [k, primary.settings[k]!])),
    };
    // pg_ctl hands -o to a shell: every value single-quoted (paths with a quote are refused above).
    const serverOptions = Object.entries(settings)
      .map(([k, v]) => `-c ${k}='${v}'`)
      .join(' ');
    logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
    try {
      await asServer('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-o', serverOptions, 'start']);
    } catch (err) {
      throw new ReadReplicaError(`the read replica did not start on port ${options.port}: ${output(err)}\n  Its log (${logFile}):\n  ${logTail(logFile, 10)}`);
    }
    return origin;
  };

  if (dataDir.includes("'")) throw new ReadReplicaError(`the replica folder ${dir} contains a single quote; choose another one`);
  const unusable = await whyNotReusable(dataDir, primary, slot, (a) => asServer('pg_controldata', a));
  if (unusable) progress(`Read replica: ${unusable}; making a new one.`);
  let origin = await start(unusable ? 'created' : 'reused');
  const url = (database: string) => {
    const u = new URL(options.primaryUrl);
    u.hostname = host;
    u.port = String(options.port);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const stop = async () => {
    await asServer('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'], 60_000).catch((err: unknown) => {
      if (!/not running|No such file/i.test(output(err))) throw new ReadReplicaError(`stopping the read replica failed: ${output(err)}`);
    });
    await dropSlot();
  };
  try {
    try {
      await waitStreaming(url('postgres'), logFile, logOffset, timeoutMs);
    } catch (err) {
      // A reused standby that missed WAL the primary has recycled cannot catch up: a new base backup can.
      if (origin !== 'reused' || !(err instanceof WalGoneError)) throw err;
      progress('Read replica: the primary no longer has the WAL it needs; making a new one.');
      await stop();
      origin = await start('created');
      await waitStreaming(url('postgres'), logFile, logOffset, timeoutMs);
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const replica: ReadReplica = {
    host,
    port: options.port,
    dataDir,
    logFile,
    origin,
    startMs: Date.now() - started,
    name,
    url,
    catchUp: (ms = 60_000) => catchUp(options.primaryUrl, url('postgres'), ms),
    stop,
  };
  progress(`Read replica streaming on ${host}:${options.port} (${origin}, ${(replica.startMs / 1000).toFixed(1)} s).`);
  return replica;
}

async function describePrimary(primaryUrl: string): Promise<Primary> {
  const u = new URL(primaryUrl);
  const sql = postgres(primaryUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [row] = await sql<{ version: number; walLevel: string }[]>`
      select current_setting('server_version_num')::int as version, current_setting('wal_level') as "walLevel"`;
    if (row!.walLevel === 'minimal') {
      throw new ReadReplicaError(
        `PostgreSQL at ${u.host} runs with wal_level = minimal, which a standby cannot follow: set wal_level = replica in its postgresql.conf and restart it`,
      );
    }
    const settings = Object.fromEntries(
      (await sql<{ name: string; setting: string }[]>`select name, setting from pg_settings where name in ${sql(AT_LEAST_PRIMARY)}`).map((r) => [
        r.name,
        r.setting,
      ]),
    );
    if (Number(settings.max_wal_senders ?? 0) === 0) {
      throw new ReadReplicaError(`PostgreSQL at ${u.host} has max_wal_senders = 0: set it to 10 (the default) in its postgresql.conf and restart it`);
    }
    // Readable by a superuser only; without them the replica gets a loopback-only pg_hba.conf of its own.
    const [hbaFile] = await sql<{ path: string }[]>`select current_setting('hba_file') as path`.catch(() => []);
    const files = await sql<{ hba: string; ident: string }[]>`
      select pg_read_file(current_setting('hba_file')) as hba, pg_read_file(current_setting('ident_file')) as ident`.catch(() => []);
    return {
      host: u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username || 'postgres'),
      password: decodeURIComponent(u.password),
      major: Math.floor(row!.version / 10_000),
      systemId: '',
      settings,
      hbaFile: hbaFile?.path,
      hba: files[0]?.hba,
      ident: files[0]?.ident,
    };
  } catch (err) {
    if (err instanceof ReadReplicaError) throw err;
    throw new ReadReplicaError(`cannot read the settings of the primary at ${u.host}: ${(err as Error).message}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A replication connection (IDENTIFY_SYSTEM) as pg_basebackup and the standby make it; sets `systemId`. */
async function checkReplicationAccess(primary: Primary, psql: string, env: NodeJS.ProcessEnv): Promise<void> {
  const conninfo = `host=${primary.host} port=${primary.port} user=${primary.user} dbname=postgres replication=true`;
  try {
    const { stdout } = await exec(psql, ['-X', '-w', '-At', '-d', conninfo, '-c', 'IDENTIFY_SYSTEM'], { env, timeout: 20_000 });
    primary.systemId = stdout.trim().split('|')[0]!;
  } catch (err) {
    const text = output(err);
    if (/no pg_hba\.conf entry for replication connection/.test(text)) {
      const address = primary.host.includes(':') ? `${primary.host}/128` : `${primary.host}/32`;
      throw new ReadReplicaError(
        `PostgreSQL at ${primary.host}:${primary.port} refuses replication connections (pg_hba.conf's "all" does not cover them). ` +
          `Add this line at the top of ${primary.hbaFile ?? 'its pg_hba.conf'} and reload it (psql -c 'select pg_reload_conf()'):\n` +
          `  host replication all ${address} trust\n` +
          `(or a line with your authentication method instead of trust; .ci/run adds this one)`,
      );
    }
    throw new ReadReplicaError(`a replication connection to ${primary.host}:${primary.port} as ${primary.user} failed: ${text}`);
  }
}

/** Why the data directory cannot be reused (undefined: it is a standby of this primary). */
async function whyNotReusable(
  dataDir: string,
  primary: Primary,
  slot: string,
  controldata: (args: string[]) => Promise<{ stdout: string }>,
): Promise<string | undefined> {
  const file = (name: string) => path.join(dataDir, name);
  if (!existsSync(file('PG_VERSION'))) return existsSync(dataDir) ? `${dataDir} is no complete data directory` : 'no data directory yet';
  if (readFileSync(file('PG_VERSION'), 'utf8').trim() !== String(primary.major)) return `${dataDir} is of another PostgreSQL version`;
  if (!existsSync(file('standby.signal'))) return `${dataDir} is no standby (promoted, or not made by pg_basebackup -R)`;
  const auto = existsSync(file('postgresql.auto.conf')) ? readFileSync(file('postgresql.auto.conf'), 'utf8') : '';
  const conninfo = /^primary_conninfo\s*=\s*'(.*)'\s*$/m.exec(auto)?.[1] ?? '';
  if (!conninfo.includes(`port=${primary.port}`) || !conninfo.includes(`host=${primary.host}`)) return `${dataDir} follows another primary`;
  if (!new RegExp(`^primary_slot_name\\s*=\\s*'${slot}'`, 'm').test(auto)) return `${dataDir} does not stream through its replication slot`;
  try {
    const { stdout } = await controldata([dataDir]);
    const id = /Database system identifier:\s*(\d+)/.exec(stdout)?.[1];
    if (id !== primary.systemId) return `${dataDir} is a copy of another PostgreSQL instance`;
  } catch (err) {
    return `pg_controldata cannot read ${dataDir} (${output(err).slice(0, 200)})`;
  }
  return undefined;
}

/** The server config files a base backup lacks when the primary keeps them outside its data directory (Debian). */
function writeMissingConfig(dataDir: string, primary: Primary, server: ServerUser | undefined): void {
  const files: Record<string, string> = {
    // Every setting the replica needs comes on pg_ctl's command line.
    'postgresql.conf': '# Read replica made by db/replica.ts: its settings are given on the command line.\n',
    // The primary's rules (the replica listens on the loopback address only), else loopback connections.
    'pg_hba.conf': primary.hba ?? 'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n',
    'pg_ident.conf': primary.ident ?? '',
  };
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dataDir, name);
    if (existsSync(file)) continue;
    writeFileSync(file, text, { mode: 0o600 });
    if (server) chownSync(file, server.uid, server.gid);
  }
}

class WalGoneError extends ReadReplicaError {}

/** Until the replica accepts connections, is in recovery and its WAL receiver streams. */
async function waitStreaming(url: string, logFile: string, logOffset: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  let last: string;
  try {
    for (;;) {
      try {
        const [row] = await sql<{ recovery: boolean; status: string | null }[]>`
          select pg_is_in_recovery() as recovery, (select status from pg_stat_wal_receiver) as status`;
        if (!row!.recovery) throw new ReadReplicaError(`the replica on ${new URL(url).host} is not in recovery: it was promoted; remove its data directory`);
        if (row!.status === 'streaming') return;
        last = `WAL receiver ${row!.status ?? 'not running'}`;
      } catch (err) {
        if (err instanceof ReadReplicaError) throw err;
        last = (err as Error).message;
      }
      const log = existsSync(logFile) ? readFileSync(logFile).subarray(logOffset).toString('utf8') : '';
      if (/requested WAL segment \S+ has already been removed/.test(log))
        throw new WalGoneError(
          `the primary has removed WAL the replica on ${new URL(url).host} needs, although its replication slot should keep it: check the slot ` +
            `(select * from pg_replication_slots on the primary; max_slot_wal_keep_size), then start again (a new base backup is made). Its log (${logFile}):\n  ${logTail(logFile, 10)}`,
        );
      if (Date.now() > deadline) {
        throw new ReadReplicaError(
          `the read replica on ${new URL(url).host} did not stream within ${timeoutMs / 1000} s (${last}). Its log (${logFile}):\n  ${logTail(logFile, 10)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function catchUp(primaryUrl: string, replicaUrl: string, timeoutMs: number): Promise<void> {
  const primary = postgres(primaryUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const replica = postgres(replicaUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [{ lsn }] = (await primary`select pg_current_wal_lsn()::text as lsn`) as unknown as [{ lsn: string }];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await replica<{ done: boolean; at: string | null }[]>`
        select coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, false) as done, pg_last_wal_replay_lsn()::text as at`;
      if (row!.done) return;
      if (Date.now() > deadline) {
        throw new ReadReplicaError(
          `the read replica has replayed up to ${row!.at} after ${timeoutMs / 1000} s, not yet ${lsn}: is replay paused (pg_wal_replay_resume())?`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all([primary.end({ timeout: 5 }), replica.end({ timeout: 5 })]);
  }
}

/** The server programs (pg_basebackup, pg_ctl, …) of PostgreSQL `major`. */
function findServerPrograms(major: number, given: string | undefined): string {
  const candidates = given
    ? [given]
    : [
        `/usr/lib/postgresql/${major}/bin`, // Debian, Ubuntu
        `/usr/pgsql-${major}/bin`, // PGDG packages on RHEL and Fedora
        `/opt/homebrew/opt/postgresql@${major}/bin`,
        `/usr/local/opt/postgresql@${major}/bin`,
        ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
      ];
  for (const dir of candidates) {
    const ctl = path.join(dir, 'pg_ctl');
    if (!existsSync(ctl) || !existsSync(path.join(dir, 'pg_basebackup'))) continue;
    // A pg_ctl on PATH may be another version; the server programs must match the primary's.
    if (given || dir.includes(String(major))) return dir;
    try {
      const version = readFileSync(path.join(dir, '..', 'PG_VERSION'), 'utf8').trim();
      if (version === String(major)) return dir;
    } catch {
      // no version file beside it: only a folder named by the version counts
    }
  }
  throw new ReadReplicaError(
    `the PostgreSQL ${major} server programs (pg_basebackup, pg_ctl) were not found` +
      (given ? ` in ${given}` : `: install them (Debian: apt-get install postgresql-${major}) or name their folder`),
  );
}

interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` OS user. */
async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
    return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new ReadReplicaError(
      'this runs as root and there is no postgres OS user to run the replica as (PostgreSQL refuses root): create one or run as another user',
    );
  }
}

function runAs(user: ServerUser | undefined, program: string, args: string[], env: NodeJS.ProcessEnv, timeout: number) {
  const [command, argv] = user ? ['runuser', ['-u', user.name, '--', program, ...args]] : [program, args];
  // runuser keeps the environment (PGPASSWORD); `cwd` a folder every user may enter.
  return exec(command as string, argv as string[], { env, timeout, cwd: '/' });
}

function output(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  return (e.stderr || e.stdout || e.message || String(err)).trim();
}
