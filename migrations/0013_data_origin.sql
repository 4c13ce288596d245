-- Every fixing says where its numbers come from [issue 12; operations-and-users.md section
-- 4]: data_origin is sample when any input it read is sample data, else real; coverage
-- holds its window's tokens by origin kind and the providers listed without usage; each
-- constituent has the origin kinds of its window's usage and whether any was estimated.
-- input_batches.proxy marks a public usage proxy's batches (origin kind proxy).
-- Fixings stored before this migration get data_origin sample when the database ever held
-- sample data (their inputs' origins were not kept: a sample number is never called real),
-- else real; their coverage, origins and estimated stay null (not recorded then).
ALTER TABLE "fixing_constituents" ADD COLUMN "origins" text[];--> statement-breakpoint
ALTER TABLE "fixing_constituents" ADD COLUMN "estimated" boolean;--> statement-breakpoint
ALTER TABLE "fixings" ADD COLUMN "data_origin" text DEFAULT 'real' NOT NULL;--> statement-breakpoint
ALTER TABLE "fixings" ADD COLUMN "coverage" jsonb;--> statement-breakpoint
ALTER TABLE "input_batches" ADD COLUMN "proxy" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "fixings" DISABLE TRIGGER "fixings_append_only";--> statement-breakpoint
UPDATE "fixings" SET "data_origin" = 'sample'
WHERE EXISTS (SELECT 1 FROM "payloads" WHERE "source" = 'sample') OR EXISTS (SELECT 1 FROM "input_batches" WHERE "origin" = 'sample');--> statement-breakpoint
ALTER TABLE "fixings" ENABLE TRIGGER "fixings_append_only";--> statement-breakpoint
ALTER TABLE "fixings" ALTER COLUMN "data_origin" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "fixings" ADD CONSTRAINT "fixings_data_origin" CHECK ("fixings"."data_origin" in ('sample', 'real'));
