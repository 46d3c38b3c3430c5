/** The Temporal dev-server launcher: reuse, search attributes, durable state across restarts (write-ahead log). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { findTemporalCli, isListening, startDevServer, type DevServer } from '../src/platform/temporal/dev-server.js';
import { SEARCH_ATTRIBUTES } from '../src/order/contract.js';

const cliPath = inject('temporalCliPath');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'order-pipeline-devserver-'));
let own: DevServer | undefined;

afterAll(async () => {
  await own?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Temporal dev server launcher', () => {
  it('finds the CLI binary it was given', () => {
    expect(findTemporalCli(cliPath)).toBe(cliPath);
    expect(() => findTemporalCli(path.join(tmp, 'missing'))).toThrow(/TEMPORAL_CLI_PATH/);
  });

  it('reuses a server already listening and makes sure the search attributes exist', async () => {
    const [host, port] = inject('temporalAddress').split(':');
    const reused = await startDevServer({ cliPath, host, port: Number(port), headless: true });
    expect(reused.owned).toBe(false);
    const connection = await Connection.connect({ address: reused.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of Object.values(SEARCH_ATTRIBUTES)) expect(customAttributes?.[key.name]).toBeDefined();
    } finally {
      await connection.close();
    }
  });

  it('keeps workflows in its SQLite file, in write-ahead-log mode, across a restart', async () => {
    const port = 7390 + Math.floor(Math.random() * 50);
    const dbFile = path.join(tmp, 'temporal.db');
    own = await startDevServer({ cliPath, port, headless: true, dbFile });
    expect(own.owned).toBe(true);
    let connection = await Connection.connect({ address: own.address });
    // Started, never run (no worker listens on this queue): it must still be there after the restart.
    await new Client({ connection }).workflow.start('orderWorkflow', { taskQueue: 'nobody', workflowId: 'order-durability-probe', args: [] });
    await connection.close();
    await own.stop();
    expect(await isListening('127.0.0.1', port)).toBe(false);
    // Write-ahead logging (DEV_SERVER_FILE_PRAGMAS): the file header's format versions (bytes 18, 19) are 2, a rollback journal's 1.
    const header = readFileSync(dbFile).subarray(0, 20);
    expect(header.subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    expect([header[18], header[19]]).toEqual([2, 2]);

    own = await startDevServer({ cliPath, port, headless: true, dbFile });
    connection = await Connection.connect({ address: own.address });
    try {
      const description = await new Client({ connection }).workflow.getHandle('order-durability-probe').describe();
      expect(description.status.name).toBe('RUNNING');
    } finally {
      await connection.close();
    }
  });

  it('starts while the pipeline exports its traces to the console (OTEL_* is not passed to the server)', async () => {
    const before = process.env.OTEL_TRACES_EXPORTER;
    process.env.OTEL_TRACES_EXPORTER = 'console';
    let server: DevServer | undefined;
    try {
      server = await startDevServer({ cliPath, port: 7440 + Math.floor(Math.random() * 50), headless: true, startTimeoutMs: 30_000 });
      expect(server.owned).toBe(true);
    } finally {
      if (before === undefined) delete process.env.OTEL_TRACES_EXPORTER;
      else process.env.OTEL_TRACES_EXPORTER = before;
      await server?.stop();
    }
  });
});
