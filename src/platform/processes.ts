/** Child processes of the one-machine cluster: each logs to a file, can be killed and started again. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ProcessSpec {
  /** Name in messages and of the log file (`<name>.log`). */
  name: string;
  command: string;
  args: string[];
  /** Added to this process's environment. */
  env?: Record<string, string | undefined>;
  logDir: string;
}

/** One running process; `restart()` starts another with the same spec (the old one must be gone). */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Sends `signal` (SIGTERM by default) and resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): ManagedProcess;
}

export function startProcess(spec: ProcessSpec): ManagedProcess {
  mkdirSync(spec.logDir, { recursive: true });
  const logFile = path.join(spec.logDir, `${spec.name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name: spec.name,
    child,
    logFile,
    exited,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (exited()) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    restart: () => startProcess(spec),
  };
}

/** A TypeScript entry point of the product (`src/...`) run with tsx by this Node. */
export function nodeEntry(entry: string, args: string[] = []): Pick<ProcessSpec, 'command' | 'args'> {
  return { command: process.execPath, args: ['--import', 'tsx', entry, ...args] };
}

/**
 * The last lines of a log file, for error messages: of a JSON line (the Temporal server's, pino's)
 * only its message and error, and no line longer than 400 characters (no stack traces).
 */
export function logTail(file: string, lines = 8): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '(no log)';
  }
  const short = (line: string) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      line = [entry.level, entry.msg, entry.error ?? entry.err]
        .filter((v) => v !== undefined)
        .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
        .join(' ');
    } catch {
      // not JSON: as it is
    }
    return line.length > 400 ? `${line.slice(0, 400)}…` : line;
  };
  return text.trim().split('\n').slice(-lines).map(short).join('\n  ');
}

/** Polls `check` until it resolves truthy; fails with what `describe` says once `timeoutMs` passed, or at once when `gone()` names an exited process. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs, gone }: { timeoutMs: number; gone?: () => ManagedProcess | undefined },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const dead = gone?.();
    if (dead)
      throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}. Its log:\n  ${logTail(dead.logFile)}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${Math.round(timeoutMs / 1000)} s${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
