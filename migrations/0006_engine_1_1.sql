CREATE TABLE "input_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"payload_id" bigint,
	"committed_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "input_batches_kind" CHECK ("input_batches"."kind" in ('prices', 'usage', 'fx', 'approval', 'withdrawal', 'migration'))
);
--> statement-breakpoint
-- Every input stored before 1.1 forms batch 1, committed before anything that follows.
INSERT INTO "input_batches" ("id", "kind") VALUES (1, 'migration');--> statement-breakpoint
SELECT setval(pg_get_serial_sequence('input_batches', 'id'), 1);--> statement-breakpoint
CREATE TABLE "listing_states" (
	"sheet_id" bigint NOT NULL,
	"model" text NOT NULL,
	"component" text NOT NULL,
	"batch_id" bigint NOT NULL,
	"from_t" timestamp with time zone NOT NULL,
	"until_t" timestamp with time zone,
	"provider" text NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"listed_price" numeric NOT NULL,
	"listed_currency" text NOT NULL,
	"accepted_price" numeric NOT NULL,
	"accepted_currency" text NOT NULL,
	"accepted_sheet_id" bigint NOT NULL,
	"held" boolean NOT NULL,
	CONSTRAINT "listing_states_sheet_id_model_component_batch_id_from_t_pk" PRIMARY KEY("sheet_id","model","component","batch_id","from_t"),
	CONSTRAINT "listing_states_component" CHECK ("listing_states"."component" in ('input', 'cached_input', 'output'))
);
--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD COLUMN "weight_num" numeric;--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD COLUMN "weight_den" numeric;--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD COLUMN "volume" numeric;--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD COLUMN "cost_cny" numeric;--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD COLUMN "price_sheet_ids" bigint[];--> statement-breakpoint
ALTER TABLE "fixing_exclusions" ADD COLUMN "input_tokens" numeric;--> statement-breakpoint
ALTER TABLE "fixing_exclusions" ADD COLUMN "cached_input_tokens" numeric;--> statement-breakpoint
ALTER TABLE "fixing_exclusions" ADD COLUMN "output_tokens" numeric;--> statement-breakpoint
ALTER TABLE "fixings" ADD COLUMN "inputs_watermark" bigint;--> statement-breakpoint
ALTER TABLE "fixings" ADD COLUMN "fx_target" numeric;--> statement-breakpoint
ALTER TABLE "fx_rates" ADD COLUMN "batch_id" bigint NOT NULL DEFAULT 1;--> statement-breakpoint
ALTER TABLE "fx_rates" ALTER COLUMN "batch_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "price_approvals" ADD COLUMN "batch_id" bigint NOT NULL DEFAULT 1;--> statement-breakpoint
ALTER TABLE "price_approvals" ALTER COLUMN "batch_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "price_sheets" ADD COLUMN "batch_id" bigint NOT NULL DEFAULT 1;--> statement-breakpoint
ALTER TABLE "price_sheets" ALTER COLUMN "batch_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "batch_id" bigint NOT NULL DEFAULT 1;--> statement-breakpoint
ALTER TABLE "usage_records" ALTER COLUMN "batch_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "supersedes" bigint;--> statement-breakpoint
ALTER TABLE "input_batches" ADD CONSTRAINT "input_batches_payload_id_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_states" ADD CONSTRAINT "listing_states_sheet_id_price_sheets_id_fk" FOREIGN KEY ("sheet_id") REFERENCES "public"."price_sheets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_states" ADD CONSTRAINT "listing_states_batch_id_input_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."input_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fx_rates" ADD CONSTRAINT "fx_rates_batch_id_input_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."input_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_approvals" ADD CONSTRAINT "price_approvals_batch_id_input_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."input_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_sheets" ADD CONSTRAINT "price_sheets_batch_id_input_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."input_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_records_supersedes" ON "usage_records" USING btree ("supersedes","batch_id") WHERE "usage_records"."supersedes" is not null;--> statement-breakpoint
-- A usage record that corrects an earlier version names it (the key's previous version).
ALTER TABLE "usage_records" DISABLE TRIGGER "usage_records_append_only";--> statement-breakpoint
UPDATE "usage_records" u SET "supersedes" = p.id
FROM "usage_records" p
WHERE u.version > 1 AND p.provider = u.provider AND p.model = u.model AND p.period_start = u.period_start
  AND p.period_end = u.period_end AND p.version = u.version - 1;--> statement-breakpoint
ALTER TABLE "usage_records" ENABLE TRIGGER "usage_records_append_only";--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['input_batches', 'listing_states']
  LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ciyuan_append_only()',
                   t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ciyuan_append_only()',
                   t || '_no_truncate', t);
  END LOOP;
END
$$;--> statement-breakpoint
CREATE INDEX "listing_states_lookup" ON "listing_states" ("sheet_id", "batch_id");--> statement-breakpoint
CREATE INDEX "listing_states_walk" ON "listing_states" ("provider", "model", "component", "as_of", "sheet_id");--> statement-breakpoint
CREATE INDEX "price_approvals_listing" ON "price_approvals" ("provider", "model");--> statement-breakpoint
-- [1.1] num / den rounded half-even to d places, exactly: an integer quotient and its
-- remainder decide the last digit, so no division to a fixed scale ever decides a tie.
-- den must be > 0.
CREATE OR REPLACE FUNCTION round_ratio_half_even(num numeric, den numeric, d integer) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT round((q + CASE
            WHEN 2 * abs(r) > den THEN sign(r)
            WHEN 2 * abs(r) = den AND mod(q, 2) <> 0 THEN sign(r)
            ELSE 0 END) / power(10::numeric, d), d)
  FROM (SELECT div(num * power(10::numeric, d), den) AS q,
               num * power(10::numeric, d) - div(num * power(10::numeric, d), den) * den AS r) AS qr
$$;--> statement-breakpoint
-- The exact product of a set of numerics (the capped volumes of a basket: a handful).
CREATE AGGREGATE numeric_product(numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1');--> statement-breakpoint
-- [1.1] New definition versions: the same rules, computed under methodology 1.1. Fixings
-- stored under version 1 keep it; every fixing computed from now on uses version 2.
INSERT INTO index_definitions
  (code, version, name, description, currency, universe_country, weighting, cap,
   min_constituents, min_providers, fixing_local_time, fixing_tz, usage_window, base_level,
   methodology_version, valid_from)
SELECT code, 2, name, description, currency, universe_country, weighting, cap,
       min_constituents, min_providers, fixing_local_time, fixing_tz, usage_window, base_level,
       '1.1', valid_from
FROM index_definitions WHERE version = 1;
--> statement-breakpoint
-- A usage file is millions of rows: no per-row foreign key check on them (the batch names
-- the payload, with its own key).
ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_payload_id_payloads_id_fk";
