-- usage_records partitioned by range of period_end, one partition per ISO week (Monday
-- 00:00 UTC to the next) [issue 10]. Every read of usage is a period_end range (a fixing's
-- window, an import's overlap check), which the planner prunes to whole weeks, so the table
-- keeps no b-tree at all: a 7-day window reads two partitions. Weeks, not days: a
-- transaction locks every partition it makes or writes, and a file of ten years of daily
-- partitions would need more locks than a default server has (max_locks_per_transaction). The unique
-- key index cost a million-row import as much as its COPY, and a per-row index of any kind
-- (b-tree or BRIN on period_end) about half that. The key stays unique by the importer:
-- usage imports take turns (the usage import lock), and each checks its file's keys
-- against the stored ones set-based (normalise/store-usage.ts).
--
-- A partition is made by ciyuan_usage_partition(day), for the week holding that day: a
-- table LIKE the parent, attached.
-- ATTACH PARTITION takes only SHARE UPDATE EXCLUSIVE on the parent, so an import that
-- meets a new day does not block fixings reading usage meanwhile (CREATE TABLE ...
-- PARTITION OF would take ACCESS EXCLUSIVE until the import commits).
--
-- input_batches.payload_id is checked at commit: a usage import opens its batch before
-- its COPY (the rows carry the batch number) and records the payload, whose sha256 is known
-- only once the file has been read, after it.
ALTER TABLE "usage_records" RENAME TO "usage_records_unpartitioned";--> statement-breakpoint
ALTER TABLE "usage_records_unpartitioned" RENAME CONSTRAINT "usage_records_valid" TO "usage_records_unpartitioned_valid";--> statement-breakpoint
ALTER INDEX "usage_records_supersedes" RENAME TO "usage_records_unpartitioned_supersedes";--> statement-breakpoint
DROP INDEX "usage_records_key";--> statement-breakpoint
ALTER SEQUENCE "usage_records_id_seq" OWNED BY NONE;--> statement-breakpoint
CREATE TABLE "usage_records" (
	"id" bigint DEFAULT nextval('usage_records_id_seq') NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"version" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"cached_input_tokens" bigint,
	"output_tokens" bigint NOT NULL,
	"payload_id" bigint,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	"batch_id" bigint NOT NULL,
	"supersedes" bigint,
	CONSTRAINT "usage_records_valid" CHECK ("input_tokens" >= 0 and "output_tokens" >= 0 and coalesce("cached_input_tokens", 0) >= 0
          and coalesce("cached_input_tokens", 0) <= "input_tokens" and "period_end" > "period_start")
) PARTITION BY RANGE ("period_end");--> statement-breakpoint
ALTER SEQUENCE "usage_records_id_seq" OWNED BY "usage_records"."id";--> statement-breakpoint
CREATE INDEX "usage_records_supersedes" ON "usage_records" USING btree ("supersedes","batch_id") WHERE "supersedes" is not null;--> statement-breakpoint
CREATE TRIGGER "usage_records_append_only" BEFORE UPDATE OR DELETE ON "usage_records" FOR EACH ROW EXECUTE FUNCTION ciyuan_append_only();--> statement-breakpoint
CREATE TRIGGER "usage_records_no_truncate" BEFORE TRUNCATE ON "usage_records" FOR EACH STATEMENT EXECUTE FUNCTION ciyuan_append_only();--> statement-breakpoint
CREATE FUNCTION ciyuan_usage_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  monday date := date_trunc('week', day::timestamp)::date;
  part text := 'usage_records_w' || to_char(monday, 'YYYYMMDD');
BEGIN
  IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;
  EXECUTE format('CREATE TABLE %I (LIKE usage_records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
  -- A statement trigger is not inherited: TRUNCATE of the partition alone is refused too.
  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ciyuan_append_only()',
                 part || '_no_truncate', part);
  EXECUTE format('ALTER TABLE usage_records ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part,
                 to_char(monday, 'YYYY-MM-DD') || 'T00:00:00Z', to_char(monday + 7, 'YYYY-MM-DD') || 'T00:00:00Z');
END
$$;--> statement-breakpoint
SELECT ciyuan_usage_partition(d)
FROM (SELECT DISTINCT date_trunc('week', period_end AT TIME ZONE 'UTC')::date AS d FROM "usage_records_unpartitioned") weeks;--> statement-breakpoint
INSERT INTO "usage_records" ("id", "provider", "model", "period_start", "period_end", "version", "input_tokens",
                             "cached_input_tokens", "output_tokens", "payload_id", "imported_at", "batch_id", "supersedes")
SELECT "id", "provider", "model", "period_start", "period_end", "version", "input_tokens",
       "cached_input_tokens", "output_tokens", "payload_id", "imported_at", "batch_id", "supersedes"
FROM "usage_records_unpartitioned";--> statement-breakpoint
DROP TABLE "usage_records_unpartitioned";--> statement-breakpoint
ALTER TABLE "input_batches" ALTER CONSTRAINT "input_batches_payload_id_payloads_id_fk" DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
-- numeric_product was created PARALLEL UNSAFE (the default), which kept a whole fixing's
-- statement from any parallel plan: the window's scan ran in one process. It only
-- multiplies numerics, which is safe anywhere; without a combine function it still runs
-- above the Gather, on the rows the workers aggregated.
CREATE OR REPLACE AGGREGATE numeric_product(numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1', PARALLEL = SAFE);
