-- The booked shipment's tracking number in the order's row, so the API can check a carrier event
-- against the projection instead of asking the order's workflow (a query: a workflow task on a
-- worker); `projection_write` (0004) writes it like the other columns.
ALTER TABLE "orders" ADD COLUMN "tracking_number" text;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION projection_write(o jsonb, timeline jsonb, reachable_from text[])
RETURNS TABLE (outcome text, recorded_status text, recorded_version integer, finished integer[])
LANGUAGE plpgsql AS $$
DECLARE
  r orders := jsonb_populate_record(NULL::orders, o);
  entries order_events[] := ARRAY(SELECT t FROM jsonb_populate_recordset(NULL::order_events, coalesce(timeline, '[]')) t);
  rec record;
BEGIN
  LOOP
    SELECT x.status, x.version INTO rec FROM orders x WHERE x.id = r.id FOR UPDATE;
    IF FOUND THEN
      IF rec.version >= r.version THEN
        RETURN QUERY SELECT 'stale'::text, rec.status, rec.version, '{}'::integer[];
        RETURN;
      END IF;
      IF NOT (rec.status = ANY (reachable_from)) THEN
        RETURN QUERY SELECT 'backwards'::text, rec.status, rec.version, '{}'::integer[];
        RETURN;
      END IF;
      UPDATE orders x SET
        partner_id = r.partner_id, status = r.status, priority = r.priority, customer_name = r.customer_name,
        customer_email = r.customer_email, items = r.items, shipping = r.shipping, external_ref = r.external_ref,
        notes = r.notes, due_by = r.due_by, promised_by = r.promised_by, at_risk_at = r.at_risk_at,
        overdue_at = r.overdue_at, price = r.price, total_minor = r.total_minor, tracking_number = r.tracking_number,
        updated_at = r.updated_at, version = r.version
      WHERE x.id = r.id;
      EXIT;
    END IF;
    -- A first write; a concurrent first write of the same order makes this insert nothing, and
    -- the loop compares against what that one recorded.
    INSERT INTO orders (id, channel, partner_id, client_id, status, priority, customer_name, customer_email, items,
                        shipping, external_ref, notes, due_by, promised_by, at_risk_at, overdue_at, price, total_minor,
                        tracking_number, created_at, updated_at, version)
    VALUES (r.id, r.channel, r.partner_id, r.client_id, r.status, r.priority, r.customer_name, r.customer_email, r.items,
            r.shipping, r.external_ref, r.notes, r.due_by, r.promised_by, r.at_risk_at, r.overdue_at, r.price, r.total_minor,
            r.tracking_number, r.created_at, r.updated_at, r.version)
    ON CONFLICT (id) DO NOTHING;
    EXIT WHEN FOUND;
  END LOOP;

  finished := ARRAY(
    SELECT t.seq FROM unnest(entries) t
    WHERE t.status = 'completed' AND t.ended_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM order_events e
                      WHERE e.order_id = r.id AND e.seq = t.seq AND e.status = 'completed' AND e.ended_at IS NOT NULL)
    ORDER BY t.seq);

  -- New entries are appended; a known entry is updated only when it changed, so an unchanged
  -- entry costs neither a new row version nor a trigger.
  INSERT INTO order_events AS e (order_id, seq, stage, status, started_at, ended_at, attempts, priority, queue_wait_ms, detail)
  SELECT r.id, t.seq, t.stage, t.status, t.started_at, t.ended_at, t.attempts, t.priority, t.queue_wait_ms, t.detail
  FROM unnest(entries) t
  ON CONFLICT (order_id, seq) DO UPDATE
    SET status = excluded.status, ended_at = excluded.ended_at, attempts = excluded.attempts,
        queue_wait_ms = excluded.queue_wait_ms, detail = excluded.detail
    WHERE (e.status, e.ended_at, e.attempts, e.queue_wait_ms, e.detail)
          IS DISTINCT FROM (excluded.status, excluded.ended_at, excluded.attempts, excluded.queue_wait_ms, excluded.detail);

  RETURN QUERY SELECT 'written'::text, rec.status, rec.version, finished;
END
$$;
