/**
 * inputs_sha256: SHA-256 over a canonical text of everything a fixing read, one line per
 * input, sorted (byte order), joined by "\n", so anyone holding the same rows gets the
 * same hash:
 *   ciyuan-inputs/1
 *   index CODE DEFINITION_VERSION          fixing_time ISO          kind final|indicative
 *   sheet ID PROVIDER AS_OF CONTENT_SHA256
 *   fx ID CURRENCY CNY_PER_UNIT AS_OF
 *   usage ID PROVIDER MODEL PERIOD_START PERIOD_END INPUT CACHED|- OUTPUT
 *   approval ID PROVIDER MODEL SHEET_AS_OF APPROVED_AT
 *   prev FIXING_TIME REVISION LEVEL        (the ok final fixing chained from or carried)
 * Timestamps are ISO 8601 UTC with microseconds; numbers are Postgres numeric text.
 */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";

const ISO = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

/**
 * The ids of the rows this fixing reads, as temp table used_inputs(kind, ref_id). Sheets are
 * every sheet the held-price walk went through for a price still listed, not only the ones in
 * force or accepted: an earlier sheet can decide whether a later price is held, so a
 * recompute from the recorded rows (ciyuan verify) needs it too.
 */
export async function collectUsedInputs(tx: Db, at: string): Promise<void> {
  await tx.execute(sql`
    CREATE TEMP TABLE used_inputs ON COMMIT DROP AS
    SELECT 'sheet' AS kind, sheet_id AS ref_id FROM in_force_sheets
    UNION SELECT 'sheet', accepted_sheet_id FROM listed_prices
    UNION SELECT 'sheet', s.id FROM price_sheets s
          JOIN sheet_models m ON m.sheet_id = s.id
          JOIN listed_prices l ON l.provider = s.provider AND l.model = m.model
          WHERE s.as_of <= ${at}::timestamptz
    UNION SELECT 'fx', fx_rate_id FROM fx_in_force WHERE fx_rate_id IS NOT NULL
    UNION SELECT 'usage', id FROM window_usage_records
    UNION SELECT 'approval', a.id FROM price_approvals a
          JOIN listed_prices l ON l.provider = a.provider AND l.model = a.model AND l.as_of >= a.sheet_as_of
          WHERE a.approved_at <= ${at}::timestamptz`);
}

export type HashHeader = { index: string; definitionVersion: number; fixingTime: string; kind: string; prevFixingId: string | null };

/** Hash over a set of (kind, ref_id) inputs: `used_inputs` while computing, or a stored
 * fixing's `fixing_inputs` when verifying. */
export async function inputsSha256(tx: Db, header: HashHeader, inputs: SQL = sql`SELECT kind, ref_id FROM used_inputs`): Promise<string> {
  const [r] = await rows<{ h: string }>(
    tx,
    sql`
    WITH used AS (${inputs}),
    lines AS (
      SELECT 'ciyuan-inputs/1' AS line
      UNION ALL SELECT concat_ws(' ', 'index', ${header.index}::text, ${header.definitionVersion}::int)
      UNION ALL SELECT concat_ws(' ', 'fixing_time', to_char(${header.fixingTime}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
      UNION ALL SELECT concat_ws(' ', 'kind', ${header.kind}::text)
      UNION ALL SELECT concat_ws(' ', 'sheet', s.id, s.provider, ${ISO("s.as_of")}, s.content_sha256)
        FROM used JOIN price_sheets s ON s.id = used.ref_id WHERE used.kind = 'sheet'
      UNION ALL SELECT concat_ws(' ', 'fx', x.id, x.currency, x.cny_per_unit, ${ISO("x.as_of")})
        FROM used JOIN fx_rates x ON x.id = used.ref_id WHERE used.kind = 'fx'
      UNION ALL SELECT concat_ws(' ', 'usage', u.id, u.provider, u.model, ${ISO("u.period_start")}, ${ISO("u.period_end")},
                                 u.input_tokens, coalesce(u.cached_input_tokens::text, '-'), u.output_tokens)
        FROM used JOIN usage_records u ON u.id = used.ref_id WHERE used.kind = 'usage'
      UNION ALL SELECT concat_ws(' ', 'approval', a.id, a.provider, a.model, ${ISO("a.sheet_as_of")}, ${ISO("a.approved_at")})
        FROM used JOIN price_approvals a ON a.id = used.ref_id WHERE used.kind = 'approval'
      UNION ALL SELECT concat_ws(' ', 'prev', ${ISO("p.fixing_time")}, p.revision, p.level)
        FROM fixings p WHERE p.id = ${header.prevFixingId}::bigint
    )
    SELECT encode(sha256(convert_to(string_agg(line, E'\n' ORDER BY line COLLATE "C"), 'UTF8')), 'hex') AS h FROM lines`,
  );
  return r!.h;
}
