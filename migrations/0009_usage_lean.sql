-- A usage import of a million rows paid for two things nothing needs [issue 10]: a
-- primary-key b-tree on usage_records.id (ids still come from a sequence, so they stay
-- unique; a correction finds what it supersedes through usage_records_supersedes), and a
-- clock_timestamp() per row where the import's transaction time says the same.
ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_pkey";--> statement-breakpoint
ALTER TABLE "usage_records" ALTER COLUMN "imported_at" SET DEFAULT now();
