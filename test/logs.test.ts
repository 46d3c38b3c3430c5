/**
 * What `npm start` prints: readable log lines in a terminal (a pseudo-terminal from util-linux
 * `script`, as a person's shell gives), JSON lines when its output is piped, and in neither case
 * the workflow bundler's webpack report. The real `src/main.ts` runs against the test Temporal
 * server and databases; a request through its API must show up as an access line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/platform/logger.js';
import terminalLogFormat from '../src/platform/terminal-log-format.mjs';
import { testEnv } from './support/pipeline.js';
import { freePort } from './support/processes.js';

// eslint-disable-next-line no-control-regex -- ESC is the character this pattern is about (ANSI colour codes)
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
/** Lines of webpack's build report, as the Temporal bundler logs it after a build. */
const WEBPACK_REPORT = /compiled successfully|webpack \d+\.\d+|runtime modules|modules by path|orphan modules/;
const STARTED = 'Order pipeline is running.';
/** A readable log line: time, level, message. */
const LOG_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  output: string;
  port: number;
}

/**
 * Runs `src/main.ts` until it prints that it is running, sends one request through its API
 * (logged as an access line), then stops it with Ctrl-C (SIGINT) and returns all it printed.
 */
async function runMain(options: { terminal: boolean; env?: Record<string, string> }): Promise<Run> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  dirs.push(dataDir);
  const env = { ...process.env, ...testEnv({ PORT: String(port), LOG_LEVEL: 'info', DATA_DIR: dataDir, ...options.env }) };
  const command = [process.execPath, '--import', 'tsx', 'src/main.ts'];
  const child: ChildProcess = options.terminal
    ? // -e: exit with the child's status; -f: flush output as it comes; -q: no banner.
      spawn('script', ['-qfec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = async (done: () => boolean, what: string, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (child.exitCode !== null) throw new Error(`src/main.ts exited (${child.exitCode}) before ${what}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await until(() => output.includes(STARTED), 'start');
    const res = await fetch(`http://127.0.0.1:${port}/v1/catalog`, { headers: { authorization: 'Bearer shop-dev-key' } });
    expect(res.status).toBe(200);
    await until(() => /\/v1\/catalog/.test(output), 'access log line of GET /v1/catalog', 10_000);
  } finally {
    // Ctrl-C as typed into the terminal (the pty turns it into SIGINT); a plain SIGINT when piped.
    if (options.terminal) child.stdin!.write('\x03');
    else child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  return { output: output.replace(ANSI, '').replace(/\r/g, ''), port };
}

describe('npm start', () => {
  it('prints readable log lines in a terminal, without the bundler’s webpack report', async () => {
    // No pre-built bundle: npm start bundles the workflows itself, as on a fresh checkout.
    const { output } = await runMain({ terminal: true, env: { WORKFLOW_BUNDLE_PATH: '' } });
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    expect(output).toContain('Bundling workflows');
    expect(output.match(WEBPACK_REPORT), 'webpack report in the output').toBeNull();
    // The access line: time, level, component, method, path, status.
    expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[api\] GET \/v1\/catalog 200 \d+ ms request completed/m);
    expect(
      lines.filter((l) => l.startsWith('{')),
      'JSON log lines',
    ).toEqual([]);
    // After the banner, every line is one log entry: time, level, message.
    const logLines = lines
      .slice(lines.findIndex((l) => l.startsWith('Press Ctrl-C')) + 1)
      .map((l) => l.replace(/^\^C/, '')) // the terminal's echo of the interrupt, before whatever line comes next
      .filter((l) => l !== 'Stopping…');
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => !LOG_LINE.test(l))).toEqual([]);
  });

  it('prints an entry with an error in a terminal as one line that names the error', async () => {
    // What npm start's terminal format makes of entries a run can log at any time (a failed
    // activity, as the Temporal SDK logs it; an error of our own; a message with line breaks).
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const log = createLogger('info', 'order-pipeline', terminalLogFormat({ destination: out, colorize: false, sync: true }));
    const failure = new Error('MES refused the job\nline 2 of its answer');
    log.child({ component: 'temporal-sdk' }).warn({ error: failure, activityType: 'produce' }, 'Activity failed');
    log.child({ component: 'api' }).warn({ err: new TypeError('cannot read the projection'), orderId: 'o-1' }, 'status query failed');
    log.warn({ error: 'connection reset' }, 'price cache read failed');
    log.info('two\nlines');
    await new Promise((r) => setTimeout(r, 100));
    const lines = text.split('\n').filter((l) => l !== '');
    expect(
      lines.filter((l) => !LOG_LINE.test(l)),
      text,
    ).toEqual([]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /WARN: \[temporal-sdk\] Activity failed — MES refused the job \| line 2 of its answer \(at .*logs\.test\.ts:\d+:\d+\)+ \{"activityType":"produce"\}$/,
    );
    expect(lines[1]).toMatch(/WARN: \[api\] status query failed — TypeError: cannot read the projection \(at .*\) \{"orderId":"o-1"\}$/);
    expect(lines[2]).toMatch(/WARN: price cache read failed — connection reset$/);
    expect(lines[3]).toMatch(/INFO: two \| lines$/);
  });

  it('prints JSON lines when its output is piped (a container, a log shipper)', async () => {
    const { output } = await runMain({ terminal: false });
    const json = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = json.find((e) => (e.req as { url?: string } | undefined)?.url === '/v1/catalog');
    expect(access, output).toMatchObject({ level: 30, component: 'api', msg: 'request completed', res: { statusCode: 200 } });
    expect(output.match(WEBPACK_REPORT)).toBeNull();
  });

  it('keeps the type, message and stack of an error the Temporal SDK logs as `error` in JSON lines', () => {
    const out = new PassThrough();
    const log = createLogger('info', 'order-pipeline', out);
    log.warn({ error: new Error('MES refused the job') }, 'Activity failed');
    const entry = JSON.parse(String(out.read())) as { error: { type: string; message: string; stack: string } };
    expect(entry.error).toMatchObject({ type: 'Error', message: 'MES refused the job' });
    expect(entry.error.stack).toContain('logs.test.ts');
  });
});
