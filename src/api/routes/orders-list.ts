/**
 * `GET /v1/orders`: the caller's orders from the shop projection (read connection), newest
 * first, in pages linked by an opaque keyset cursor.
 *
 * - Order: `created_at desc, id desc`; the cursor holds the last row's `created_at` (to the
 *   microsecond, as PostgreSQL stores it) and `id`, and the next page starts strictly after
 *   that pair. No OFFSET, so a deep page costs what the first one costs and rows added
 *   meanwhile never shift a page.
 * - Visibility: a partner key sees only its partner's rows, the shop key only `b2c` rows,
 *   operator keys everything (and may filter by `partnerId`).
 * - Every filter combination is an ordered index scan on one of the projection's list indexes
 *   (src/order/schema.ts), the cursor an index condition; `npm run bench:list` shows the plans.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { ShopDb } from '../../../db/index.js';
import { orders } from '../../order/schema.js';
import type { Channel } from '../../domain/order.js';
import type { PriorityClass } from '../../domain/priority.js';
import type { OrderStatus } from '../../domain/status.js';
import type { ApiClient } from '../clients.js';
import { decodeCursor, encodeCursor, type ListPosition } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { problemExample } from '../examples.js';
import { caller, textIssue } from '../middleware.js';
import { traceLink, visibleTrace, type VisibleTraceLink } from '../order-resource.js';
import { HttpProblem, validationProblem, zodFieldErrors, type FieldError } from '../problem.js';
import { route } from '../route.js';
import { AUTHENTICATED, PROBLEM_TYPE, ok, rateLimitHeaders, response, validationFailed } from '../route-docs.js';
import {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  OrderListQuerySchema,
  OrderListSchema,
  ProblemSchema,
  type OrderList,
  type OrderListQuery,
  type OrderSummary,
} from '../schemas.js';

/**
 * Field errors no schema reports well: a parameter given more than once (`?status=a&status=b`
 * arrives as an array) and text that cannot be stored or compared (NUL, broken unicode).
 */
export function queryShapeErrors(query: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) errors.push({ path: name, message: 'given more than once; send each query parameter at most once' });
    else if (typeof value === 'string') {
      const issue = textIssue(value);
      if (issue) errors.push({ path: name, message: issue });
    }
  }
  return errors;
}

/** Field errors of a query; an unknown parameter is reported under its own name. */
function queryFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: key,
          message: `unknown query parameter; allowed: ${Object.keys(OrderListQuerySchema.shape).join(', ')}`,
        }))
      : zodFieldErrors(new z.ZodError([issue])),
  );
}

// ---------------------------------------------------------------------------------------------
// Query

/**
 * Equality filters of one list query. For each combination an index of `orders` delivers the
 * list order ((…, created_at desc, id desc)); for dense filters the planner may rather walk
 * orders_created_idx and filter, which it estimates cheaper (see bench/README.md).
 */
export interface ListFilter {
  partnerId?: string;
  channel?: Channel;
  status?: OrderStatus;
}

const SUMMARY_COLUMNS = {
  id: orders.id,
  channel: orders.channel,
  partnerId: orders.partnerId,
  status: orders.status,
  priority: orders.priority,
  customerName: orders.customerName,
  customerEmail: orders.customerEmail,
  items: orders.items,
  shipping: orders.shipping,
  price: orders.price,
  totalMinor: orders.totalMinor,
  promisedBy: orders.promisedBy,
  createdAt: orders.createdAt,
  updatedAt: orders.updatedAt,
  // Full precision for the cursor: a JS Date would drop the microseconds and skip rows.
  position: sql<string>`to_char(${orders.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
};

/** Newest first: `created_at desc, id desc`, the order of the list indexes (an ordered index scan). */
const NEWEST_FIRST = [desc(orders.createdAt), desc(orders.id)];

/**
 * The page query: `limit + 1` rows after `after`, newest first (the extra row tells whether
 * there is a next page). Exported so the benchmark can EXPLAIN exactly this statement.
 */
export function listOrdersQuery(db: ShopDb, filter: ListFilter, after: ListPosition | undefined, limit: number) {
  const conditions: SQL[] = [];
  if (filter.partnerId !== undefined) conditions.push(eq(orders.partnerId, filter.partnerId));
  if (filter.channel !== undefined) conditions.push(eq(orders.channel, filter.channel));
  if (filter.status !== undefined) conditions.push(eq(orders.status, filter.status));
  // A row comparison, so PostgreSQL uses it as an index condition on (…, created_at desc, id desc).
  if (after) conditions.push(sql`(${orders.createdAt}, ${orders.id}) < (${after.createdAt}::timestamptz, ${after.id}::text)`);
  return db
    .select(SUMMARY_COLUMNS)
    .from(orders)
    .where(and(...conditions))
    .orderBy(...NEWEST_FIRST)
    .limit(limit + 1);
}

type SummaryRow = Awaited<ReturnType<typeof listOrdersQuery>>[number];

export function toOrderSummary(row: SummaryRow, trace: VisibleTraceLink): OrderSummary {
  return {
    id: row.id,
    channel: row.channel,
    ...(row.partnerId ? { partnerId: row.partnerId } : {}),
    status: row.status as OrderStatus,
    priority: row.priority as PriorityClass,
    customer: { name: row.customerName, email: row.customerEmail },
    items: row.items,
    shipping: row.shipping,
    ...(row.price ? { price: row.price } : {}),
    ...(row.totalMinor !== null ? { totalMinor: row.totalMinor } : {}),
    promisedBy: row.promisedBy ? row.promisedBy.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    trace,
  };
}

/**
 * What a caller may list with the filters it asked for; undefined when the answer is empty by
 * definition (the shop asking for b2b orders).
 */
export function visibleFilter(client: ApiClient, query: OrderListQuery): ListFilter | undefined {
  const asked = { ...(query.channel ? { channel: query.channel } : {}), ...(query.status ? { status: query.status } : {}) };
  switch (client.kind) {
    case 'operator':
      return { ...asked, ...(query.partnerId !== undefined ? { partnerId: query.partnerId } : {}) };
    case 'shop':
      return query.channel && query.channel !== 'b2c' ? undefined : { ...asked, channel: 'b2c' };
    case 'partner':
      // Never fall back to "all orders" for a partner key without a partner.
      if (!client.partnerId) throw new HttpProblem(403, 'Forbidden', 'This partner key is not linked to a partner.');
      return { ...asked, partnerId: client.partnerId };
    default:
      throw new HttpProblem(403, 'Forbidden', 'This key may not list orders.');
  }
}

const listRoute = route<ApiDeps>();

/** 422 for a parameter given twice or text that cannot be compared, then 400 for a cursor this API did not issue. */
const queryShapeCheck: RequestHandler = (req, _res, next) => {
  const shapeErrors = queryShapeErrors(req.query as Record<string, unknown>);
  if (shapeErrors.length > 0) throw validationProblem(shapeErrors, 'The query parameters do not match the schema.');
  const cursor = req.query.cursor;
  if (typeof cursor === 'string') decodeCursor(cursor);
  next();
};

/** `GET /v1/orders?status=&channel=&partnerId=&limit=&cursor=`. */
export const ORDER_LIST_ROUTES = [
  listRoute({
    method: 'get',
    path: '/v1/orders',
    operationId: 'listOrders',
    tags: ['Orders'],
    summary: "List the caller's orders",
    description:
      `Newest first, one page at a time (keyset pagination): pass \`nextCursor\` back as \`cursor\` with the same filters; it is null on the last page. ` +
      `\`limit\` 1–${MAX_LIMIT}, default ${DEFAULT_LIMIT}. Partner keys see only their partner's orders, the shop key only \`b2c\` orders, ` +
      'operator keys all orders (and may filter by `partnerId`). Read from the orders projection: the latest status can show here a moment after `GET /v1/orders/{id}`.',
    allow: ['shop', 'partner', 'operator'],
    request: { query: { schema: OrderListQuerySchema, errors: queryFieldErrors, detail: 'The query parameters do not match the schema.' } },
    responses: (ex) => ({
      '200': ok('One page of orders.', OrderListSchema, ex.list),
      '400': {
        description: 'The cursor was not issued by this API.',
        headers: rateLimitHeaders,
        content: {
          [PROBLEM_TYPE]: {
            schema: ProblemSchema,
            example: problemExample(
              400,
              'bad-request',
              'Invalid cursor',
              'The cursor is malformed. Pass nextCursor of a previous page unchanged, or omit it for the first page.',
              '/v1/orders?cursor=abc',
              { errors: [{ path: 'cursor', message: 'malformed cursor' }] },
            ),
          },
        },
      },
      '403': response('Forbidden'),
      '422': validationFailed(
        'An unknown `status`, a `channel` other than `b2c|b2b`, a `limit` outside 1–100, `partnerId` from a non-operator key, or an unknown parameter.',
        '/v1/orders?limit=500',
        [{ path: 'limit', message: 'Too big: expected number to be <=100' }],
        'The query parameters do not match the schema.',
      ),
      ...AUTHENTICATED,
    }),
    before: () => [queryShapeCheck],
    handler:
      (deps) =>
      async (req, res, { query }) => {
        const { config } = deps;
        const client = caller(req);
        const cursor = req.query.cursor;
        const after = typeof cursor === 'string' ? decodeCursor(cursor) : undefined;
        if (query.partnerId !== undefined && client.kind !== 'operator') {
          throw validationProblem([{ path: 'partnerId', message: 'only operator keys may filter by partner; a partner key always lists its own orders' }]);
        }
        const limit = query.limit ?? DEFAULT_LIMIT;
        const filter = visibleFilter(client, query);

        const rows = filter ? await listOrdersQuery(deps.shopReader, filter, after, limit) : [];
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        const body: OrderList = {
          data: page.map((row) => toOrderSummary(row, visibleTrace(traceLink(config.temporal.uiUrl, config.temporal.namespace, row.id), client))),
          nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
        };
        res.json(body);
      },
  }),
];
