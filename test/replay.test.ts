/**
 * Deploy safety: every committed history in test/histories/ (one per shipped workflow version
 * and outcome) must replay on the current workflow code. A change that would break orders in
 * flight fails here; ship such changes behind `patched()` (see README, "Changing the workflow").
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import { workflowSpanSinks } from '../src/tracing/index.js';
import { WORKFLOW_INTERCEPTOR_MODULES, bundlerOptions } from '../src/workflows/bundle.js';
import { splitFirstTaskAtLocalActivity } from './support/split-history.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
// The bundle of global-setup, as workers run it: with the workflow interceptors (tracing) inside.
const replayOptions = (replayName: string) => ({ workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: workflowSpanSinks(), replayName });

describe('replay of recorded order histories', () => {
  it('has recorded histories to replay', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'order-v1-delivered.json',
        'order-v1-rejected.json',
        'order-v2-cancelled.json',
        'order-v2-delivered-partner-webhooks.json',
        'order-v3-delivered.json',
        'order-v3-delivered-partner-webhooks.json',
        'order-v4-mes-carrier-webhooks.json',
        'order-v4-projection-delivered.json',
        'order-v4-projection-outage.json',
        'order-v5-cancelled.json',
        'order-v5-delivered.json',
        'order-v5-delivered-partner-webhooks.json',
        'order-v6-cancelled.json',
        'order-v6-delivered.json',
        'order-v6-delivered-partner-webhooks.json',
        'order-v6-failed-refused-date.json',
      ]),
    );
  });

  it.each(files)('%s replays on the current workflow code', async (file) => {
    await Worker.runReplayHistory(replayOptions(file), load(file));
  });

  // A worker may complete the first task as soon as the first local activity resolves and carry
  // the rest into a second task (e.g. when a status query arrives meanwhile). Orders since
  // `features-at-start-v1` replay either way; v2 orders asked `patched()` after the local
  // activity and cannot, which is why that patch exists. The v4 outage history is an order
  // whose projection writes failed for 20 s while its promised-date timers fired
  // (test/support/record-projection-outage.ts): quick writes gave up, a queued write waited.
  it.each(['order-v3-delivered.json', 'order-v3-delivered-partner-webhooks.json', 'order-v4-mes-carrier-webhooks.json', 'order-v4-projection-delivered.json', 'order-v4-projection-outage.json', 'order-v5-delivered.json', 'order-v5-delivered-partner-webhooks.json', 'order-v6-delivered.json', 'order-v6-delivered-partner-webhooks.json', 'order-v6-failed-refused-date.json'])(
    '%s replays when its first task was split at the local activity',
    async (file) => {
      await Worker.runReplayHistory(
        replayOptions(`${file}-split`),
        splitFirstTaskAtLocalActivity(load(file)),
      );
    },
  );

  it('shows why: a v2 order whose first task was split does not replay', async () => {
    await expect(
      Worker.runReplayHistory(
        replayOptions('v2-split'),
        splitFirstTaskAtLocalActivity(load('order-v2-delivered-partner-webhooks.json')),
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  // v4 (`carrier-events-v1`): production completed by the API on the MES's event, delivery by
  // the carrier's signal before the grace timer fired.
  it('order-v4 went through the integration webhooks', () => {
    const events = load('order-v4-mes-carrier-webhooks.json').events as { eventType: string; workflowExecutionSignaledEventAttributes?: { signalName: string } }[];
    expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'carrierEvent')).toBe(true);
    expect(events.filter((e) => e.eventType === 'EVENT_TYPE_TIMER_CANCELED').length).toBeGreaterThan(0);
  });

  // v6 (`hardening-v1`): the job's start reported by the MES's event (via the API) and by the
  // produce step; the second report changes nothing. The refused-date order failed at its first
  // projection write, without a step run.
  it('order-v6 went through awaiting_production, and the refused order failed', () => {
    const events = load('order-v6-delivered.json').events as { workflowExecutionSignaledEventAttributes?: { signalName: string } }[];
    expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'productionStarted').length).toBeGreaterThan(0);
    const refused = load('order-v6-failed-refused-date.json').events as { eventType: string }[];
    expect(refused.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
    expect(refused.some((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')).toBe(false);
  });

  it('catches an incompatible change of the workflow', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'reordered-workflow.ts'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      ...bundlerOptions,
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: bundle, sinks: workflowSpanSinks(), replayName: 'reordered' }, load('order-v1-delivered.json')),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
