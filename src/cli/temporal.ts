/**
 * `npm run temporal [-- start|ensure|setup|ensure-server]`: the Temporal dev server of the project
 * in the foreground (SQLite state under DATA_DIR, Web UI); or only build/find the CLI binary;
 * or set up the namespace and search attributes on any server (`npm run temporal:setup`); or
 * build a real Temporal server and its SQL tool.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { loadConfigOrExit, type Config } from '../platform/config.js';
import { ensureTemporalCli, startDevServer } from '../platform/temporal/dev-server.js';
import { TEMPORAL_SERVER_VERSION, ensureTemporalServer } from '../platform/temporal/server-build.js';
import {
  REQUIRED_SEARCH_ATTRIBUTES,
  TemporalSetupError,
  checkTemporalSetup,
  describeSetupReport,
  describeSetupStatus,
  ensureTemporalSetup,
  grpcCode,
  manualSetupCommands,
  setupComplete,
} from '../platform/temporal/setup.js';

const USAGE = `Usage: npm run temporal [-- start|ensure|setup|ensure-server] [options]

  start          (default) run the Temporal dev server on TEMPORAL_ADDRESS's port with the Web UI,
                 state in DATA_DIR/temporal.db, the pipeline's namespace and search attributes,
                 priority/fairness on.
  ensure         find the temporal CLI (TEMPORAL_CLI_PATH, PATH, .tools/) or build it with Go, print its path.
  setup          (npm run temporal:setup) on the Temporal server at TEMPORAL_ADDRESS: register the
                 namespace TEMPORAL_NAMESPACE if missing and add every search attribute orders need.
                 Idempotent; run it once per server (or namespace) before the pipeline takes orders.
                   --check              only report what is missing (exit 1 if anything is)
                   --address host:port  instead of TEMPORAL_ADDRESS
                   --namespace name     instead of TEMPORAL_NAMESPACE
  ensure-server  build a real Temporal server ('server') and its schema tool ('sql') from the Go
                 module proxy into .tools/temporal-server-<version>/, unless they are there.
                   --server-version V   default ${TEMPORAL_SERVER_VERSION}

Exit codes: 0 done, 1 failed (the message says what to do), 2 usage or configuration error.`;

const COMMANDS = ['start', 'ensure', 'setup', 'ensure-server'] as const;
type Command = (typeof COMMANDS)[number];

function usageError(message: string): never {
  console.error(`error: ${message}\nRun 'npm run temporal -- --help' for usage.`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      check: { type: 'boolean' },
      address: { type: 'string' },
      namespace: { type: 'string' },
      'server-version': { type: 'string' },
    },
    allowPositionals: true,
  });
} catch (err) {
  usageError((err as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const command = (positionals[0] ?? 'start') as Command;
if (!COMMANDS.includes(command) || positionals.length > 1) usageError(`unknown command '${positionals.join(' ')}'`);
if (command !== 'setup' && (values.check || values.address || values.namespace)) usageError('--check, --address and --namespace belong to the setup command');
if (command !== 'ensure-server' && values['server-version']) usageError('--server-version belongs to the ensure-server command');

const config: Config = loadConfigOrExit();

if (command === 'setup') process.exit(await setup());
if (command === 'ensure-server') process.exit(await ensureServer());

const cli = ensureTemporalCli(config.temporal.cliPath, (m) => console.log(m));
if (command === 'ensure') {
  console.log(cli);
} else {
  const port = Number(config.temporal.address.split(':')[1] ?? 7233);
  const server = await startDevServer({
    cliPath: cli,
    port,
    uiPort: Number(new URL(config.temporal.uiUrl).port || port + 1000),
    dbFile: path.join(config.dataDir, 'temporal.db'),
    logFile: path.join(config.dataDir, 'temporal.log'),
    namespace: config.temporal.namespace,
  });
  if (!server.owned) {
    console.log(`A Temporal server already listens on ${server.address}; nothing to start (namespace "${config.temporal.namespace}" is set up).`);
  } else {
    console.log(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl}. Ctrl-C stops it.`);
    const stop = () => void server.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
}

async function setup(): Promise<number> {
  const address = values.address ?? config.temporal.address;
  const namespace = values.namespace ?? config.temporal.namespace;
  console.log(`Connecting to Temporal at ${address}…`);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, ...(config.temporal.tls ? { tls: config.temporal.tls } : {}), connectTimeout: 5_000 });
  } catch (err) {
    console.error(
      `error: cannot reach Temporal at ${address} (${(err as Error).message}).\n` +
        'Is the server running, and is TEMPORAL_ADDRESS (or --address) its frontend host:port? ' +
        "'npm run temporal' starts a local dev server.",
    );
    return 1;
  }
  try {
    if (values.check) {
      const status = await checkTemporalSetup(connection, namespace);
      if (setupComplete(status)) {
        console.log(`Namespace "${namespace}" is set up for orders (${REQUIRED_SEARCH_ATTRIBUTES.map((a) => a.name).join(', ')}).`);
        return 0;
      }
      console.error(`not set up: ${describeSetupStatus(status)}.\nRun 'npm run temporal:setup' without --check to fix it.`);
      return 1;
    }
    const report = await ensureTemporalSetup(connection, namespace, {
      retentionDays: config.temporal.namespaceRetentionDays,
      progress: (m) => console.log(m),
    });
    console.log(describeSetupReport(report));
    return 0;
  } catch (err) {
    if (err instanceof TemporalSetupError) {
      console.error(`error: ${err.message}`);
    } else if (grpcCode(err) === 14 || grpcCode(err) === 4) {
      console.error(
        `error: Temporal at ${address} stopped answering (${(err as Error).message}). Run the setup again once it is up; it continues where it stopped.`,
      );
    } else {
      console.error(
        `error: the setup of namespace "${namespace}" failed: ${(err as Error).message}\n` +
          `The same steps with the temporal CLI:\n  ${manualSetupCommands(namespace, config.temporal.namespaceRetentionDays).join('\n  ')}`,
      );
    }
    return 1;
  } finally {
    await connection.close();
  }
}

async function ensureServer(): Promise<number> {
  const version = (values['server-version'] ?? TEMPORAL_SERVER_VERSION).replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) usageError(`--server-version wants a release like ${TEMPORAL_SERVER_VERSION}, not '${version}'`);
  try {
    const tools = await ensureTemporalServer(version, (m) => console.log(m));
    console.log(`${tools.server}\n${tools.sql}\n${tools.ui}`);
    return 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}
