/**
 * CRM database (embedded CRM): customers, account managers and the orders assigned to them.
 * Written only by the embedded CRM adapter in src/crm/system.ts.
 */
import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const customers = pgTable(
  'customers',
  {
    id: text('id').primaryKey(),
    /** '' for shop customers, else the partner the customer belongs to. */
    partnerId: text('partner_id').notNull().default(''),
    email: text('email').notNull(),
    name: text('name').notNull(),
    phone: text('phone'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('customers_partner_email_idx').on(t.partnerId, t.email)],
);

export const managers = pgTable('managers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull(),
  /** `b2c` managers share shop orders; a `key_account` manager owns one partner. */
  kind: text('kind', { enum: ['b2c', 'key_account'] }).notNull(),
  partnerId: text('partner_id'),
});

export const assignments = pgTable(
  'assignments',
  {
    orderId: text('order_id').primaryKey(),
    customerId: text('customer_id').notNull(),
    managerId: text('manager_id').notNull(),
    status: text('status', { enum: ['open', 'closed'] })
      .notNull()
      .default('open'),
    createdAt: ts('created_at').notNull().defaultNow(),
    closedAt: ts('closed_at'),
  },
  (t) => [
    index('assignments_open_manager_idx')
      .on(t.managerId)
      .where(sql`${t.status} = 'open'`),
  ],
);
