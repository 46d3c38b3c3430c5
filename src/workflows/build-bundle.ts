/** `npm run build`: writes the workflow bundle to dist/workflow-bundle.js (for images and checks). */
import { statSync } from 'node:fs';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { quietBundlerLogger, writeWorkflowBundle } from './bundle.js';

// webpack's build report only with LOG_LEVEL=debug; a failed build prints it as an error.
const log = createLogger(loadConfig().logLevel, 'workflow-bundle');
const file = await writeWorkflowBundle(process.argv[2] ?? 'dist/workflow-bundle.js', { logger: quietBundlerLogger(log) });
console.log(`workflow bundle written to ${file} (${(statSync(file).size / 1_048_576).toFixed(1)} MB)`);
