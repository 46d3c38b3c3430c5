// The operators' dashboard: asks for an operator key, polls GET /v1/dashboard with it every
// REFRESH_MS and draws the numbers with Chart.js (served by the API from its node_modules).
'use strict';
(function () {
  const REFRESH_MS = 10_000;
  const KEY_STORAGE = 'orderPipeline.dashboardKey';
  const CHANNELS = [
    { key: 'b2c', label: 'Shop', color: '#2563eb', light: '#93b4f5' },
    { key: 'b2b', label: 'Partners', color: '#ea8a0c', light: '#f6c685' },
  ];
  const STAGE_LABELS = { accept: 'accept', price: 'price', 'route-to-crm': 'route to CRM', produce: 'produce', ship: 'ship', all: 'all stages' };

  const $ = (sel) => document.querySelector(sel);
  const count = new Intl.NumberFormat('en-US');
  const charts = {};
  let timer;
  let inFlight;

  // ---------------------------------------------------------------------------------------------
  // Formatting

  function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1) return '< 1 ms';
    const fmt = (v, unit) => `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))} ${unit}`;
    if (ms < 1000) return fmt(ms, 'ms');
    if (ms < 60_000) return fmt(ms / 1000, 's');
    if (ms < 3_600_000) return fmt(ms / 60_000, 'min');
    if (ms < 48 * 3_600_000) return fmt(ms / 3_600_000, 'h');
    return fmt(ms / 86_400_000, 'd');
  }

  function intervalLabel(iso, interval) {
    const d = new Date(iso);
    if (interval === 'day') return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
    const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
    return time === '00:00' ? d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' }) : time;
  }

  function windowText(name) {
    return { '24h': 'in 24 h', '7d': 'in 7 days', '30d': 'in 30 days' }[name] || '';
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers (text only: nothing from the API is parsed as HTML)

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }
  const numCell = (n) => cell(count.format(n), n === 0 ? 'num zero' : 'num');

  function fillRows(testId, rows) {
    const body = document.querySelector(`[data-testid="${testId}"] tbody`);
    body.replaceChildren(...rows);
  }

  function row(cells, className) {
    const tr = document.createElement('tr');
    if (className) tr.className = className;
    tr.append(...cells);
    return tr;
  }

  function setText(testId, text) {
    document.querySelector(`[data-testid="${testId}"]`).textContent = text;
  }

  // ---------------------------------------------------------------------------------------------
  // Charts

  const common = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } } },
  };

  function chart(id, config) {
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update('none');
      return;
    }
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  const durationAxis = {
    type: 'logarithmic',
    ticks: { callback: (v) => (/^[125]/.test(String(v)) ? duration(Number(v)) : '') },
    title: { display: false },
  };
  const durationTooltip = { callbacks: { label: (c) => `${c.dataset.label}: ${duration(c.raw)}` } };
  // A log axis cannot show 0 (or nothing): such bars are left out.
  const onLog = (v) => (v === null || v <= 0 ? null : v);

  function draw(d) {
    const statuses = d.orders.byStatus;
    chart('chart-status', {
      type: 'bar',
      data: {
        labels: statuses.map((s) => s.status.replace('_', ' ')),
        datasets: CHANNELS.map((c) => ({ label: c.label, data: statuses.map((s) => s[c.key]), backgroundColor: c.color, borderRadius: 3 })),
      },
      options: {
        ...common,
        indexAxis: 'y',
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, ticks: { autoSkip: false } } },
      },
    });

    const iv = d.throughput.intervals;
    const series = (kind, label, c, dashed) => ({
      label: `${label} · ${c.label.toLowerCase()}`,
      data: iv.map((i) => i[kind][c.key]),
      borderColor: dashed ? c.light : c.color,
      backgroundColor: dashed ? c.light : c.color,
      borderDash: dashed ? [6, 4] : [],
      borderWidth: 2,
      pointRadius: iv.length > 48 ? 0 : 2,
      tension: 0.25,
    });
    chart('chart-throughput', {
      type: 'line',
      data: {
        labels: iv.map((i) => intervalLabel(i.start, d.window.interval)),
        datasets: CHANNELS.flatMap((c) => [series('created', 'created', c, false), series('delivered', 'delivered', c, true)]),
      },
      options: {
        ...common,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { autoSkip: true, maxTicksLimit: 12, maxRotation: 0 } } },
      },
    });

    chart('chart-stages', {
      type: 'bar',
      data: {
        labels: d.stages.map((s) => STAGE_LABELS[s.stage]),
        datasets: [
          { label: 'p50', data: d.stages.map((s) => onLog(s.p50Ms)), backgroundColor: '#7c9cf0', borderRadius: 3 },
          { label: 'p95', data: d.stages.map((s) => onLog(s.p95Ms)), backgroundColor: '#1e40af', borderRadius: 3 },
        ],
      },
      options: { ...common, scales: { y: durationAxis }, plugins: { ...common.plugins, tooltip: durationTooltip } },
    });

    chart('chart-queue-wait', {
      type: 'bar',
      data: {
        labels: d.queueWait.map((q) => STAGE_LABELS[q.stage]),
        datasets: CHANNELS.flatMap((c) => [
          { label: `${c.label} p50`, data: d.queueWait.map((q) => onLog(q[c.key].p50Ms)), backgroundColor: c.light, borderRadius: 3 },
          { label: `${c.label} p95`, data: d.queueWait.map((q) => onLog(q[c.key].p95Ms)), backgroundColor: c.color, borderRadius: 3 },
        ]),
      },
      options: { ...common, scales: { y: durationAxis }, plugins: { ...common.plugins, tooltip: durationTooltip } },
    });

    const queues = d.taskQueues || [];
    chart('chart-queues', {
      type: 'bar',
      data: {
        labels: queues.map((q) => q.queue),
        datasets: [
          { label: 'workflow tasks waiting', data: queues.map((q) => q.workflowBacklog), backgroundColor: '#6d28d9', borderRadius: 3 },
          { label: 'activity tasks waiting', data: queues.map((q) => q.activityBacklog), backgroundColor: '#0d9488', borderRadius: 3 },
        ],
      },
      options: { ...common, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function destroyCharts() {
    for (const id of Object.keys(charts)) {
      charts[id].destroy();
      delete charts[id];
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tables and figures

  function render(d) {
    const w = windowText(d.window.name);
    document.querySelectorAll('.window-label').forEach((el) => (el.textContent = w));
    setText('kpi-total', count.format(d.orders.total));
    setText('kpi-open', count.format(d.orders.open));
    setText('kpi-overdue', count.format(d.orders.overdue));
    setText('kpi-at-risk', count.format(d.orders.atRisk));
    const t = d.throughput.totals;
    setText('kpi-created', count.format(t.created.b2c + t.created.b2b));
    setText('kpi-delivered', count.format(t.delivered.b2c + t.delivered.b2b));

    fillRows('status-table', [
      ...d.orders.byStatus.map((s) => row([cell(s.status), numCell(s.b2c), numCell(s.b2b), numCell(s.total)])),
      row(
        [
          cell('all'),
          numCell(d.orders.byStatus.reduce((n, s) => n + s.b2c, 0)),
          numCell(d.orders.byStatus.reduce((n, s) => n + s.b2b, 0)),
          numCell(d.orders.total),
        ],
        'sum',
      ),
    ]);
    fillRows('throughput-table', [
      row([cell(`created ${w}`), numCell(t.created.b2c), numCell(t.created.b2b)]),
      row([cell(`delivered ${w}`), numCell(t.delivered.b2c), numCell(t.delivered.b2b)]),
      row([cell(`cancelled, rejected or failed ${w}`), numCell(t.endedOtherwise.b2c), numCell(t.endedOtherwise.b2b)]),
    ]);
    fillRows(
      'stages-table',
      d.stages.map((s) => row([cell(STAGE_LABELS[s.stage]), numCell(s.samples), cell(duration(s.p50Ms), 'num'), cell(duration(s.p95Ms), 'num')])),
    );
    fillRows(
      'queue-wait-table',
      d.queueWait.map((q) =>
        row(
          [
            cell(STAGE_LABELS[q.stage]),
            cell(duration(q.b2c.p50Ms), 'num'),
            cell(duration(q.b2c.p95Ms), 'num'),
            cell(duration(q.b2b.p50Ms), 'num'),
            cell(duration(q.b2b.p95Ms), 'num'),
          ],
          q.stage === 'all' ? 'sum' : '',
        ),
      ),
    );

    const queuesError = $('[data-testid="queues-error"]');
    queuesError.hidden = d.taskQueues !== null;
    queuesError.textContent = d.taskQueues === null ? `Temporal could not be asked: ${d.taskQueuesError || 'unknown error'}` : '';
    fillRows(
      'queues-table',
      (d.taskQueues || []).map((q) => row([cell(q.queue), numCell(q.workflowBacklog), numCell(q.activityBacklog), numCell(q.workers)])),
    );

    const attention = d.attention.orders;
    fillRows(
      'attention-table',
      attention.map((o) => {
        const tag = document.createElement('span');
        tag.className = o.overdueAt ? 'tag overdue' : 'tag at-risk';
        tag.textContent = o.overdueAt ? 'overdue' : 'at risk';
        const flag = cell('');
        flag.append(tag);
        const link = document.createElement('a');
        link.href = o.trace.url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        link.textContent = 'trace ↗';
        const trace = cell('');
        trace.append(link);
        const channel = o.channel === 'b2c' ? 'shop' : `partner ${o.partnerId || ''}`.trim();
        const promised = o.promisedBy ? new Date(o.promisedBy).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' }) : '–';
        const tr = row([cell(o.id.slice(0, 8)), flag, cell(channel), cell(o.status.replace('_', ' ')), cell(o.priority), cell(promised), trace]);
        tr.firstChild.title = o.id;
        tr.dataset.orderId = o.id;
        return tr;
      }),
    );
    $('[data-testid="attention-empty"]').hidden = attention.length > 0;
    $('[data-testid="attention-table"]').hidden = attention.length === 0;
    const shown = d.orders.overdue + d.orders.atRisk;
    setText('attention-note', shown > attention.length ? `(earliest ${attention.length} of ${count.format(shown)})` : '');

    $('#foot').textContent =
      `Percentiles from log-scale histograms, within ${(d.percentileRelativeError * 100).toFixed(1)} % of the exact value. ` +
      `Intervals are UTC ${d.window.interval}s from ${new Date(d.window.from).toLocaleString('en-GB')}.`;
    draw(d);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  function showLogin(message) {
    clearTimeout(timer);
    destroyCharts();
    sessionStorage.removeItem(KEY_STORAGE);
    // Nothing of the last answer stays on the page.
    document.querySelectorAll('[data-testid$="-table"] tbody').forEach((b) => b.replaceChildren());
    document.querySelectorAll('.kpi .value').forEach((v) => (v.textContent = ''));
    $('#board').hidden = true;
    $('#controls').hidden = true;
    $('#login').hidden = false;
    const error = $('#error');
    error.hidden = !message;
    error.textContent = message || '';
    document.body.dataset.state = message ? 'refused' : 'login';
    $('#key').focus();
  }

  async function load() {
    clearTimeout(timer);
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (!key) return showLogin();
    const request = (inFlight = new AbortController());
    let answer;
    try {
      const res = await fetch(`/v1/dashboard?window=${encodeURIComponent($('#window').value)}`, {
        headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
        signal: request.signal,
      });
      const body = await res.json().catch(() => undefined);
      answer = { status: res.status, body, retryAfter: Number(res.headers.get('retry-after')) || 0 };
    } catch (err) {
      if (request.signal.aborted) return;
      answer = { status: 0, body: { detail: String(err && err.message ? err.message : err) } };
    }
    if (request !== inFlight) return;
    if (answer.status === 401 || answer.status === 403) {
      const detail = (answer.body && answer.body.detail) || 'The key was refused.';
      return showLogin(answer.status === 403 ? `This key may not open the dashboard (operator keys only). ${detail}` : `The key was refused. ${detail}`);
    }
    const stale = $('#stale');
    if (answer.status === 200) {
      $('#login').hidden = true;
      $('#board').hidden = false;
      $('#controls').hidden = false;
      stale.hidden = true;
      render(answer.body);
      $('#updated').textContent = `updated ${new Date(answer.body.generatedAt).toLocaleTimeString('en-GB')} · refreshes every ${REFRESH_MS / 1000} s`;
      document.body.dataset.state = 'ready';
      document.body.dataset.generatedAt = answer.body.generatedAt;
    } else {
      // Keep the last figures, say they are old, and try again.
      stale.hidden = false;
      stale.textContent = `Could not refresh (${answer.status || 'no answer'}): ${(answer.body && (answer.body.detail || answer.body.title)) || 'unknown error'}. Showing the last figures; retrying.`;
      if ($('#board').hidden) document.body.dataset.state = 'error';
    }
    timer = setTimeout(load, Math.max(REFRESH_MS, answer.retryAfter * 1000));
  }

  $('#key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('#key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('#key').value = '';
    document.body.dataset.state = 'loading';
    load();
  });
  $('#forget').addEventListener('click', () => showLogin());
  $('#window').addEventListener('change', () => load());

  if (sessionStorage.getItem(KEY_STORAGE)) load();
  else showLogin();
})();
