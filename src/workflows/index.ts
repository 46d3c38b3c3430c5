// Entry of the workflow bundle: every workflow the `orders` worker runs.
export { orderWorkflow } from './order/workflow.js';
export { quoteWorkflow } from './quote.js';
export { webhookDeliveryWorkflow } from './webhook.js';
