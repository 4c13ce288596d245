/**
 * The 1.0 inputs hash, kept so fixings stored under methodology 1.0 stay checkable: SHA-256
 * over one line per input row the fixing recorded in fixing_inputs (sorted, "\n"-joined):
 *   ciyuan-inputs/1
 *   index CODE DEFINITION_VERSION          fixing_time ISO          kind final|indicative
 *   sheet ID PROVIDER AS_OF CONTENT_SHA256
 *   fx ID CURRENCY CNY_PER_UNIT AS_OF
 *   usage ID PROVIDER MODEL PERIOD_START PERIOD_END INPUT CACHED|- OUTPUT
 *   approval ID PROVIDER MODEL SHEET_AS_OF APPROVED_AT
 *   prev FIXING_TIME REVISION LEVEL
 * 1.1 fixings record no rows there (their provenance is aggregated; engine/inputs-hash.ts).
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../../db/index.ts";

const ISO = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

export type HashHeader = { id: string; index: string; definitionVersion: number; fixingTime: string; kind: string; prevFixingId: string | null };

export async function legacyInputsSha256(tx: Db, header: HashHeader): Promise<string> {
  const [r] = await rows<{ h: string }>(
    tx,
    sql`
    WITH used AS (SELECT kind, ref_id FROM fixing_inputs WHERE fixing_id = ${header.id}::bigint),
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
