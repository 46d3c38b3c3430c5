/**
 * Task slots of the pipeline's workers: how many workflow tasks, activities and local activities
 * a worker takes at once. Every attempt's start-to-close timeout starts when a worker takes the
 * task, so a worker that holds more than its process can run on a busy machine loses attempts to
 * timeouts on steps that take milliseconds. With WORKER_SLOTS=resource (the default) the SDK's
 * resource-based slot suppliers hand out a slot only while the machine stays under
 * WORKER_TARGET_CPU and WORKER_TARGET_MEMORY, never more than the queue's concurrency; one
 * controller per process, shared by its workers, so they aim at the same target together.
 */
import { ResourceBasedController, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config.js';

/** Most slots of each kind a worker may hold: the queue's concurrency (workflow tasks only on the orders queue). */
export interface SlotLimits {
  activities: number;
  localActivities?: number;
  workflowTasks?: number;
  /**
   * Slots of each kind a worker holds whatever the machine's load (resource mode). Past this floor
   * a slot is handed out only while the machine is under its targets, and at most one per 50 ms
   * (10 ms for workflow tasks): on a busy machine a queue would run this many tasks at a time. For
   * work that waits on a database rather than the CPU (the orders queue's acceptance and
   * projection writes, the CRM and carrier calls), its connection pool. Default: the SDK's 1
   * (2 for workflow tasks), for CPU-bound work such as pricing.
   */
  minimum?: number;
}

let controller: { key: string; value: ResourceBasedController } | undefined;

/** The process's controller for the given targets (one per process, made on first use). */
function sharedController(targets: { targetCpu: number; targetMemory: number }): ResourceBasedController {
  const key = `${targets.targetCpu}/${targets.targetMemory}`;
  if (controller?.key !== key) {
    controller = { key, value: ResourceBasedController.create({ targetCpuUsage: targets.targetCpu, targetMemoryUsage: targets.targetMemory }) };
  }
  return controller.value;
}

/** Worker options for the slots of one worker: a tuner (resource mode) or the fixed `maxConcurrent*` counts. */
export function slotOptions(
  config: Pick<Config, 'workerSlots'>,
  limits: SlotLimits,
): Pick<WorkerOptions, 'tuner' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentLocalActivityExecutions' | 'maxConcurrentWorkflowTaskExecutions'> {
  const localActivities = limits.localActivities ?? limits.activities;
  const workflowTasks = limits.workflowTasks ?? 2;
  if (config.workerSlots.mode === 'fixed') {
    return {
      maxConcurrentActivityTaskExecutions: limits.activities,
      maxConcurrentLocalActivityExecutions: localActivities,
      maxConcurrentWorkflowTaskExecutions: workflowTasks,
    };
  }
  const shared = sharedController(config.workerSlots);
  const resource = (maximumSlots: number, minimumSlots: number) => ({
    type: 'resource-based' as const,
    controller: shared,
    minimumSlots: Math.min(minimumSlots, maximumSlots),
    maximumSlots,
  });
  return {
    tuner: {
      workflowTaskSlotSupplier: resource(workflowTasks, Math.max(2, limits.minimum ?? 2)),
      activityTaskSlotSupplier: resource(limits.activities, limits.minimum ?? 1),
      localActivityTaskSlotSupplier: resource(localActivities, limits.minimum ?? 1),
      // The pipeline serves no Nexus operations.
      nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
    },
  };
}
