-- Keeps the dashboard rollups of 0001 equal to the GROUP BY over `orders` and `order_events`.
-- What one row contributes is defined once, in the *_of functions. The triggers take back the
-- old row's contribution and add the new row's (summed per key, zero changes dropped, keys in a
-- fixed order so concurrent writers lock counter rows in the same order and cannot deadlock).
-- A write that changes nothing the rollups see costs nothing: the UPDATE triggers have WHEN
-- clauses, and the projection's version guard skips stale writes before any trigger runs.
-- Timeline rows count under their order's channel; rows whose order is missing count nowhere
-- (the orders triggers add and take back an order's timeline when the order row comes and goes).
-- dashboard_rollups_rebuild() recomputes everything with the same functions: below for the
-- rows that exist already, and after bulk loads that bypass the triggers.

CREATE FUNCTION rollup_shard(id text) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (hashtext(id) & 7)::smallint $$;
--> statement-breakpoint
-- Histogram bucket of a duration in milliseconds: 0 below 1 ms, else b with 2^((b-1)/8) <= ms < 2^(b/8)
-- (eight buckets per doubling; src/domain/histogram.ts reads them).
CREATE FUNCTION rollup_bucket(ms double precision) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ms IS NULL OR ms < 1 THEN 0 ELSE least(32767, 1 + floor(8 * ln(ms) / ln(2)))::smallint END
$$;
--> statement-breakpoint
CREATE FUNCTION order_status_count_of(o orders)
RETURNS TABLE (status text, channel text, shard smallint, n_orders integer, n_overdue integer, n_at_risk integer)
LANGUAGE sql STABLE AS $$
  SELECT o.status, o.channel, rollup_shard(o.id), 1,
         (o.overdue_at IS NOT NULL)::integer,
         (o.at_risk_at IS NOT NULL AND o.overdue_at IS NULL)::integer
$$;
--> statement-breakpoint
CREATE FUNCTION order_throughput_of(o orders)
RETURNS TABLE (hour timestamptz, channel text, event text, shard smallint)
LANGUAGE sql STABLE AS $$
  SELECT v.hour, o.channel, v.event, rollup_shard(o.id)
  FROM (VALUES (date_trunc('hour', o.created_at, 'UTC'), 'created', true),
               (date_trunc('hour', o.updated_at, 'UTC'), o.status, o.status IN ('delivered', 'cancelled', 'rejected', 'failed'))) v (hour, event, counted)
  WHERE v.counted
$$;
--> statement-breakpoint
CREATE FUNCTION stage_timing_of(e order_events, order_channel text)
RETURNS TABLE (hour timestamptz, metric text, stage text, channel text, bucket smallint)
LANGUAGE sql STABLE AS $$
  SELECT v.hour, v.metric, e.stage, order_channel, v.bucket
  FROM (VALUES (date_trunc('hour', e.ended_at, 'UTC'), 'duration',
                rollup_bucket(extract(epoch FROM e.ended_at - e.started_at)::double precision * 1000),
                e.status = 'completed' AND e.ended_at IS NOT NULL),
               (date_trunc('hour', coalesce(e.ended_at, e.started_at), 'UTC'), 'queue_wait',
                rollup_bucket(e.queue_wait_ms), e.queue_wait_ms IS NOT NULL)) v (hour, metric, bucket, counted)
  WHERE v.counted AND e.stage IN ('accept', 'price', 'route-to-crm', 'produce', 'ship')
$$;
--> statement-breakpoint
CREATE FUNCTION orders_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_status_counts AS t (status, channel, shard, orders, overdue, at_risk)
  SELECT c.status, c.channel, c.shard, sum(c.n_orders * d.sign), sum(c.n_overdue * d.sign), sum(c.n_at_risk * d.sign)
  FROM (SELECT OLD AS o, -1 AS sign WHERE TG_OP <> 'INSERT' UNION ALL SELECT NEW, 1 WHERE TG_OP <> 'DELETE') d
  CROSS JOIN LATERAL order_status_count_of(d.o) c
  GROUP BY 1, 2, 3
  HAVING sum(c.n_orders * d.sign) <> 0 OR sum(c.n_overdue * d.sign) <> 0 OR sum(c.n_at_risk * d.sign) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT (status, channel, shard) DO UPDATE
    SET orders = t.orders + excluded.orders, overdue = t.overdue + excluded.overdue, at_risk = t.at_risk + excluded.at_risk;

  INSERT INTO order_throughput_hourly AS t (hour, channel, event, shard, orders)
  SELECT c.hour, c.channel, c.event, c.shard, sum(d.sign)
  FROM (SELECT OLD AS o, -1 AS sign WHERE TG_OP <> 'INSERT' UNION ALL SELECT NEW, 1 WHERE TG_OP <> 'DELETE') d
  CROSS JOIN LATERAL order_throughput_of(d.o) c
  GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, channel, event, shard) DO UPDATE SET orders = t.orders + excluded.orders;

  -- The order's timeline counts under its channel: when the row comes, goes, or changes id or
  -- channel, its timeline moves with it.
  IF TG_OP <> 'UPDATE' OR OLD.id IS DISTINCT FROM NEW.id OR OLD.channel IS DISTINCT FROM NEW.channel THEN
    INSERT INTO stage_timings_hourly AS t (hour, metric, stage, channel, bucket, samples)
    SELECT s.hour, s.metric, s.stage, s.channel, s.bucket, sum(d.sign)
    FROM (SELECT OLD.id AS id, OLD.channel AS channel, -1 AS sign WHERE TG_OP <> 'INSERT'
          UNION ALL SELECT NEW.id, NEW.channel, 1 WHERE TG_OP <> 'DELETE') d
    JOIN order_events e ON e.order_id = d.id
    CROSS JOIN LATERAL stage_timing_of(e, d.channel) s
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(d.sign) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (hour, metric, stage, channel, bucket) DO UPDATE SET samples = t.samples + excluded.samples;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION order_events_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  old_channel text;
  new_channel text;
BEGIN
  IF TG_OP <> 'INSERT' THEN SELECT o.channel INTO old_channel FROM orders o WHERE o.id = OLD.order_id; END IF;
  IF TG_OP <> 'DELETE' THEN SELECT o.channel INTO new_channel FROM orders o WHERE o.id = NEW.order_id; END IF;
  INSERT INTO stage_timings_hourly AS t (hour, metric, stage, channel, bucket, samples)
  SELECT s.hour, s.metric, s.stage, s.channel, s.bucket, sum(d.sign)
  FROM (SELECT OLD AS e, old_channel AS channel, -1 AS sign WHERE TG_OP <> 'INSERT' AND old_channel IS NOT NULL
        UNION ALL SELECT NEW, new_channel, 1 WHERE TG_OP <> 'DELETE' AND new_channel IS NOT NULL) d
  CROSS JOIN LATERAL stage_timing_of(d.e, d.channel) s
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(d.sign) <> 0
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (hour, metric, stage, channel, bucket) DO UPDATE SET samples = t.samples + excluded.samples;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION dashboard_rollups_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    TRUNCATE order_status_counts, order_throughput_hourly, stage_timings_hourly;
  ELSE
    TRUNCATE stage_timings_hourly;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER orders_rollup_insert AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_rollup();
--> statement-breakpoint
CREATE TRIGGER orders_rollup_update AFTER UPDATE ON orders FOR EACH ROW
WHEN (
  OLD.id IS DISTINCT FROM NEW.id
  OR OLD.status IS DISTINCT FROM NEW.status
  OR OLD.channel IS DISTINCT FROM NEW.channel
  OR (OLD.overdue_at IS NULL) <> (NEW.overdue_at IS NULL)
  OR (OLD.at_risk_at IS NULL) <> (NEW.at_risk_at IS NULL)
  OR OLD.created_at IS DISTINCT FROM NEW.created_at
  OR (NEW.status IN ('delivered', 'cancelled', 'rejected', 'failed') AND OLD.updated_at IS DISTINCT FROM NEW.updated_at)
)
EXECUTE FUNCTION orders_rollup();
--> statement-breakpoint
CREATE TRIGGER orders_rollup_delete AFTER DELETE ON orders FOR EACH ROW EXECUTE FUNCTION orders_rollup();
--> statement-breakpoint
CREATE TRIGGER orders_rollup_truncate AFTER TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION dashboard_rollups_truncate();
--> statement-breakpoint
CREATE TRIGGER order_events_rollup_insert AFTER INSERT ON order_events FOR EACH ROW
WHEN (NEW.stage IN ('accept', 'price', 'route-to-crm', 'produce', 'ship'))
EXECUTE FUNCTION order_events_rollup();
--> statement-breakpoint
CREATE TRIGGER order_events_rollup_update AFTER UPDATE ON order_events FOR EACH ROW
WHEN (
  (OLD.stage IN ('accept', 'price', 'route-to-crm', 'produce', 'ship') OR NEW.stage IN ('accept', 'price', 'route-to-crm', 'produce', 'ship'))
  AND (
    OLD.order_id IS DISTINCT FROM NEW.order_id
    OR OLD.stage IS DISTINCT FROM NEW.stage
    OR OLD.status IS DISTINCT FROM NEW.status
    OR OLD.started_at IS DISTINCT FROM NEW.started_at
    OR OLD.ended_at IS DISTINCT FROM NEW.ended_at
    OR OLD.queue_wait_ms IS DISTINCT FROM NEW.queue_wait_ms
  )
)
EXECUTE FUNCTION order_events_rollup();
--> statement-breakpoint
CREATE TRIGGER order_events_rollup_delete AFTER DELETE ON order_events FOR EACH ROW
WHEN (OLD.stage IN ('accept', 'price', 'route-to-crm', 'produce', 'ship'))
EXECUTE FUNCTION order_events_rollup();
--> statement-breakpoint
CREATE TRIGGER order_events_rollup_truncate AFTER TRUNCATE ON order_events FOR EACH STATEMENT EXECUTE FUNCTION dashboard_rollups_truncate();
--> statement-breakpoint
CREATE FUNCTION dashboard_rollups_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- No projection write may land between the recount and the end of this transaction.
  LOCK TABLE orders, order_events IN SHARE MODE;
  DELETE FROM order_status_counts;
  DELETE FROM order_throughput_hourly;
  DELETE FROM stage_timings_hourly;
  INSERT INTO order_status_counts (status, channel, shard, orders, overdue, at_risk)
  SELECT c.status, c.channel, c.shard, sum(c.n_orders), sum(c.n_overdue), sum(c.n_at_risk)
  FROM orders o CROSS JOIN LATERAL order_status_count_of(o) c
  GROUP BY 1, 2, 3;
  INSERT INTO order_throughput_hourly (hour, channel, event, shard, orders)
  SELECT c.hour, c.channel, c.event, c.shard, count(*)
  FROM orders o CROSS JOIN LATERAL order_throughput_of(o) c
  GROUP BY 1, 2, 3, 4;
  INSERT INTO stage_timings_hourly (hour, metric, stage, channel, bucket, samples)
  SELECT s.hour, s.metric, s.stage, s.channel, s.bucket, count(*)
  FROM order_events e JOIN orders o ON o.id = e.order_id CROSS JOIN LATERAL stage_timing_of(e, o.channel) s
  GROUP BY 1, 2, 3, 4, 5;
END
$$;
--> statement-breakpoint
SELECT dashboard_rollups_rebuild();
