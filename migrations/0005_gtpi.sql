-- The global family (methodology "Index family"): the same rules as CTPI over every
-- provider (universe_country NULL), priced in USD per one million tokens. The engine turns
-- each listed price into CNY with the rate in force and then into the index currency by
-- dividing by the USD rate in force (CNY per USD), at 40 decimal places.
INSERT INTO index_definitions
  (code, version, name, description, currency, universe_country, weighting, cap,
   min_constituents, min_providers, fixing_local_time, fixing_tz, usage_window, base_level,
   methodology_version, valid_from)
VALUES
  ('GTPI', 1, 'Ciyuan Global Token Price Index',
   'Volume-weighted blended price of one million tokens at all providers, USD',
   'USD', NULL, 'total', 0.25, 5, 3, '16:00', 'Asia/Shanghai', '7 days', 1000, '1', '2020-01-01T00:00:00Z'),
  ('GTPI-IN', 1, 'Ciyuan Global Token Price Index - input',
   'Volume-weighted effective input price (cached tokens included) per one million input tokens at all providers, USD',
   'USD', NULL, 'input', 0.25, 5, 3, '16:00', 'Asia/Shanghai', '7 days', 1000, '1', '2020-01-01T00:00:00Z'),
  ('GTPI-OUT', 1, 'Ciyuan Global Token Price Index - output',
   'Volume-weighted output price per one million output tokens at all providers, USD',
   'USD', NULL, 'output', 0.25, 5, 3, '16:00', 'Asia/Shanghai', '7 days', 1000, '1', '2020-01-01T00:00:00Z');
