-- [1.1] Late data: at each final fixing time the finals of the previous late_data_days days
-- are recomputed (a new revision, reason `late data`, only where a published number
-- changes). Part of the index definition, so a change of it is a new definition version.
ALTER TABLE "index_definitions" ADD COLUMN "late_data_days" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "index_definitions" ADD CONSTRAINT "index_definitions_late_data_days" CHECK ("late_data_days" BETWEEN 0 AND 31);
