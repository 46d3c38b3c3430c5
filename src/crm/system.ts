import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { CrmDb } from '../../db/index.js';
import type { CrmAssignment, RegisterOrderInput } from './contract.js';
import { assignments, customers, managers } from './schema.js';

/** What the pipeline needs of a CRM. A real CRM plugs in behind the same interface. */
export interface CrmAdapter {
  /** Upserts the customer, assigns a manager and registers the order; idempotent per order. */
  registerOrder(input: RegisterOrderInput): Promise<CrmAssignment>;
  /** Closes the order's assignment (order delivered or cancelled); idempotent. */
  closeAssignment(orderId: string): Promise<void>;
}

export class CrmError extends Error {}

/** Embedded CRM on its own PostgreSQL/PGlite database. */
export function createEmbeddedCrm(db: CrmDb): CrmAdapter {
  return {
    async registerOrder(input) {
      return db.transaction(async (tx) => {
        const partnerKey = input.channel === 'b2b' ? (input.partnerId ?? '') : '';
        const [customer] = await tx
          .insert(customers)
          .values({
            id: `cus_${randomUUID()}`,
            partnerId: partnerKey,
            email: input.customer.email,
            name: input.customer.name,
            phone: input.customer.phone ?? null,
          })
          .onConflictDoUpdate({
            target: [customers.partnerId, customers.email],
            set: { name: input.customer.name, phone: input.customer.phone ?? null, updatedAt: sql`now()` },
          })
          .returning({ id: customers.id });
        if (!customer) throw new CrmError('customer upsert returned nothing');

        const existing = await tx
          .select({ managerId: assignments.managerId, customerId: assignments.customerId, managerName: managers.name })
          .from(assignments)
          .innerJoin(managers, eq(managers.id, assignments.managerId))
          .where(eq(assignments.orderId, input.orderId));
        if (existing[0]) return existing[0];

        const manager = await pickManager(tx as unknown as CrmDb, input);
        await tx.insert(assignments).values({ orderId: input.orderId, customerId: customer.id, managerId: manager.id }).onConflictDoNothing();
        const [row] = await tx
          .select({ managerId: assignments.managerId, customerId: assignments.customerId, managerName: managers.name })
          .from(assignments)
          .innerJoin(managers, eq(managers.id, assignments.managerId))
          .where(eq(assignments.orderId, input.orderId));
        if (!row) throw new CrmError(`assignment of order ${input.orderId} vanished`);
        return row;
      });
    },

    async closeAssignment(orderId) {
      await db
        .update(assignments)
        .set({ status: 'closed', closedAt: sql`now()` })
        .where(and(eq(assignments.orderId, orderId), eq(assignments.status, 'open')));
    },
  };
}

/** A partner's order goes to its key-account manager; everything else to the least-loaded b2c manager. */
async function pickManager(db: CrmDb, input: RegisterOrderInput): Promise<{ id: string; name: string }> {
  if (input.channel === 'b2b' && input.partnerId) {
    const [ka] = await db
      .select({ id: managers.id, name: managers.name })
      .from(managers)
      .where(and(eq(managers.kind, 'key_account'), eq(managers.partnerId, input.partnerId)));
    if (ka) return ka;
  }
  const open = db
    .select({ managerId: assignments.managerId, n: count().as('n') })
    .from(assignments)
    .where(eq(assignments.status, 'open'))
    .groupBy(assignments.managerId)
    .as('open');
  const [least] = await db
    .select({ id: managers.id, name: managers.name })
    .from(managers)
    .leftJoin(open, eq(open.managerId, managers.id))
    .where(eq(managers.kind, 'b2c'))
    .orderBy(asc(sql`coalesce(${open.n}, 0)`), asc(managers.id))
    .limit(1);
  if (!least) throw new CrmError('the CRM has no b2c managers; seed the managers table');
  return least;
}
