CREATE TABLE "fixing_signatures" (
	"fixing_id" bigint NOT NULL,
	"kid" text NOT NULL,
	"sig" text NOT NULL,
	"signed_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "fixing_signatures_fixing_id_kid_pk" PRIMARY KEY("fixing_id","kid")
);
--> statement-breakpoint
CREATE TABLE "settlement_fixings" (
	"settlement_id" bigint NOT NULL,
	"fixing_id" bigint NOT NULL,
	CONSTRAINT "settlement_fixings_settlement_id_fixing_id_pk" PRIMARY KEY("settlement_id","fixing_id")
);
--> statement-breakpoint
CREATE TABLE "settlements" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"index_code" text NOT NULL,
	"month" text NOT NULL,
	"revision" integer NOT NULL,
	"value" numeric,
	"provisional" boolean NOT NULL,
	"fixing_count" integer NOT NULL,
	"reason" text NOT NULL,
	"computed_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"kid" text,
	"sig" text,
	CONSTRAINT "settlements_month" CHECK ("settlements"."month" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"alg" text NOT NULL,
	"public_key" text NOT NULL,
	"first_used_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "source_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"outcome" text NOT NULL,
	"detail" text,
	"payload_id" bigint,
	CONSTRAINT "source_runs_outcome" CHECK ("source_runs"."outcome" in ('ok', 'not_modified', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "fixing_signatures" ADD CONSTRAINT "fixing_signatures_fixing_id_fixings_id_fk" FOREIGN KEY ("fixing_id") REFERENCES "public"."fixings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fixing_signatures" ADD CONSTRAINT "fixing_signatures_kid_signing_keys_kid_fk" FOREIGN KEY ("kid") REFERENCES "public"."signing_keys"("kid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_fixings" ADD CONSTRAINT "settlement_fixings_settlement_id_settlements_id_fk" FOREIGN KEY ("settlement_id") REFERENCES "public"."settlements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_fixings" ADD CONSTRAINT "settlement_fixings_fixing_id_fixings_id_fk" FOREIGN KEY ("fixing_id") REFERENCES "public"."fixings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlements" ADD CONSTRAINT "settlements_kid_signing_keys_kid_fk" FOREIGN KEY ("kid") REFERENCES "public"."signing_keys"("kid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_runs" ADD CONSTRAINT "source_runs_payload_id_payloads_id_fk" FOREIGN KEY ("payload_id") REFERENCES "public"."payloads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "settlements_identity" ON "settlements" USING btree ("index_code","month","revision");--> statement-breakpoint
CREATE INDEX "source_runs_source_finished" ON "source_runs" USING btree ("source","finished_at");