/**
 * Bundling of the workflow code for the Temporal sandbox. The sources use ESM `.js` import
 * suffixes for `.ts` files, which webpack needs to be told about.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Path of the workflows entry module. */
export const WORKFLOWS_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts');

/**
 * Workflow interceptor modules of every bundle (OpenTelemetry tracing). A pre-built bundle
 * carries them inside; a worker that bundles at start gets them as `interceptors.workflowModules`.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [path.join(path.dirname(fileURLToPath(import.meta.url)), 'tracing-interceptors.ts')];

/** Options shared by `Worker.create({ workflowsPath, bundlerOptions })` and explicit bundling. */
export const bundlerOptions: Pick<BundleOptions, 'webpackConfigHook'> = {
  webpackConfigHook: (config) => {
    config.resolve = config.resolve ?? {};
    config.resolve.extensionAlias = { '.js': ['.ts', '.js'] };
    return config;
  },
};

/** Builds the workflow bundle once (e.g. for tests or a container image). */
export async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, ...bundlerOptions });
}

/** Writes the bundle to a file a worker can load with `workflowBundle: { codePath }`. */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const { code } = await buildWorkflowBundle();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, code);
  return file;
}
