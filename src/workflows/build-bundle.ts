/** `npm run build`: writes the workflow bundle to dist/workflow-bundle.js (for images and checks). */
import { writeWorkflowBundle } from './bundle.js';

const file = await writeWorkflowBundle(process.argv[2] ?? 'dist/workflow-bundle.js');
console.log(`workflow bundle written to ${file}`);
