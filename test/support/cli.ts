import { execFile } from 'node:child_process';
import { testEnv } from './pipeline.js';

/** What one run of the operator CLI printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the operator CLI the way `npx orders …` does, with the test environment. */
export function runCli(...args: string[]): Promise<CliRun> {
  return runCliWith({}, ...args);
}

/** Runs the operator CLI with variables of the test environment replaced by `env`. */
export function runCliWith(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/orders.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...testEnv(env) }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}
