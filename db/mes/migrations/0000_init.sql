CREATE TABLE "production_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"spec" jsonb NOT NULL,
	"status" text NOT NULL,
	"duration_ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finishes_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "production_jobs_order_id_unique" UNIQUE("order_id")
);
--> statement-breakpoint
CREATE INDEX "production_jobs_status_idx" ON "production_jobs" USING btree ("status");