/**
 * Records the event history of one order for the replay tests:
 *   tsx test/support/record-history.ts <file> [--reject | --cancel | --webhooks | --refused-date | --reprioritize] [--waiting]
 * (`--refused-date`: a due date the shop database cannot store, started past the API's checks;
 * the order fails with `ProjectionRejected`. `--waiting`: the order is placed behind one that
 * holds the production line and acted on (`--cancel`, `--reprioritize`: raised to rush) while its
 * produce step waits in the mes queue; run the pipeline with MES_CAPACITY=1.)
 * Needs a running pipeline (e.g. `PIPELINE_TIME_SCALE=0.001 npm start`) at TEMPORAL_ADDRESS.
 * Commit the file under test/histories/ whenever a workflow version ships, so CI proves that
 * orders still in flight on that version keep replaying.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadConfig } from '../../src/platform/config.js';
import { dataConverter } from '../../src/platform/temporal/codec.js';
import { OrderRequestSchema } from '../../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../../src/order/intake.js';
import { cancelUpdate, reprioritizeUpdate, statusQuery } from '../../src/order/contract.js';
import { sampleOrder } from './sample-order.js';

const { values, positionals } = parseArgs({
  options: {
    reject: { type: 'boolean' },
    cancel: { type: 'boolean' },
    webhooks: { type: 'boolean' },
    'refused-date': { type: 'boolean' },
    reprioritize: { type: 'boolean' },
    waiting: { type: 'boolean' },
  },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) {
  console.error('usage: tsx test/support/record-history.ts <file.json> [--reject | --cancel | --webhooks | --refused-date | --reprioritize] [--waiting]');
  process.exit(2);
}
const config = loadConfig();
const connection = await Connection.connect({ address: config.temporal.address });
try {
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });
  const order = OrderRequestSchema.parse(
    sampleOrder(
      values.reject
        ? { items: [{ sku: 'BC-STD', quantity: 10 }] }
        : { shipping: { method: 'pickup' }, ...(values['refused-date'] ? { dueBy: '9999-12-31T23:30:00-01:00' } : {}) },
    ),
  );
  const source = values.webhooks
    ? { clientId: 'partner-acme', kind: 'partner' as const, partnerId: 'acme', notify: true }
    : { clientId: 'shop', kind: 'shop' as const };
  const input = newOrderInput({ source, order, timeScale: config.timeScale, carrierEventGraceMs: config.integrations.carrierEventGraceMs });
  const waiting = values.reprioritize || values.waiting;
  if (waiting) {
    // 100,000 business cards hold the only line while the recorded order waits for it.
    const blocker = OrderRequestSchema.parse(sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } }));
    await startOrderWorkflow(client, newOrderInput({ source, order: blocker, timeScale: config.timeScale }));
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const handle = await startOrderWorkflow(client, input);
  console.log(`started ${handle.workflowId}; waiting for it to complete…`);
  if (waiting) {
    for (let state = await handle.query(statusQuery); state.status !== 'awaiting_production'; state = await handle.query(statusQuery)) {
      if (state.status !== 'received' && state.status !== 'accepted' && state.status !== 'priced' && state.status !== 'routed')
        throw new Error(`the order did not wait for the line (${state.status})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    if (values.reprioritize)
      await handle.executeUpdate(reprioritizeUpdate, { args: [{ priority: 'rush', reason: 'recorded for the replay tests', by: 'ops' }] });
  }
  if (values.cancel) await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'recorded for the replay tests', by: 'ops' }] });
  const result = await handle.result().catch(async (err: unknown) => {
    if (!values['refused-date']) throw err;
    return handle.query(statusQuery); // the order failed, as it should
  });
  const history = await handle.fetchHistory();
  await writeFile(file, historyToJSON(history));
  console.log(`order ${input.orderId} ended ${result.status}; history (${history.events?.length} events) written to ${file}`);
} finally {
  await connection.close();
}
