-- One index on usage_records for the key and for every read (all by a period_end range),
-- period_end first and text compared bytewise: an import of a time-ordered file then
-- appends at the right edge of one tree instead of inserting at random into two [issue 10].
DROP INDEX "usage_records_key_version";--> statement-breakpoint
DROP INDEX "usage_records_period_end";--> statement-breakpoint
CREATE UNIQUE INDEX "usage_records_key" ON "usage_records" USING btree ("period_end","provider" collate "C","model" collate "C","period_start","version");