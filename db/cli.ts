/** `npm run db:migrate`: creates (if missing) and migrates every system's database. */
import { parseArgs } from 'node:util';
import { SYSTEMS, loadConfig } from '../src/platform/config.js';
import { openDatabases } from './index.js';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run db:migrate

Creates the databases ${SYSTEMS.map((s) => `"${s}"`).join(', ')} when missing and applies the committed
migrations under db/<system>/migrations. Uses DATABASE_URL (or the per-system *_DATABASE_URL);
without them, the embedded PGlite databases under DATA_DIR.`);
  process.exit(0);
}
const config = loadConfig();
const dbs = await openDatabases(config, SYSTEMS, { migrate: true });
for (const s of SYSTEMS) console.log(`${s}: migrated (${dbs[s].location})`);
await dbs.close();
