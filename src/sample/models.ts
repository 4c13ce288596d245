/** The (provider, model) pairs that the bundled price sheets list. */
import fs from "node:fs";
import { parse } from "lossless-json";
import { z } from "zod";
import { samplePriceFiles } from "./files.ts";

// Only names are read here; numbers are kept as text by the parser and ignored.
const SheetNames = z.object({
  provider: z.string().min(1),
  models: z.array(z.object({ model: z.string().min(1) })).min(1),
});

export type SampleModel = { provider: string; model: string };

/** Every model listed on any bundled sheet, once, in load order. */
export function sampleModels(): SampleModel[] {
  const seen = new Set<string>();
  const out: SampleModel[] = [];
  for (const file of samplePriceFiles) {
    const sheet = SheetNames.parse(parse(fs.readFileSync(file, "utf8"), null, (n: string) => n));
    for (const { model } of sheet.models) {
      const key = `${sheet.provider}\u0000${model}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ provider: sheet.provider, model });
    }
  }
  return out;
}
