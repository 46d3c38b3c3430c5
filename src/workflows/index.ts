// Entry of the workflow bundle: every workflow the `orders` worker runs.
export { orderWorkflow } from '../order/workflow/workflow.js';
export { quoteWorkflow } from '../pricing/quote-workflow.js';
export { webhookDeliveryWorkflow } from '../webhooks/workflow.js';
