/** Helpers of the metrics and monitoring tests: the Prometheus text format and PromQL metric names. */

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (enough of it for our own and the Temporal SDK's output). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
export function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.length === 0 ? undefined : found.reduce((n, s) => n + s.value, 0);
}

/**
 * Temporal SDK (core) metrics the dashboard may query, as the Runtime's Prometheus exporter
 * names them (prefix `temporal_`, durations in seconds, counters without `_total`).
 * test/metrics.test.ts checks each against a live exporter.
 */
export const KNOWN_SDK_METRICS = [
  'temporal_activity_execution_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_num_pollers',
  'temporal_sticky_cache_size',
  'temporal_request',
  'temporal_workflow_completed',
] as const;

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names a PromQL expression selects, with histogram/summary series suffixes
 * (`_bucket`, `_sum`, `_count`) stripped: identifiers that are not functions, keywords, label
 * names (in `{…}`, `by (…)` and the like), strings, durations or Grafana variables.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?[A-Za-z0-9_]+\}?/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:]|\s*\()/g)) {
    const name = m[1]!;
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name.replace(/_(?:bucket|sum|count)$/, ''));
  }
  return [...names];
}

/** One label matcher of a PromQL selector, e.g. `outcome="rejected"` of `orders_projection_write_failures_total{…}`. */
export interface LabelMatcher {
  /** The selected metric, with `_bucket`, `_sum` and `_count` stripped like `promqlMetricNames`. */
  metric: string;
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** The label matchers of every `metric{…}` selector of a PromQL expression. */
export function promqlLabelMatchers(expr: string): LabelMatcher[] {
  const found: LabelMatcher[] = [];
  for (const sel of expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g)) {
    const metric = sel[1]!.replace(/_(?:bucket|sum|count)$/, '');
    for (const m of sel[2]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      found.push({ metric, label: m[1]!, op: m[2] as LabelMatcher['op'], value: m[3]! });
    }
  }
  return found;
}
