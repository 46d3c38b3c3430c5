import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { validateItems } from '../../domain/validation.js';
import { TASK_QUEUES } from '../../order/contract.js';
import { catalogResource } from '../catalog-resource.js';
import type { ApiDeps } from '../deps.js';
import { quoteExample } from '../examples.js';
import { caller, jsonBody } from '../middleware.js';
import { HttpProblem, temporalUnavailable, validationProblem } from '../problem.js';
import { route } from '../route.js';
import { AUTHENTICATED, JSON_BODY_ERRORS, header, ok, rateLimitHeaders, response, validationFailed } from '../route-docs.js';
import { CatalogSchema, QuoteRequestSchema, QuoteResponseSchema } from '../schemas.js';
import { QUOTE_WORKFLOW_TYPE, type QuoteInput, type QuoteWorkflow } from '../../pricing/contract.js';

const catalogRoute = route<ApiDeps>();

/** `GET /v1/catalog`, `POST /v1/quotes` (priced by the same engine and queue as orders). */
export const CATALOG_ROUTES = [
  catalogRoute({
    method: 'get',
    path: '/v1/catalog',
    operationId: 'getCatalog',
    tags: ['Catalog'],
    summary: 'The product catalog',
    description: 'Products with their options (and defaults), quantity limits and lead times. Cacheable for 5 minutes.',
    allow: ['shop', 'partner', 'operator'],
    responses: (ex) => ({
      '200': ok('The catalog.', CatalogSchema, ex.catalog, { ...rateLimitHeaders, 'Cache-Control': header('CacheControl') }),
      ...AUTHENTICATED,
    }),
    handler: () => {
      const catalog = catalogResource();
      return (_req, res) => {
        res.set('Cache-Control', 'public, max-age=300').json(catalog);
      };
    },
  }),
  catalogRoute({
    method: 'post',
    path: '/v1/quotes',
    operationId: 'createQuote',
    tags: ['Catalog'],
    summary: 'Price items without ordering',
    description: 'Priced by the same engine (and task queue) as orders; nothing is recorded.',
    allow: ['shop', 'partner', 'operator'],
    request: { body: { schema: QuoteRequestSchema, required: true, example: quoteExample } },
    responses: (ex) => ({
      '200': ok('The price.', QuoteResponseSchema, ex.quote),
      ...JSON_BODY_ERRORS,
      '422': validationFailed(
        'The items do not fit the schema or break a business rule of the catalog.',
        '/v1/quotes',
        [{ path: 'items.0.sku', message: 'unknown product "BC-XXL"' }],
        'The items break business rules of the catalog.',
      ),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    before: () => jsonBody,
    handler:
      (deps) =>
      async (req, res, { body }) => {
        const issues = validateItems(body.items);
        if (issues.length > 0) throw validationProblem(issues, 'The items break business rules of the catalog.');
        const client = caller(req);
        const input: QuoteInput = { items: body.items, ...(client.partnerId ? { partnerId: client.partnerId } : {}) };
        try {
          const result = await deps.temporal.withDeadline(Date.now() + 15_000, () =>
            deps.temporal.workflow.execute<QuoteWorkflow>(QUOTE_WORKFLOW_TYPE, {
              taskQueue: TASK_QUEUES.orders,
              workflowId: `quote-${randomUUID()}`,
              args: [input],
            }),
          );
          res.json({ price: result.price });
        } catch (err) {
          if (err instanceof WorkflowFailedError) throw new HttpProblem(422, 'Cannot be priced', err.cause?.message ?? err.message);
          deps.log.warn({ err }, 'quote failed');
          throw temporalUnavailable(err);
        }
      },
  }),
];
