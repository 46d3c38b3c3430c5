/**
 * Records the event history of one order for the replay tests:
 *   tsx test/support/record-history.ts <file> [--reject | --cancel | --webhooks | --refused-date]
 * (`--refused-date`: a due date the shop database cannot store, started past the API's checks;
 * the order fails with `ProjectionRejected`.)
 * Needs a running pipeline (e.g. `PIPELINE_TIME_SCALE=0.001 npm start`) at TEMPORAL_ADDRESS.
 * Commit the file under test/histories/ whenever a workflow version ships, so CI proves that
 * orders still in flight on that version keep replaying.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadConfig } from '../../src/config.js';
import { OrderRequestSchema } from '../../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../../src/intake.js';
import { cancelUpdate, statusQuery } from '../../src/workflows/order/contract.js';
import { sampleOrder } from './sample-order.js';

const { values, positionals } = parseArgs({
  options: { reject: { type: 'boolean' }, cancel: { type: 'boolean' }, webhooks: { type: 'boolean' }, 'refused-date': { type: 'boolean' } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) {
  console.error('usage: tsx test/support/record-history.ts <file.json> [--reject | --cancel | --webhooks | --refused-date]');
  process.exit(2);
}
const config = loadConfig();
const connection = await Connection.connect({ address: config.temporal.address });
try {
  const client = new Client({ connection, namespace: config.temporal.namespace });
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
  const handle = await startOrderWorkflow(client, input);
  console.log(`started ${handle.workflowId}; waiting for it to complete…`);
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
