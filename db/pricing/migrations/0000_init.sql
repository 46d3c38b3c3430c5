CREATE TABLE "price_cache" (
	"hash" text PRIMARY KEY NOT NULL,
	"price_list_version" text NOT NULL,
	"price_list" text NOT NULL,
	"breakdown" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"hits" integer DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone
);
