/**
 * Prometheus and Grafana of docker-compose.yml cannot run here (no Docker engine), so this test
 * keeps them honest: every metric the dashboard queries is one the services export, and
 * Prometheus scrapes every app service on the port its configuration serves metrics on, and its
 * alert rules are loaded, complete and written against metrics and labels that exist.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/platform/config.js';
import { exportedMetricNames, registry } from '../src/platform/metrics/registry.js';
import { QUEUE_NAMES } from '../src/order/contract.js';
import { interpolatedCompose, serviceEnv } from './support/compose.js';
import { KNOWN_SDK_METRICS, promqlLabelMatchers, promqlMetricNames } from './support/monitoring.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  environment?: Record<string, string | number | null>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown>;
  command?: string[];
}
// As compose runs it, with an .env of strong secrets (test/support/compose.ts).
const compose = interpolatedCompose<{ services: Record<string, Service> }>();
const services = compose.services;
const envOf = (name: string) => serviceEnv(services[name] ?? {});
/** A service's config for its ports: its Temporal TLS files exist only in the certificates volume (test/compose.test.ts checks those), so plain gRPC here. */
const portsConfigOf = (name: string) =>
  loadConfig({ ...Object.fromEntries(Object.entries(envOf(name)).filter(([k]) => !k.startsWith('TEMPORAL_TLS'))), TEMPORAL_TLS: 'false' });
/** `[host path, container path]` of the service's bind mounts. */
const mounts = (name: string) => (services[name]?.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => v.split(':').slice(0, 2) as [string, string]);

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
}
const dashboard = JSON.parse(read('deploy/grafana/dashboards/order-pipeline.json')) as { uid: string; panels: Panel[] };
const queries = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '', uid: t.datasource?.uid ?? p.datasource?.uid })),
);

describe('PromQL metric names', () => {
  it('are the selected metrics, without functions, labels, strings, durations or suffixes', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (le, stage) (rate(orders_stage_duration_seconds_bucket{stage="ship", channel=~"b2.*"}[$__rate_interval]))) / on(stage) group_left max(orders_overdue) offset 5m',
      ).sort(),
    ).toEqual(['orders_overdue', 'orders_stage_duration_seconds']);
    expect(promqlMetricNames('sum(rate(orders_api_requests_total[5m])) * 60 > bool 3')).toEqual(['orders_api_requests_total']);
  });
});

describe('Grafana dashboard', () => {
  it('has the key panels', () => {
    const text = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'orders_by_status',
      'orders_overdue',
      'orders_unprocessed',
      'orders_stage_duration_seconds_bucket',
      'orders_task_queue_backlog',
      'orders_api_request_duration_seconds_bucket',
      'orders_api_requests_total',
      'orders_pricing_total',
      'orders_pricing_duration_seconds_bucket',
      'orders_pricing_cache_hits_total',
    ]) {
      expect(text, metric).toContain(metric);
    }
    expect(text).toMatch(/histogram_quantile\(0\.5,[^\n]*orders_stage_duration_seconds_bucket/);
    expect(text).toMatch(/histogram_quantile\(0\.95,[^\n]*orders_stage_duration_seconds_bucket/);
  });

  it('queries only metrics the services export (ours from the registry, the SDK’s known names)', () => {
    const exported = new Set<string>([...exportedMetricNames(), ...KNOWN_SDK_METRICS]);
    expect(exported.has('orders_pricing_cache_hits_total')).toBe(true);
    expect(queries.length).toBeGreaterThan(10);
    const unknown = queries.flatMap((q) =>
      promqlMetricNames(q.expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${q.panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
    // and every query names at least one metric (a parser that finds nothing would pass the above)
    expect(queries.filter((q) => promqlMetricNames(q.expr).length === 0)).toEqual([]);
  });

  it('uses the provisioned Prometheus datasource and is provisioned from the mounted folder', () => {
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    const prometheus = datasources.datasources.find((d) => d.type === 'prometheus')!;
    expect(new URL(prometheus.url).hostname).toBe('prometheus');
    expect(services.prometheus).toBeDefined();
    expect(queries.filter((q) => q.uid !== prometheus.uid)).toEqual([]);

    const grafana = mounts('grafana');
    expect(grafana).toContainEqual(['./deploy/grafana/provisioning', '/etc/grafana/provisioning']);
    const providers = parse(read('deploy/grafana/provisioning/dashboards/order-pipeline.yml')) as { providers: { options: { path: string } }[] };
    const folder = grafana.find(([, target]) => target === providers.providers[0]!.options.path);
    expect(folder?.[0]).toBe('./deploy/grafana/dashboards');
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  interface Job {
    job_name: string;
    metrics_path?: string;
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
    static_configs?: { targets: string[] }[];
  }
  const config = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: Job[] };
  /** Every `service:port` Prometheus scrapes, per job. */
  const targets = (job: Job) => [
    ...(job.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
    ...(job.static_configs ?? []).flatMap((s) => s.targets),
  ];
  const all = config.scrape_configs.flatMap((job) => targets(job));
  const workers = QUEUE_NAMES.map((q) => `worker-${q}`);

  it('is what the prometheus service mounts', () => {
    expect(mounts('prometheus')).toContainEqual(['./deploy/prometheus/prometheus.yml', '/etc/prometheus/prometheus.yml']);
    expect(services.prometheus?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('scrapes only compose services', () => {
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((t) => t.split(':')[0]!).filter((name) => !services[name])).toEqual([]);
    for (const job of config.scrape_configs) expect(job.metrics_path ?? '/metrics', job.job_name).toBe('/metrics');
  });

  it('scrapes the API and every worker on its METRICS_PORT (never the public PORT), the workers on TEMPORAL_METRICS_PORT too', () => {
    const api = portsConfigOf('api');
    expect(api.metrics.port).toBeDefined();
    expect(all).toContain(`api:${api.metrics.port}`);
    expect(all).not.toContain(`api:${api.port}`);
    for (const worker of workers) {
      const metrics = portsConfigOf(worker).metrics;
      expect(metrics.port, `${worker} METRICS_PORT`).toBeDefined();
      expect(metrics.sdkPort, `${worker} TEMPORAL_METRICS_PORT`).toBeDefined();
      expect(metrics.port).not.toBe(metrics.sdkPort);
      expect(all, worker).toContain(`${worker}:${metrics.port}`);
      expect(all, worker).toContain(`${worker}:${metrics.sdkPort}`);
    }
  });

  it('discovers every replica (DNS A records), not one address per service name', () => {
    for (const job of config.scrape_configs) {
      expect(job.static_configs, job.job_name).toBeUndefined();
      for (const d of job.dns_sd_configs ?? []) expect(d.type).toBe('A');
    }
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  interface Rule {
    alert?: string;
    record?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }
  const config = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files?: string[]; scrape_configs: { job_name: string }[] };
  const rules = parse(read('deploy/prometheus/alerts.yml')) as { groups: { name: string; rules: Rule[] }[] };
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => ({ ...r, name: r.alert ?? r.record ?? '(unnamed)' })));
  /** Series Prometheus makes itself for every target; not in any registry. */
  const SCRAPE_SERIES = ['up'];
  /** Labels Prometheus adds to every scraped series (and `le` of histogram buckets). */
  const TARGET_LABELS = ['job', 'instance', 'le'];
  const labelNamesOf = (metric: string): string[] | undefined => {
    const found = registry.getSingleMetric(metric);
    if (!found) return undefined;
    // prom-client keeps a metric's configured label names on the instance; its types do not declare them.
    return [...((found as unknown as { labelNames?: readonly string[] }).labelNames ?? [])];
  };

  it('is the rule file Prometheus loads, mounted next to prometheus.yml', () => {
    const [configTarget] = mounts('prometheus')
      .find(([host]) => host === './deploy/prometheus/prometheus.yml')!
      .slice(1);
    const loaded = (config.rule_files ?? []).map((f) => path.posix.resolve(path.posix.dirname(configTarget!), f));
    expect(loaded.length).toBeGreaterThan(0);
    const hostFiles = loaded.map((target) => mounts('prometheus').find(([, t]) => t === target)?.[0]);
    expect(hostFiles).toEqual(['./deploy/prometheus/alerts.yml']);
  });

  it('has alerts for failing projection writes, dead letters, overdue and failed orders, and unreachable services', () => {
    const names = new Set(alerts.map((a) => a.name));
    for (const name of [
      'OrdersProjectionWriteRejected',
      'OrdersProjectionWriteGaveUp',
      'OrdersProjectionWritesFailing',
      'OrdersOutboxDeadLetters',
      'OrdersOverdue',
      'OrdersFailed',
      'OrdersApiNotReady',
      'OrdersTemporalUnreachable',
      'OrdersScrapeTargetDown',
      'OrdersServiceAbsent',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(names.size).toBe(alerts.length);
  });

  it('gives every alert a duration, a severity and a summary and description that name only labels its expression keeps', () => {
    const names = new Set(alerts.map((a) => a.name));
    for (const a of alerts) {
      expect(a.alert, `${a.name}: alerting rule`).toBeDefined();
      expect(a.for ?? '(none)', `${a.name}: for`).toMatch(/^(?=\d)(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/);
      expect(['critical', 'warning'], `${a.name}: severity`).toContain(a.labels?.severity);
      const { summary = '', description = '' } = a.annotations ?? {};
      expect(summary.length, `${a.name}: summary`).toBeGreaterThan(10);
      expect(description.length, `${a.name}: description`).toBeGreaterThan(80);
      // `{{ $labels.x }}` renders empty when the expression aggregates x away.
      const kept = new Set([
        ...[...a.expr.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
        ...promqlLabelMatchers(a.expr)
          .filter((m) => m.op === '=')
          .map((m) => m.label),
        ...(/\b(?:sum|max|min|avg|count)\b/.test(a.expr) ? [] : [...TARGET_LABELS, ...promqlMetricNames(a.expr).flatMap((n) => labelNamesOf(n) ?? [])]),
      ]);
      const used = [...`${summary} ${description}`.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
      expect(
        used.filter((l) => !kept.has(l)),
        `${a.name}: labels of the annotations`,
      ).toEqual([]);
      // Other alerts a description points to exist.
      const pointed = [...description.matchAll(/\bOrders[A-Z][A-Za-z]+\b/g)].map((m) => m[0]);
      expect(
        pointed.filter((n) => !names.has(n)),
        `${a.name}: alerts it refers to`,
      ).toEqual([]);
    }
  });

  it('queries only metrics the services export, with labels they have', () => {
    const exported = new Set<string>([...exportedMetricNames(), ...KNOWN_SDK_METRICS, ...SCRAPE_SERIES]);
    expect(exported.has('orders_projection_write_failures_total')).toBe(true);
    expect(exported.has('orders_outbox_dead_letters')).toBe(true);
    for (const a of alerts) {
      const names = promqlMetricNames(a.expr);
      expect(names.length, `${a.name}: selects a metric`).toBeGreaterThan(0);
      expect(
        names.filter((n) => !exported.has(n)),
        `${a.name}: metrics`,
      ).toEqual([]);
      for (const { metric, label } of promqlLabelMatchers(a.expr)) {
        const known = SCRAPE_SERIES.includes(metric) ? [] : labelNamesOf(metric);
        if (!known) continue; // the SDK's metrics: not in our registry
        expect([...known, ...TARGET_LABELS], `${a.name}: label ${label} of ${metric}`).toContain(label);
      }
      // Brackets pair up (outside strings): the cheapest syntax check there is without promtool.
      const open: string[] = [];
      for (const c of a.expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
        if ('([{'.includes(c)) open.push(')]}'['([{'.indexOf(c)]!);
        else if (')]}'.includes(c)) expect(open.pop(), `${a.name}: brackets`).toBe(c);
      }
      expect(open, `${a.name}: unclosed brackets`).toEqual([]);
    }
  });

  it('notices every scrape job disappearing', () => {
    const absent = alerts.find((a) => a.name === 'OrdersServiceAbsent')!;
    const jobs = [...absent.expr.matchAll(/absent\(up\{job="([^"]+)"\}\)/g)].map((m) => m[1]!);
    expect(jobs.sort()).toEqual(config.scrape_configs.map((j) => j.job_name).sort());
  });
});
