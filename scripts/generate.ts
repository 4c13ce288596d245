/**
 * Writes a benchmark data set to files, for a look at the data or a bench by hand.
 *
 *   node --import tsx scripts/generate.ts --scenario fixing --usage /tmp/u.csv --prices /tmp/p.csv
 *
 * Scenarios: fixing | backfill | held-800 | held-50 | startup (see scripts/generate/scenarios.ts).
 * Prints rows, bytes and sha256 of each file: the same --seed always gives the same bytes.
 */
import { parseArgs } from "node:util";
import { DEFAULT_SEED, backfillDataset, fixingDataset, heldDataset, startupDataset, writeDataset, type Dataset } from "./generate/index.ts";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "fixing" },
    seed: { type: "string", default: DEFAULT_SEED },
    usage: { type: "string" },
    prices: { type: "string" },
    "backfill-period": { type: "string", default: "60" },
  },
});

function dataset(name: string, seed: string): Dataset {
  switch (name) {
    case "fixing":
      return fixingDataset(seed);
    case "backfill":
      return backfillDataset(60, Number(values["backfill-period"]), seed);
    case "held-800":
      return heldDataset(800, 800, seed);
    case "held-50":
      return heldDataset(50, 800, seed);
    case "startup":
      return startupDataset(seed);
    default:
      throw new Error(`--scenario: expected fixing|backfill|held-800|held-50|startup, got ${name}`);
  }
}

const ds = dataset(values.scenario, values.seed);
if (!values.usage && !values.prices) throw new Error("give --usage FILE and/or --prices FILE");
console.log(`${values.scenario}: ${ds.note}`);
const written = await writeDataset(ds, { prices: values.prices, usage: values.usage });
for (const [kind, f] of Object.entries(written)) console.log(`${kind}: ${f.path} ${f.rows} rows, ${f.bytes} bytes, sha256 ${f.sha256}`);
