/** The baseline's workflow bundle (bench/baseline/workflow.ts), built as the order's is. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundlerOptions } from '../../src/workflows/bundle.js';

const WORKFLOW_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflow.ts');

export function bundleBaseline(logger: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOW_PATH, ...bundlerOptions, logger });
}
