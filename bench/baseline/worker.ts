/**
 * Worker of the benchmark baseline (bench/baseline/workflow.ts), run as a child process of
 * bench/pipeline.ts: BENCH_TEMPORAL_ADDRESS, BENCH_BASELINE_BUNDLE (pre-built bundle) and
 * BENCH_BASELINE_QUEUE come from the parent, and TEMPORAL_TLS_* on a cluster with mTLS. The worker limits are those of the `orders` worker
 * at the default ORDERS_CONCURRENCY and MAX_CACHED_WORKFLOWS, so both sides get the same slots.
 * Stops when stdin closes or on SIGTERM.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/platform/config.js';
import { baselineActivities } from './activities.js';

const address = process.env.BENCH_TEMPORAL_ADDRESS;
const codePath = process.env.BENCH_BASELINE_BUNDLE;
const taskQueue = process.env.BENCH_BASELINE_QUEUE;
if (!address || !codePath || !taskQueue) {
  console.error('bench/baseline/worker.ts is started by bench/pipeline.ts');
  process.exit(2);
}
const concurrency = Number(process.env.BENCH_BASELINE_CONCURRENCY ?? 50);

Runtime.install({ logger: new DefaultLogger('ERROR') });
// TEMPORAL_TLS_*: the client certificate of a cluster that runs mTLS (npm run bench -- --cluster).
const tls = loadConfig(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('TEMPORAL_TLS')))).temporal.tls;
const connection = await NativeConnection.connect(tls ? { address, tls } : { address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: { codePath },
  activities: baselineActivities,
  maxConcurrentActivityTaskExecutions: concurrency,
  maxConcurrentLocalActivityExecutions: concurrency,
  maxConcurrentWorkflowTaskExecutions: Math.min(concurrency, 50),
  maxCachedWorkflows: Number(process.env.BENCH_BASELINE_CACHE ?? 500),
});
const stop = () => worker.getState() === 'RUNNING' && worker.shutdown();
process.stdin.on('end', stop).resume();
process.once('SIGTERM', stop);
console.log('ready');
await worker.run();
await connection.close();
