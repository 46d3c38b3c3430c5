import { z } from 'zod';

/** Sales channel: the shop sells to consumers (b2c), partners order over the API (b2b). */
export const CHANNELS = ['b2c', 'b2b'] as const;
export type Channel = (typeof CHANNELS)[number];

export const SHIPPING_METHODS = ['courier', 'pickup', 'post'] as const;
export type ShippingMethod = (typeof SHIPPING_METHODS)[number];

export const AddressSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().max(200).optional(),
    postalCode: z.string().trim().min(1).max(20),
    city: z.string().trim().min(1).max(100),
    country: z
      .string()
      .length(2, { error: 'ISO 3166-1 alpha-2 country code, e.g. "DE"', abort: true })
      .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, e.g. "DE"'),
  })
  .strict();

export const OrderItemSchema = z
  .object({
    sku: z.string().trim().min(1).max(64),
    quantity: z.number().int().positive().max(1_000_000),
    options: z.record(z.string().max(64), z.string().max(64)).optional(),
  })
  .strict();

export const CustomerSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: z.string().max(254).trim().toLowerCase().pipe(z.email().max(254)),
    phone: z.string().trim().min(3).max(40).optional(),
  })
  .strict();

export const ShippingSchema = z
  .object({
    method: z.enum(SHIPPING_METHODS),
    address: AddressSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.method !== 'pickup' && !s.address) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: `an address is required for ${s.method} shipping` });
    }
  });

/** Body of `POST /v1/orders`: the single source of the order's shape. */
export const OrderRequestSchema = z
  .object({
    customer: CustomerSchema,
    items: z.array(OrderItemSchema).min(1).max(50),
    shipping: ShippingSchema,
    // 40: an ISO date-time with nanoseconds and an offset has 35 characters.
    dueBy: z.iso.datetime({ offset: true }).max(40).optional(),
    externalRef: z.string().trim().min(1).max(100).optional(),
    notes: z.string().max(2000).optional(),
  })
  .strict();

export type OrderRequest = z.infer<typeof OrderRequestSchema>;
export type OrderItem = z.infer<typeof OrderItemSchema>;
export type Address = z.infer<typeof AddressSchema>;
