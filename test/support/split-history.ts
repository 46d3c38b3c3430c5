/**
 * Rewrites a recorded history as if the workflow task holding its n-th local activity had been
 * completed the moment that activity resolved, with the rest of that task's commands in a new
 * task. A worker does exactly that when a task must be answered while a local activity is still
 * finishing (a status query arriving, a slow write, the task's heartbeat); the replay tests use
 * it to prove that the workflow replays such histories too, at every local activity.
 */
type Json = Record<string, unknown>;
interface HistoryJson {
  events: Json[];
}

const attributesOf = (event: Json): [string, Json] => {
  const key = Object.keys(event).find((k) => k.endsWith('Attributes'));
  if (!key) throw new Error(`event ${String(event.eventId)} has no attributes`);
  return [key, event[key] as Json];
};

const isLocalActivityMarker = (e: Json) => {
  const [key, attrs] = attributesOf(e);
  return key === 'markerRecordedEventAttributes' && attrs.markerName === 'core_local_activity';
};

/** How many local activities (markers) the history holds. */
export function localActivityCount(history: HistoryJson): number {
  return history.events.filter(isLocalActivityMarker).length;
}

export function splitTaskAtLocalActivity(history: HistoryJson, n = 0): HistoryJson {
  const events = structuredClone(history.events);
  const markers = events.flatMap((e, i) => (isLocalActivityMarker(e) ? [i] : []));
  const at = markers[n] ?? -1;
  if (at < 0) throw new Error(`the history has no local activity marker #${n}`);
  const markerId = Number(events[at]!.eventId);
  const shift = (id: unknown) => (Number(id) > markerId ? String(Number(id) + 3) : String(id));

  // Renumber every event after the marker and every reference to one.
  for (const event of events) {
    event.eventId = shift(event.eventId);
    const [, attrs] = attributesOf(event);
    for (const [field, value] of Object.entries(attrs)) {
      if (field.endsWith('EventId') && typeof value === 'string') attrs[field] = shift(value);
    }
  }
  const first = events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED')!;
  const [, scheduledAttrs] = attributesOf(first);
  const time = events[at]!.eventTime;
  const scheduledId = markerId + 1;
  const inserted: Json[] = [
    {
      eventId: String(scheduledId),
      eventTime: time,
      eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      taskId: '0',
      workflowTaskScheduledEventAttributes: { taskQueue: scheduledAttrs.taskQueue, startToCloseTimeout: '10s', attempt: 1 },
    },
    {
      eventId: String(scheduledId + 1),
      eventTime: time,
      eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED',
      taskId: '0',
      workflowTaskStartedEventAttributes: {
        scheduledEventId: String(scheduledId),
        identity: 'replay-test',
        requestId: 'request-from-RespondWorkflowTaskCompleted',
      },
    },
    {
      eventId: String(scheduledId + 2),
      eventTime: time,
      eventType: 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
      taskId: '0',
      workflowTaskCompletedEventAttributes: { scheduledEventId: String(scheduledId), startedEventId: String(scheduledId + 1), identity: 'replay-test' },
    },
  ];
  // The commands after the marker now belong to the second task.
  for (let i = at + 1; i < events.length; i++) {
    const [, attrs] = attributesOf(events[i]!);
    if (events[i]!.eventType === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED') break;
    if ('workflowTaskCompletedEventId' in attrs) attrs.workflowTaskCompletedEventId = String(scheduledId + 2);
  }
  events.splice(at + 1, 0, ...inserted);
  return { ...history, events };
}
