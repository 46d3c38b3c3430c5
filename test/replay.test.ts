/**
 * Deploy safety: every committed history in test/histories/ (one per outcome of release 1.0, and
 * from then on one per patch) must replay on the current workflow code, also with any of its
 * workflow tasks split at a local activity, as a worker may answer a task while a local activity
 * is still finishing. A change that would break orders in flight fails here; ship such changes
 * behind `patched()` (see README, "Changing the workflow").
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/platform/config.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { workflowSpanSinks } from '../src/platform/tracing/index.js';
import { WORKFLOW_INTERCEPTOR_MODULES, bundlerOptions } from '../src/workflows/bundle.js';
import { localActivityCount, splitTaskAtLocalActivity } from './support/split-history.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
type Event = { eventType: string } & Record<string, any>;
const load = (file: string): { events: Event[] } => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
// The bundle of global-setup, as workers run it: with the workflow interceptors (tracing) inside,
// and with the payload codec, which passes the committed (unencrypted) histories through as they are.
const codec = dataConverter(loadConfig({ NODE_ENV: 'test' }));
const replayOptions = (replayName: string) => ({
  workflowBundle: { codePath: inject('workflowBundlePath') },
  sinks: workflowSpanSinks(),
  dataConverter: codec,
  replayName,
});
const signals = (file: string, name: string) => load(file).events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name);
const updates = (file: string, name: string) =>
  load(file).events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name);

describe('replay of recorded order histories', () => {
  it('has the 1.0 baseline: one history per outcome', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'order-1.0-cancelled.json',
        'order-1.0-delivered.json',
        'order-1.0-delivered-partner-webhooks.json',
        'order-1.0-failed.json',
        'order-1.0-projection-outage.json',
        'order-1.0-rejected.json',
        'order-1.0-reprioritized-waiting.json',
      ]),
    );
  });

  it.each(files)('%s replays on the current workflow code', async (file) => {
    await Worker.runReplayHistory(replayOptions(file), load(file));
  });

  const splits = files.flatMap((file) => Array.from({ length: localActivityCount(load(file)) }, (_, n) => [file, n] as const));
  it('runs on a bundle without the request schemas: zod stays at the API', () => {
    // The sandbox evaluates every module of the bundle in each worker; the order ids the workflow
    // needs come from src/domain/order-id.ts, not from the module of the zod schemas.
    const code = readFileSync(inject('workflowBundlePath'), 'utf8');
    expect(code).toContain('src/domain/order-id.ts');
    expect(code).not.toMatch(/node_modules\/zod\//);
  });

  it('splits every history at each of its local activities', () => {
    for (const file of files) expect(localActivityCount(load(file)), file).toBeGreaterThan(0);
  });
  it.each(splits)('%s replays with the task of local activity #%i split there', async (file, n) => {
    await Worker.runReplayHistory(replayOptions(`${file}-split-${n}`), splitTaskAtLocalActivity(load(file), n));
  });

  it('records what each history is about', () => {
    // 1.0 asks no patch: every branch of the pre-release versions is folded in.
    for (const file of files.filter((f) => f.startsWith('order-1.0-'))) {
      expect(
        load(file).events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'),
        file,
      ).toEqual([]);
    }
    // The job's start reported by the MES's event (via the API) and by the produce step; the carrier's event.
    expect(signals('order-1.0-delivered.json', 'productionStarted').length).toBeGreaterThan(0);
    expect(signals('order-1.0-delivered.json', 'carrierEvent')).toHaveLength(1);
    // Partner webhooks: one child workflow per status change.
    expect(
      load('order-1.0-delivered-partner-webhooks.json').events.filter((e) => e.eventType === 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED').length,
    ).toBeGreaterThan(5);
    expect(updates('order-1.0-cancelled.json', 'cancel')).toHaveLength(1);
    // The refused order failed at its first projection write, without a step run.
    const failed = load('order-1.0-failed.json').events;
    expect(failed.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
    expect(failed.some((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toBe(false);
    const rejected = load('order-1.0-rejected.json').events;
    expect(rejected.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    // Reprioritized while its produce step waited in the mes queue: the waiting task was withdrawn and scheduled again.
    const waiting = load('order-1.0-reprioritized-waiting.json').events;
    expect(updates('order-1.0-reprioritized-waiting.json', 'reprioritize')).toHaveLength(1);
    expect(waiting.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'produce').length).toBeGreaterThan(1);
    // The projection outage: quick writes gave up and a queued write waited for the database.
    const outage = load('order-1.0-projection-outage.json').events;
    expect(outage.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordProgress').length).toBeGreaterThan(0);
  });

  it('catches an incompatible change of the workflow', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'reordered-workflow.ts'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      ...bundlerOptions,
    });
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: bundle, sinks: workflowSpanSinks(), dataConverter: codec, replayName: 'reordered' },
        load('order-1.0-delivered.json'),
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
