import { Context } from '@temporalio/activity';

/** What every stage activity reports about its own execution, for the order's timeline. */
export interface StageMeta {
  /** 1 on the first try. */
  attempt: number;
  /** How long this attempt waited in its task queue before a worker took it. */
  queueWaitMs: number;
}

/** Call first thing in an activity: the wait is measured up to this moment. */
export function stageMeta(): StageMeta {
  const info = Context.current().info;
  return { attempt: info.attempt, queueWaitMs: Math.max(0, Date.now() - info.currentAttemptScheduledTimestampMs) };
}
