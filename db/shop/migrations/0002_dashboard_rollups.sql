CREATE TABLE "order_status_counts" (
	"status" text NOT NULL,
	"channel" text NOT NULL,
	"shard" smallint NOT NULL,
	"orders" bigint NOT NULL,
	"overdue" bigint NOT NULL,
	"at_risk" bigint NOT NULL,
	CONSTRAINT "order_status_counts_status_channel_shard_pk" PRIMARY KEY("status","channel","shard")
);
--> statement-breakpoint
CREATE TABLE "order_throughput_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"channel" text NOT NULL,
	"event" text NOT NULL,
	"shard" smallint NOT NULL,
	"orders" bigint NOT NULL,
	CONSTRAINT "order_throughput_hourly_hour_channel_event_shard_pk" PRIMARY KEY("hour","channel","event","shard")
);
--> statement-breakpoint
CREATE TABLE "stage_timings_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"metric" text NOT NULL,
	"stage" text NOT NULL,
	"channel" text NOT NULL,
	"bucket" smallint NOT NULL,
	"samples" bigint NOT NULL,
	CONSTRAINT "stage_timings_hourly_hour_metric_stage_channel_bucket_pk" PRIMARY KEY("hour","metric","stage","channel","bucket")
);
--> statement-breakpoint
CREATE INDEX "orders_attention_idx" ON "orders" USING btree ("promised_by") WHERE "orders"."status" <> all (array['delivered','cancelled','rejected','failed']) and ("orders"."overdue_at" is not null or "orders"."at_risk_at" is not null);