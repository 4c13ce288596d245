CREATE TABLE "fixing_constituents" (
	"fixing_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"raw_weight" numeric NOT NULL,
	"weight" numeric NOT NULL,
	"capped" boolean NOT NULL,
	"price" numeric NOT NULL,
	"input_price" numeric NOT NULL,
	"output_price" numeric NOT NULL,
	"blended_price" numeric NOT NULL,
	"list_input_price" numeric NOT NULL,
	"list_cached_input_price" numeric,
	"input_tokens" numeric NOT NULL,
	"cached_input_tokens" numeric NOT NULL,
	"output_tokens" numeric NOT NULL,
	"held" text[] NOT NULL,
	"sheet_id" bigint NOT NULL,
	"fx_rate_id" bigint,
	CONSTRAINT "fixing_constituents_fixing_id_provider_model_pk" PRIMARY KEY("fixing_id","provider","model")
);
--> statement-breakpoint
CREATE TABLE "fixing_exclusions" (
	"fixing_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"reason" text NOT NULL,
	CONSTRAINT "fixing_exclusions_fixing_id_provider_model_pk" PRIMARY KEY("fixing_id","provider","model")
);
--> statement-breakpoint
CREATE TABLE "fixing_inputs" (
	"fixing_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"ref_id" bigint NOT NULL,
	CONSTRAINT "fixing_inputs_fixing_id_kind_ref_id_pk" PRIMARY KEY("fixing_id","kind","ref_id")
);
--> statement-breakpoint
CREATE TABLE "fixings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"index_code" text NOT NULL,
	"definition_version" integer NOT NULL,
	"fixing_time" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"revision" integer NOT NULL,
	"status" text NOT NULL,
	"value" numeric,
	"level" numeric,
	"p25" numeric,
	"p50" numeric,
	"p75" numeric,
	"currency" text NOT NULL,
	"constituent_count" integer NOT NULL,
	"provider_count" integer NOT NULL,
	"prev_fixing_id" bigint,
	"carried_from_fixing_id" bigint,
	"methodology_version" text NOT NULL,
	"inputs_sha256" text NOT NULL,
	"reason" text NOT NULL,
	"computed_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "fixings_kind" CHECK ("fixings"."kind" in ('final', 'indicative')),
	CONSTRAINT "fixings_status" CHECK ("fixings"."status" in ('ok', 'insufficient'))
);
--> statement-breakpoint
CREATE TABLE "fx_rates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"currency" text NOT NULL,
	"cny_per_unit" numeric NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"payload_id" bigint,
	"imported_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "fx_rates_positive" CHECK ("fx_rates"."cny_per_unit" > 0)
);
--> statement-breakpoint
CREATE TABLE "index_definitions" (
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"currency" text NOT NULL,
	"universe_country" text,
	"weighting" text NOT NULL,
	"cap" numeric NOT NULL,
	"min_constituents" integer NOT NULL,
	"min_providers" integer NOT NULL,
	"fixing_local_time" text NOT NULL,
	"fixing_tz" text NOT NULL,
	"usage_window" text NOT NULL,
	"base_level" numeric NOT NULL,
	"methodology_version" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "index_definitions_code_version_pk" PRIMARY KEY("code","version")
);
--> statement-breakpoint
CREATE TABLE "meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"set_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payloads" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"location" text NOT NULL,
	"http_status" integer,
	"sha256" text NOT NULL,
	"bytes" bigint NOT NULL,
	"content" text,
	"received_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "price_approvals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"sheet_as_of" timestamp with time zone NOT NULL,
	"approved_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"approved_by" text DEFAULT 'cli' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "price_sheets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"country" text NOT NULL,
	"country_source" text NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"currency" text NOT NULL,
	"unit" text NOT NULL,
	"raw" text NOT NULL,
	"raw_sha256" text NOT NULL,
	"content_sha256" text NOT NULL,
	"payload_id" bigint,
	"imported_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"payload_id" bigint,
	"location" text NOT NULL,
	"provider" text,
	"as_of" text,
	"reason" text NOT NULL,
	"raw" text NOT NULL,
	"raw_sha256" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sheet_models" (
	"sheet_id" bigint NOT NULL,
	"model" text NOT NULL,
	"currency" text NOT NULL,
	"unit" text NOT NULL,
	"input" numeric,
	"cached_input" numeric,
	"output" numeric,
	"tiers" jsonb,
	"off_peak" jsonb,
	CONSTRAINT "sheet_models_sheet_id_model_pk" PRIMARY KEY("sheet_id","model"),
	CONSTRAINT "sheet_models_positive" CHECK (coalesce("sheet_models"."input", 1) > 0 and coalesce("sheet_models"."cached_input", 1) > 0 and coalesce("sheet_models"."output", 1) > 0)
);
--> statement-breakpoint
CREATE TABLE "usage_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"version" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"cached_input_tokens" bigint,
	"output_tokens" bigint NOT NULL,
	"payload_id" bigint,
	"imported_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "usage_records_valid" CHECK ("usage_records"."input_tokens" >= 0 and "usage_records"."output_tokens" >= 0 and coalesce("usage_records"."cached_input_tokens", 0) >= 0
          and coalesce("usage_records"."cached_input_tokens", 0) <= "usage_records"."input_tokens" and "usage_records"."period_end" > "usage_records"."period_start")
);
--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD CONSTRAINT "fixing_constituents_fixing_id_fixings_id_fk" FOREIGN KEY ("fixing_id") REFERENCES "public"."fixings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fixing_exclusions" ADD CONSTRAINT "fixing_exclusions_fixing_id_fixings_id_fk" FOREIGN KEY ("fixing_id") REFERENCES "public"."fixings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fixing_inputs" ADD CONSTRAINT "fixing_inputs_fixing_id_fixings_id_fk" FOREIGN KEY ("fixing_id") REFERENCES "public"."fixings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fx_rates" ADD CONSTRAINT "fx_rates_payload_id_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_sheets" ADD CONSTRAINT "price_sheets_payload_id_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_payload_id_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sheet_models" ADD CONSTRAINT "sheet_models_sheet_id_price_sheets_id_fk" FOREIGN KEY ("sheet_id") REFERENCES "public"."price_sheets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_payload_id_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "fixings_identity" ON "fixings" USING btree ("index_code","kind","fixing_time","revision");--> statement-breakpoint
CREATE INDEX "fx_rates_currency_as_of" ON "fx_rates" USING btree ("currency","as_of");--> statement-breakpoint
CREATE INDEX "payloads_sha256_idx" ON "payloads" USING btree ("sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "price_approvals_identity" ON "price_approvals" USING btree ("provider","model","sheet_as_of");--> statement-breakpoint
CREATE UNIQUE INDEX "price_sheets_identity" ON "price_sheets" USING btree ("provider","as_of","content_sha256");--> statement-breakpoint
CREATE INDEX "price_sheets_provider_as_of" ON "price_sheets" USING btree ("provider","as_of");--> statement-breakpoint
CREATE UNIQUE INDEX "quarantine_raw" ON "quarantine" USING btree ("raw_sha256","reason");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_records_key_version" ON "usage_records" USING btree ("provider","model","period_start","period_end","version");--> statement-breakpoint
CREATE INDEX "usage_records_period_end" ON "usage_records" USING btree ("period_end");