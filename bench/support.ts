/** What the benchmark scripts share: option parsing, percentiles and a description of the machine. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Prints the message and exits with the usage error code. */
export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

type Options = NonNullable<ParseArgsConfig['options']> & { help: { type: 'boolean'; short?: string; default?: boolean } };

/** Parses strict options (which include `help`), printing the usage text on `--help` or a mistake. */
export function parseOptions<O extends Options>(options: O, usage: string): ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] {
  let values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];
  try {
    values = parseArgs({ options, strict: true }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${usage}`);
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** An integer option (`1_000_000` and `1,000,000` allowed); exits with a usage error below `min`. */
export function integerOption(name: string, raw: string, min: number): number {
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

/** Nearest-rank percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export const round2 = (n: number) => Math.round(n * 100) / 100;

/** `2 cores (AMD EPYC …), 24 GiB RAM`. */
export function machineDescription(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM`;
}

// ── CPU accounting (Linux /proc) ─────────────────────────────────────────────────────────────

const CLOCK_TICK_MS = (() => {
  const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return 1000 / (Number.isFinite(hz) && hz > 0 ? hz : 100);
})();
/** Whether this machine has Linux's /proc (CPU figures are NaN without it). */
export const HAVE_PROC = existsSync('/proc/stat');

/** CPU milliseconds (user + system) a process has used so far; NaN when it is gone or unknown. */
export function processCpuMs(pid: number | undefined): number {
  if (!HAVE_PROC || pid === undefined) return NaN;
  try {
    // Fields after the command (which may hold spaces): utime is field 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return NaN;
  }
}

/** CPU milliseconds the whole machine has spent busy so far (all cores; idle and iowait excluded). */
export function machineBusyMs(): number {
  if (!HAVE_PROC) return NaN;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) * CLOCK_TICK_MS;
}

/** What the histories of some workflows hold, per workflow: the figures the cost targets name. */
export interface HistoryFigures {
  sampled: number;
  events: { p50: number; max: number };
  searchAttributeUpserts: { p50: number; max: number };
  /** Local activities (markers `core_local_activity`). */
  localActivities: { p50: number; max: number };
  /** Writes of the shop projection: `recordProgress` as a local activity or a queued activity. */
  projectionWrites: { p50: number; max: number };
  workflowTasks: { p50: number; max: number };
  signals: { p50: number; max: number };
  /** Activity attempts after the first (scheduled activities and local ones), over all sampled workflows. */
  retriedAttempts: number;
  /** The same by activity type (`local:` for local activities). */
  retriedByActivity: Record<string, number>;
}

interface HistoryEvent {
  eventType?: unknown;
  markerRecordedEventAttributes?: { markerName?: string | null; details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { attempt?: number | null } | null;
}

/** Counts per history (events, upserts, markers, projection writes, retries); `eventName` maps the SDK's numeric event type to its name. */
export function historyFigures(histories: readonly { events?: readonly HistoryEvent[] | null }[], eventName: (type: unknown) => string): HistoryFigures {
  const stat = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: sorted.length ? percentile(sorted, 0.5) : 0, max: sorted.at(-1) ?? 0 };
  };
  const per = histories.map((h) => {
    const events = h.events ?? [];
    const named = events.map((e) => ({ e, name: eventName(e.eventType) }));
    // A local activity's marker says which activity ran and at which attempt (core's JSON).
    const markers = named
      .filter(({ e }) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map(({ e }) => {
        const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
        try {
          const parsed = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; attempt?: number }) : {};
          return { type: parsed.activity_type, attempt: parsed.attempt ?? 1 };
        } catch {
          return { type: undefined, attempt: 1 };
        }
      });
    const projectionMarkers = markers.filter((m) => m.type === 'recordProgress');
    const queuedProjection = named.filter(({ e }) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordProgress');
    const byActivity: Record<string, number> = {};
    const count = (type: string, attempt: number) => {
      if (attempt > 1) byActivity[type] = (byActivity[type] ?? 0) + attempt - 1;
    };
    let lastScheduled = 'unknown';
    for (const { e } of named) {
      const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (scheduled) lastScheduled = scheduled;
      // A started event follows its scheduled one; activities of an order run one at a time but for compensations.
      if (e.activityTaskStartedEventAttributes) count(lastScheduled, e.activityTaskStartedEventAttributes.attempt ?? 1);
    }
    for (const m of markers) count(`local:${m.type ?? 'unknown'}`, m.attempt);
    const retried = Object.values(byActivity).reduce((a, b) => a + b, 0);
    return {
      events: events.length,
      upserts: named.filter(({ name }) => name.endsWith('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')).length,
      localActivities: markers.length,
      projectionWrites: projectionMarkers.length + queuedProjection.length,
      workflowTasks: named.filter(({ name }) => name.endsWith('WORKFLOW_TASK_COMPLETED')).length,
      signals: named.filter(({ name }) => name.endsWith('WORKFLOW_EXECUTION_SIGNALED')).length,
      retried,
      byActivity,
    };
  });
  const retriedByActivity: Record<string, number> = {};
  for (const p of per) for (const [k, v] of Object.entries(p.byActivity)) retriedByActivity[k] = (retriedByActivity[k] ?? 0) + v;
  return {
    sampled: per.length,
    events: stat(per.map((p) => p.events)),
    searchAttributeUpserts: stat(per.map((p) => p.upserts)),
    localActivities: stat(per.map((p) => p.localActivities)),
    projectionWrites: stat(per.map((p) => p.projectionWrites)),
    workflowTasks: stat(per.map((p) => p.workflowTasks)),
    signals: stat(per.map((p) => p.signals)),
    retriedAttempts: per.reduce((n, p) => n + p.retried, 0),
    retriedByActivity,
  };
}
