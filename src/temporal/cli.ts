/**
 * `npm run temporal [-- ensure]`: the Temporal dev server of the project in the foreground
 * (SQLite state under DATA_DIR, Web UI), or with `ensure` only build/find the CLI binary.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { ensureTemporalCli, startDevServer } from './dev-server.js';

const { values, positionals } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
if (values.help || (positionals[0] && !['ensure', 'start'].includes(positionals[0]))) {
  console.log(`Usage: npm run temporal [-- start|ensure]

  start   (default) run the Temporal dev server on TEMPORAL_ADDRESS's port with the Web UI,
          state in DATA_DIR/temporal.db, the pipeline's search attributes and priority/fairness on.
  ensure  find the temporal CLI (TEMPORAL_CLI_PATH, PATH, .tools/) or build it with Go, print its path.`);
  process.exit(values.help ? 0 : 2);
}
const config = loadConfig();
const cli = ensureTemporalCli(config.temporal.cliPath, (m) => console.log(m));
if (positionals[0] === 'ensure') {
  console.log(cli);
} else {
  const port = Number(config.temporal.address.split(':')[1] ?? 7233);
  const server = await startDevServer({
    cliPath: cli,
    port,
    uiPort: Number(new URL(config.temporal.uiUrl).port || port + 1000),
    dbFile: path.join(config.dataDir, 'temporal.db'),
    logFile: path.join(config.dataDir, 'temporal.log'),
  });
  if (!server.owned) {
    console.log(`A Temporal server already listens on ${server.address}; nothing to start.`);
  } else {
    console.log(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl}. Ctrl-C stops it.`);
    const stop = () => void server.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
}
