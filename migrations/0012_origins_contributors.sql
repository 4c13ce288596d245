-- Where every number comes from, and contributors [issue 12; operations-and-users.md
-- sections 4-6]. input_batches.origin: sample | file | operator | collector:<source> |
-- contributor:<name>; stored batches get theirs from their payload's source (approvals:
-- operator; the 1.0 migration batch: file). usage_records.estimated marks volumes a proxy
-- estimated. source_runs.skipped lists the registry entries a run could not read as prices.
-- contributors and contributions: who may submit, and the audit trail of every submission.
CREATE TABLE "contributions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"contributor" text NOT NULL,
	"kind" text NOT NULL,
	"sha256" text NOT NULL,
	"bytes" bigint NOT NULL,
	"records" integer NOT NULL,
	"status" text NOT NULL,
	"batch_id" bigint,
	"reason" text,
	"receipt" jsonb,
	CONSTRAINT "contributions_kind" CHECK ("contributions"."kind" in ('usage', 'prices')),
	CONSTRAINT "contributions_status" CHECK ("contributions"."status" in ('accepted', 'refused'))
);
--> statement-breakpoint
CREATE TABLE "contributors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_sha256" text NOT NULL,
	"providers" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "input_batches" ADD COLUMN "origin" text DEFAULT 'file' NOT NULL;--> statement-breakpoint
ALTER TABLE "input_batches" DISABLE TRIGGER "input_batches_append_only";--> statement-breakpoint
UPDATE "input_batches" b SET "origin" = CASE p.source WHEN 'sample' THEN 'sample' WHEN 'file' THEN 'file' ELSE 'collector:' || p.source END
FROM "payloads" p WHERE p.id = b.payload_id;--> statement-breakpoint
UPDATE "input_batches" SET "origin" = 'operator' WHERE "kind" = 'approval';--> statement-breakpoint
ALTER TABLE "input_batches" ENABLE TRIGGER "input_batches_append_only";--> statement-breakpoint
ALTER TABLE "input_batches" ALTER COLUMN "origin" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "source_runs" ADD COLUMN "skipped" jsonb;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "estimated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_batch_id_input_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."input_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contributions_received" ON "contributions" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "contributions_body" ON "contributions" USING btree ("contributor","kind","sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "contributors_name" ON "contributors" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "contributors_token" ON "contributors" USING btree ("token_sha256");--> statement-breakpoint
ALTER TABLE "input_batches" ADD CONSTRAINT "input_batches_origin" CHECK ("input_batches"."origin" ~ '^(sample|file|operator|collector:.+|contributor:.+)$');