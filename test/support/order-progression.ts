/**
 * The projection writes of a delivered order, as its workflow makes them: at the start, waiting
 * for a production line, on a line, shipped and delivered (version 1 to 5), each with the
 * order's whole timeline so far. For projection tests and the projection-write benchmark.
 */
import { OrderRequestSchema } from '../../src/domain/order.js';
import { priceOrder } from '../../src/domain/pricing/index.js';
import { newOrderInput } from '../../src/order/intake.js';
import { initialOrderState, type OrderState, type TimelineEntry } from '../../src/order/contract.js';
import { sampleOrder } from './sample-order.js';

export interface ProgressionOptions {
  /** When the order was created; default now. */
  createdAt?: Date;
  /** Milliseconds each stage takes; default 1 s each. */
  stageMs?: readonly number[];
  channel?: OrderState['channel'];
  /** The promised date passed before the order was shipped. */
  overdue?: boolean;
}

/** The five states of one new order on its way to `delivered`, oldest first. */
export function deliveredProgression(options: ProgressionOptions = {}): OrderState[] {
  const source = { clientId: 'shop', kind: 'shop', tier: 'shop' } as const;
  const base = initialOrderState(newOrderInput({ source, order: OrderRequestSchema.parse(sampleOrder()), timeScale: 1 }));
  const created = (options.createdAt ?? new Date()).getTime();
  const ms = (i: number) => options.stageMs?.[i] ?? 1000;
  // Stage i starts when stage i - 1 ends.
  const starts = [0];
  for (let i = 0; i < 5; i++) starts.push(starts[i]! + ms(i));
  const iso = (offset: number) => new Date(created + offset).toISOString();
  const stages = ['accept', 'price', 'route-to-crm', 'produce', 'ship'] as const;
  const entry = (i: number, done: boolean, extra: Partial<TimelineEntry> = {}): TimelineEntry => ({
    seq: i,
    stage: stages[i]!,
    status: done ? 'completed' : 'running',
    startedAt: iso(starts[i]!),
    ...(done ? { endedAt: iso(starts[i + 1]!) } : {}),
    attempts: 1,
    priority: base.priority,
    queueWaitMs: 2 + i,
    ...extra,
  });
  // Accepted (with its promised date) and priced by the second write on.
  const priced = { price: priceOrder(base.items), promisedBy: iso(starts[5]! + 86_400_000) };
  const state = (status: OrderState['status'], at: number, timeline: TimelineEntry[], sla?: OrderState['sla']): OrderState => ({
    ...base,
    ...(options.channel ? { channel: options.channel } : {}),
    createdAt: iso(0),
    status,
    updatedAt: iso(at),
    timeline,
    ...(status === 'received' ? {} : priced),
    ...(sla ? { sla } : {}),
  });
  const overdue = options.overdue ? { overdueAt: iso(starts[4]!) } : undefined;
  return [
    state('received', 0, []),
    state('awaiting_production', starts[3]!, [entry(0, true), entry(1, true), entry(2, true), entry(3, false)]),
    state('in_production', starts[3]! + 1, [entry(0, true), entry(1, true), entry(2, true), entry(3, false, { detail: 'on line L1' })]),
    state('shipped', starts[4]!, [entry(0, true), entry(1, true), entry(2, true), entry(3, true, { detail: 'on line L1' }), entry(4, false)], overdue),
    state('delivered', starts[5]!, [entry(0, true), entry(1, true), entry(2, true), entry(3, true, { detail: 'on line L1' }), entry(4, true)], overdue),
  ];
}
