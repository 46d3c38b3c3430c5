CREATE TABLE "integration_events" (
	"system" text NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"order_id" text NOT NULL,
	"accepted" integer NOT NULL,
	"reason" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "integration_events_system_event_id_pk" PRIMARY KEY("system","event_id")
);
--> statement-breakpoint
CREATE INDEX "integration_events_order_idx" ON "integration_events" USING btree ("order_id");