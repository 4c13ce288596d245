-- Rules the database itself enforces, and the seed index definitions.

-- Half-even rounding (the rulebook's "Rounding"). Postgres round() on numeric rounds half
-- away from zero, so an exact tie is sent to its even neighbour here.
CREATE OR REPLACE FUNCTION round_half_even(x numeric, d integer) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT round(
    CASE WHEN abs(s - trunc(s)) = 0.5 AND mod(trunc(s), 2) = 0 THEN trunc(s) ELSE round(s) END
      / power(10::numeric, d),
    d)
  FROM (SELECT x * power(10::numeric, d) AS s) AS scaled
$$;
--> statement-breakpoint
-- Published and input rows are never changed in place: a correction is a new row.
CREATE OR REPLACE FUNCTION ciyuan_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ciyuan: % is append-only; % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'P0001';
END
$$;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['payloads', 'price_sheets', 'sheet_models', 'quarantine', 'price_approvals',
                           'fx_rates', 'usage_records', 'index_definitions', 'fixings',
                           'fixing_constituents', 'fixing_exclusions', 'fixing_inputs']
  LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ciyuan_append_only()',
                   t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ciyuan_append_only()',
                   t || '_no_truncate', t);
  END LOOP;
END
$$;
--> statement-breakpoint
INSERT INTO index_definitions
  (code, version, name, description, currency, universe_country, weighting, cap,
   min_constituents, min_providers, fixing_local_time, fixing_tz, usage_window, base_level,
   methodology_version, valid_from)
VALUES
  ('CTPI', 1, 'Ciyuan Token Price Index',
   'Volume-weighted blended price of one million tokens at Chinese providers, CNY',
   'CNY', 'CN', 'total', 0.25, 5, 3, '16:00', 'Asia/Shanghai', '7 days', 1000, '1', '2020-01-01T00:00:00Z'),
  ('CTPI-IN', 1, 'Ciyuan Token Price Index - input',
   'Volume-weighted effective input price (cached tokens included) per one million input tokens at Chinese providers, CNY',
   'CNY', 'CN', 'input', 0.25, 5, 3, '16:00', 'Asia/Shanghai', '7 days', 1000, '1', '2020-01-01T00:00:00Z'),
  ('CTPI-OUT', 1, 'Ciyuan Token Price Index - output',
   'Volume-weighted output price per one million output tokens at Chinese providers, CNY',
   'CNY', 'CN', 'output', 0.25, 5, 3, '16:00', 'Asia/Shanghai', '7 days', 1000, '1', '2020-01-01T00:00:00Z');
