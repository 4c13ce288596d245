-- round_half_even as one SQL expression, neither STRICT nor with a FROM clause, so the
-- planner inlines it into each query instead of calling a function per value (the CSV
-- export of five years of fixings spent most of its time in those calls). Same results as
-- 0001's version: a null x still gives null, since every branch of the expression does.
CREATE OR REPLACE FUNCTION round_half_even(x numeric, d integer) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT round(
    CASE
      WHEN abs(x * power(10::numeric, d) - trunc(x * power(10::numeric, d))) = 0.5
           AND mod(trunc(x * power(10::numeric, d)), 2) = 0
        THEN trunc(x * power(10::numeric, d))
      ELSE round(x * power(10::numeric, d))
    END / power(10::numeric, d),
    d)
$$;
