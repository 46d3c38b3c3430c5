import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { CATALOG, CURRENCY, VAT_BASIS_POINTS } from '../../domain/catalog.js';
import { OrderItemSchema } from '../../domain/order.js';
import { validateItems } from '../../domain/validation.js';
import { TASK_QUEUES, type QuoteInput } from '../../workflows/order/contract.js';
import { quoteWorkflow } from '../../workflows/quote.js';
import type { ApiDeps } from '../deps.js';
import { allow, caller, jsonBody } from '../middleware.js';
import { HttpProblem, validationProblem, zodFieldErrors } from '../problem.js';
import type { CatalogSchema } from '../schemas.js';
import { temporalUnavailable } from './orders.js';

/** Body of `POST /v1/quotes`. */
export const QuoteRequestSchema = z.object({ items: z.array(OrderItemSchema).min(1).max(50) }).strict();

/** The public catalog: products, their options with defaults, quantities and lead times. */
export function catalogResource() {
  return {
    currency: CURRENCY,
    vatPercent: VAT_BASIS_POINTS / 100,
    products: CATALOG.map((p) => ({
      sku: p.sku,
      name: p.name,
      description: p.description,
      minQuantity: p.minQuantity,
      maxQuantity: p.maxQuantity,
      leadTimeDays: p.leadTimeDays,
      options: Object.entries(p.options).map(([name, o]) => ({
        name,
        label: o.label,
        default: o.default,
        values: Object.entries(o.values).map(([value, v]) => ({ value, label: v.label })),
      })),
    })),
  } satisfies z.infer<typeof CatalogSchema>;
}

/** `GET /v1/catalog`, `POST /v1/quotes` (priced by the same engine and queue as orders). */
export function catalogRoutes(deps: ApiDeps): Router {
  const router = Router();
  const catalog = catalogResource();

  router.get('/catalog', allow('shop', 'partner', 'operator'), (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(catalog);
  });

  router.post('/quotes', allow('shop', 'partner', 'operator'), ...jsonBody, async (req, res) => {
    const parsed = QuoteRequestSchema.safeParse(req.body);
    if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error));
    const issues = validateItems(parsed.data.items);
    if (issues.length > 0) throw validationProblem(issues, 'The items break business rules of the catalog.');
    const client = caller(req);
    const input: QuoteInput = { items: parsed.data.items, ...(client.partnerId ? { partnerId: client.partnerId } : {}) };
    try {
      const result = await deps.temporal.withDeadline(Date.now() + 15_000, () =>
        deps.temporal.workflow.execute(quoteWorkflow, { taskQueue: TASK_QUEUES.orders, workflowId: `quote-${randomUUID()}`, args: [input] }),
      );
      res.json({ price: result.price });
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw new HttpProblem(422, 'Cannot be priced', err.cause?.message ?? err.message);
      deps.log.warn({ err }, 'quote failed');
      throw temporalUnavailable(err);
    }
  });
  return router;
}
