CREATE TABLE "shipments" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"tracking_number" text NOT NULL,
	"method" text NOT NULL,
	"address" jsonb,
	"status" text NOT NULL,
	"booked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expected_delivery_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "shipments_order_id_unique" UNIQUE("order_id"),
	CONSTRAINT "shipments_tracking_number_unique" UNIQUE("tracking_number")
);
