/**
 * Bundling of the workflow code for the Temporal sandbox. The sources use ESM `.js` import
 * suffixes for `.ts` files, which webpack needs to be told about.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type LogLevel, type LogMetadata, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

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

/** The part of a pino logger the bundler's output goes to. */
interface LevelLogger {
  debug(meta: object, message: string): void;
  info(meta: object, message: string): void;
  warn(meta: object, message: string): void;
  error(meta: object, message: string): void;
}

/**
 * A logger for the bundler that keeps its successful output out of sight: webpack's whole build
 * report (a few hundred lines, logged at info) goes to `debug`; warnings and errors (a failed
 * build prints its report at error) keep their level.
 */
export function quietBundlerLogger(log: LevelLogger): Logger {
  const write = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    if (level === 'ERROR') log.error(meta, message);
    else if (level === 'WARN') log.warn(meta, message);
    else log.debug(meta, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/**
 * Builds the workflow bundle once (e.g. for tests or a container image). `tracing: false`
 * leaves out the tracing interceptors, for workers whose spans go nowhere (the history is the
 * same either way: tracing adds no command).
 */
export async function buildWorkflowBundle(options: { logger?: Logger; tracing?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: options.tracing === false ? [] : WORKFLOW_INTERCEPTOR_MODULES,
    ...bundlerOptions,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** Writes the bundle to a file a worker can load with `workflowBundle: { codePath }`. */
export async function writeWorkflowBundle(file: string, options: { logger?: Logger; tracing?: boolean } = {}): Promise<string> {
  const { code } = await buildWorkflowBundle(options);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, code);
  return file;
}
