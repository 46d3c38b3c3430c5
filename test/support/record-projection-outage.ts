/**
 * Records the history of one order whose projection writes fail for a while (as when the shop
 * database is unreachable) from the first write of status `--outage-from`, long enough to span
 * workflow-task heartbeats while the order's promised-date timers fire; `--mes-after-seconds`
 * starts the production lines late, so the order waits for one and an escalation reschedules it:
 *   PIPELINE_TIME_SCALE=0.0002 TEMPORAL_ADDRESS=… SHOP_DATABASE_URL=… (and the other *_DATABASE_URL)
 *   tsx test/support/record-projection-outage.ts <file.json> [--outage-seconds 20] [--outage-from accepted]
 *       [--mes-after-seconds 0] [--query-every-ms 0]
 * `--query-every-ms` sends status queries while the order runs, as the API and operators do.
 * Runs the workers itself (the orders worker with the failing projection), against a Temporal
 * server with no other workers on the pipeline's task queues. Then queries the closed order,
 * which replays its history, and says whether that worked.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { openDatabases } from '../../db/index.js';
import { createOrderActivities } from '../../src/order/activities.js';
import { SYSTEMS, loadConfig, temporalConnectionOptions } from '../../src/platform/config.js';
import { dataConverter } from '../../src/platform/temporal/codec.js';
import { OrderRequestSchema } from '../../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../../src/order/intake.js';
import { connectWorkers, createWorkers } from '../../src/workers/run.js';
import { WORKFLOWS_PATH, bundlerOptions } from '../../src/workflows/bundle.js';
import { TASK_QUEUES, orderWorkflowId, statusQuery } from '../../src/order/contract.js';
import { sampleOrder } from './sample-order.js';

const { values, positionals } = parseArgs({
  options: {
    'outage-seconds': { type: 'string', default: '20' },
    'outage-from': { type: 'string', default: 'accepted' },
    'mes-after-seconds': { type: 'string', default: '0' },
    'query-every-ms': { type: 'string', default: '0' },
  },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) {
  console.error(
    'usage: tsx test/support/record-projection-outage.ts <file.json> [--outage-seconds 20] [--outage-from accepted] [--mes-after-seconds 0] [--query-every-ms 0]',
  );
  process.exit(2);
}
const outageMs = Number(values['outage-seconds']) * 1000;
const outageFrom = values['outage-from'];
const mesAfterMs = Number(values['mes-after-seconds']) * 1000;

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
const dbs = await openDatabases(config, SYSTEMS);
const native = await connectWorkers(temporalConnectionOptions(config));
const others = await createWorkers(
  {
    config,
    connection: native,
    db: { crm: dbs.crm.db, mes: dbs.mes.db, carrier: dbs.carrier.db, pricing: dbs.pricing.db },
    workflowBundlePath: config.workflowBundlePath,
  },
  ['pricing', 'crm', 'shipping'],
);
// production lines come up late when asked: the order then waits in the mes backlog
const mes = await createWorkers({ config, connection: native, db: { mes: dbs.mes.db } }, ['mes']);
const real = createOrderActivities({ shop: dbs.shop.db });
let outageUntil = 0;
const orders = await Worker.create({
  connection: native,
  namespace: config.temporal.namespace,
  dataConverter: dataConverter(config),
  taskQueue: TASK_QUEUES.orders,
  ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions }),
  activities: {
    ...real,
    async recordProgress(input: Parameters<typeof real.recordProgress>[0]) {
      // the outage begins with the first write after acceptance
      if (input.state.status === outageFrom && outageUntil === 0) outageUntil = Date.now() + outageMs;
      if (Date.now() < outageUntil) throw new Error('connect ECONNREFUSED (simulated outage of the shop database)');
      return real.recordProgress(input);
    },
  },
});
const running = Promise.all([others.run(), orders.run(), new Promise((r) => setTimeout(r, mesAfterMs)).then(() => mes.run())]);
const connection = await Connection.connect({ address: config.temporal.address });
try {
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });
  const input = newOrderInput({
    source: { clientId: 'shop', kind: 'shop' },
    order: OrderRequestSchema.parse(sampleOrder({ shipping: { method: 'pickup' } })),
    timeScale: config.timeScale,
  });
  const handle = await startOrderWorkflow(client, input);
  console.log(`started ${handle.workflowId}, promised-date timers at scale ${config.timeScale}; waiting for it to complete…`);
  // status queries while the order runs, as the API and operators send them
  let polling = Number(values['query-every-ms']) > 0;
  const poll = (async () => {
    while (polling) {
      await handle.query(statusQuery).catch((err: unknown) => console.log(`status query failed while running: ${String(err)}`));
      await new Promise((r) => setTimeout(r, Number(values['query-every-ms'])));
    }
  })();
  const result = await handle.result();
  polling = false;
  await poll;
  const history = await handle.fetchHistory();
  await writeFile(file, historyToJSON(history));
  console.log(`order ${input.orderId} ended ${result.status}; history (${history.events?.length} events) written to ${file}`);
  const replayed = await client.workflow
    .getHandle(orderWorkflowId(input.orderId))
    .query(statusQuery)
    .then(
      (s) => `the closed order answers its status query: ${s.status}`,
      (err: unknown) => `the closed order does not answer its status query: ${String(err)}`,
    );
  console.log(replayed);
} finally {
  others.shutdown();
  mes.shutdown();
  orders.shutdown();
  await running;
  await connection.close();
  await native.close();
  await dbs.close();
}
