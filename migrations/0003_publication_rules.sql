-- Signatures and settlement revisions are published numbers: append-only like fixings.
-- source_runs is an operational log, append-only too (its history is the audit trail).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['signing_keys', 'fixing_signatures', 'settlements', 'settlement_fixings', 'source_runs']
  LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ciyuan_append_only()',
                   t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ciyuan_append_only()',
                   t || '_no_truncate', t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Every new fixing revision is announced on channel ciyuan_fixing with its id, delivered at
-- commit, so every API process on this database streams it (GET /v1/stream).
CREATE OR REPLACE FUNCTION ciyuan_notify_fixing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ciyuan_fixing', NEW.id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER fixings_notify AFTER INSERT ON fixings FOR EACH ROW EXECUTE FUNCTION ciyuan_notify_fixing();
