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
 *   (db/shop/schema.ts), the cursor an index condition; `npm run bench:list` shows the plans.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import type { ShopDb } from '../../../db/index.js';
import { orders } from '../../../db/shop/schema.js';
import { CHANNELS, OrderItemSchema, ShippingSchema, type Channel } from '../../domain/order.js';
import type { PriceBreakdown } from '../../domain/pricing/index.js';
import { PRIORITY_CLASSES, type PriorityClass } from '../../domain/priority.js';
import { ORDER_STATUSES, type OrderStatus } from '../../domain/status.js';
import { CLIENT_ID, CLIENT_ID_MAX_LENGTH, type ApiClient } from '../clients.js';
import type { ApiDeps } from '../deps.js';
import { allow, caller, textIssue } from '../middleware.js';
import { traceLink, visibleTrace, type VisibleTraceLink } from '../order-resource.js';
import { HttpProblem, validationProblem, zodFieldErrors, type FieldError } from '../problem.js';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

// ---------------------------------------------------------------------------------------------
// Public shapes (zod, so the OpenAPI document can be generated from them)

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const PriceLineSchema = z.strictObject({
  sku: z.string(),
  quantity: z.int(),
  options: z.record(z.string(), z.string()).describe('Options priced, defaults filled in.'),
  setupMinor: z.int().describe('Prepress, make-ready and finishing setups, before discounts.'),
  runMinor: z.int().describe('Material + press + finishing of the run, before discounts.'),
  discountPercent: z.number().describe('Quantity break reached: the run cost beyond it is reduced by this much.'),
  totalMinor: z.int().describe('The line after discounts and surcharges, VAT excluded.'),
  // Present on every price made since the production costing; absent on older ones.
  press: z.string().optional().describe('Press chosen: the cheapest for this quantity.'),
  sheet: z.string().optional().describe('Press sheet chosen: least waste among the sizes the press takes.'),
  layout: z.string().optional().describe('Pieces on the sheet, e.g. `8×4 upright + 2×5 turned`.'),
  upsPerSheet: z.int().optional(),
  sheets: z.int().optional().describe('Sheets printed, spoilage included.'),
  spoilageSheets: z.int().optional(),
  wastePercent: z.number().optional().describe('Share of the sheet that is not trimmed product.'),
  material: z.string().optional(),
  materialMinor: z.int().optional(),
  pressMinor: z.int().optional(),
  finishing: z.array(z.string()).optional(),
  finishingMinor: z.int().optional(),
  quantityDiscountMinor: z.int().optional(),
  priceListDiscountMinor: z.int().optional(),
  rushSurchargeMinor: z.int().optional(),
});

/** A checkable price, every amount in minor units (src/domain/pricing/). */
export const PriceSchema = z
  .strictObject({
    currency: z.string(),
    lines: z.array(PriceLineSchema),
    subtotalMinor: z.int(),
    vatMinor: z.int(),
    totalMinor: z.int(),
    priceList: z.string().optional().describe('Price list applied: `list` for the shop, a partner\'s own otherwise.'),
    priceListVersion: z.string().optional().describe('Version of the figures the price was made with.'),
    rush: z.boolean().optional().describe('Priced as a rush order (rush surcharge on every line).'),
  })
  .describe('Price breakdown; amounts in minor units (cents), VAT included in totalMinor.');
// Fails to compile when the domain's PriceBreakdown and this schema drift apart.
const priceSchemaIsPriceBreakdown: Same<z.output<typeof PriceSchema>, PriceBreakdown> = true;

export const TraceLinkSchema = z
  .strictObject({
    workflowId: z.string(),
    url: z.url().optional().describe('The order in the Temporal Web UI; not for partner keys (an internal address).'),
  })
  .describe('Where the order can be traced in Temporal.');
const traceSchemaIsTraceLink: Same<z.output<typeof TraceLinkSchema>, VisibleTraceLink> = true;
void [priceSchemaIsPriceBreakdown, traceSchemaIsTraceLink];

/** One order in a list: the order without its timeline, shipment and failure details. */
export const OrderSummarySchema = z
  .strictObject({
    id: z.string(),
    channel: z.enum(CHANNELS),
    partnerId: z.string().optional().describe('Set on partner (b2b) orders.'),
    status: z.enum(ORDER_STATUSES),
    priority: z.enum(PRIORITY_CLASSES),
    customer: z.strictObject({ name: z.string(), email: z.email() }),
    items: z.array(OrderItemSchema),
    shipping: ShippingSchema,
    price: PriceSchema.optional().describe('Present once the order is priced.'),
    totalMinor: z.int().optional().describe('Total incl. VAT in minor units; present once priced.'),
    promisedBy: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    trace: TraceLinkSchema,
  })
  .describe('Summary of an order as listed by GET /v1/orders; GET /v1/orders/{id} has the full order.');
export type OrderSummary = z.output<typeof OrderSummarySchema>;

/** Answer of `GET /v1/orders`. */
export const OrderListSchema = z
  .strictObject({
    data: z.array(OrderSummarySchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  })
  .describe('One page of orders, newest first.');
export type OrderList = z.output<typeof OrderListSchema>;

/** Longest cursor this API issues (and accepts). */
export const MAX_CURSOR_LENGTH = 512;

/** Query of `GET /v1/orders`; unknown parameters are refused. */
export const OrderListQuerySchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: z.enum(CHANNELS).optional(),
  partnerId: z
    .string()
    .max(CLIENT_ID_MAX_LENGTH)
    .regex(CLIENT_ID, 'a partner id: lower-case letters, digits, ".", "_" and "-", at most 63')
    .optional()
    .describe('Operator keys only.'),
  limit: z
    .string()
    .max(4)
    .regex(/^\d{1,4}$/, `an integer from 1 to ${MAX_LIMIT}`)
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_LIMIT))
    .optional()
    .describe(`Page size, 1 to ${MAX_LIMIT}; default ${DEFAULT_LIMIT}.`),
  // A cursor this API issues has about 100 characters. The bound is documented here but checked by
  // decodeCursor, so that a longer cursor is refused like any other this API did not issue (400).
  cursor: z.string().optional().meta({ description: 'nextCursor of the previous page.', maxLength: MAX_CURSOR_LENGTH }),
});
export type OrderListQuery = z.output<typeof OrderListQuerySchema>;

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
// Cursor

/** Position of a row in the list order: `created_at` as UTC ISO text with microseconds, and id. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

const CURSOR_TEXT = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CURSOR_LENGTH}}$`);
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
/**
 * Range of a cursor's time: every order was created in it. PostgreSQL refuses the year 0000
 * (there is none), and a position outside the range can only be forged.
 */
export const CURSOR_EARLIEST = '1970-01-01T00:00:00.000Z';
export const CURSOR_LATEST = '9999-12-31T23:59:59.999Z';
/** Longest id in a cursor: order ids are 36 characters; the rest of the margin is for ids made elsewhere. */
const CURSOR_ID_MAX = 200;
/** Printable text only: no control characters (NUL among them) and no unpaired surrogates. */
const CURSOR_ID = /^[^\p{Cc}\p{Cs}]+$/u;

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor holds; 400 for anything this API did not issue. */
export function decodeCursor(cursor: string): ListPosition {
  const bad = new HttpProblem(400, 'Invalid cursor', 'The cursor is malformed. Pass nextCursor of a previous page unchanged, or omit it for the first page.', {
    errors: [{ path: 'cursor', message: 'malformed cursor' }],
  });
  if (!CURSOR_TEXT.test(cursor)) throw bad;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!Array.isArray(value) || value.length !== 2) throw bad;
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > CURSOR_ID_MAX) throw bad;
  // The id is compared as text by PostgreSQL, which refuses NUL; broken unicode cannot be sent to it.
  if (!CURSOR_ID.test(id) || textIssue(id)) throw bad;
  // A real calendar instant (rejects e.g. February 30th, which PostgreSQL would refuse), in range.
  const parsed = new Date(createdAt);
  if (!CURSOR_TIME.test(createdAt) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 19) !== createdAt.slice(0, 19)) throw bad;
  if (parsed.getTime() < Date.parse(CURSOR_EARLIEST) || parsed.getTime() > Date.parse(CURSOR_LATEST)) throw bad;
  return { createdAt, id };
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

/** `GET /v1/orders?status=&channel=&partnerId=&limit=&cursor=`. */
export function orderListRoutes(deps: ApiDeps): Router {
  const { config } = deps;
  const router = Router();

  router.get('/orders', allow('shop', 'partner', 'operator'), async (req, res) => {
    const client = caller(req);
    const shapeErrors = queryShapeErrors(req.query as Record<string, unknown>);
    if (shapeErrors.length > 0) throw validationProblem(shapeErrors, 'The query parameters do not match the schema.');
    const cursor = req.query.cursor;
    const after = typeof cursor === 'string' ? decodeCursor(cursor) : undefined;
    const parsed = OrderListQuerySchema.safeParse(req.query);
    if (!parsed.success) throw validationProblem(queryFieldErrors(parsed.error), 'The query parameters do not match the schema.');
    const query = parsed.data;
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
  });

  return router;
}
