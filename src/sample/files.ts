/**
 * The bundled sample data set (see data/README.md for where every figure comes from).
 * Files are listed in load order: price sheets oldest `as_of` first, so each provider's
 * sheets arrive in the order they came into force (the held-price gate compares a sheet
 * with the provider's previous accepted one).
 */
import { fileURLToPath } from "node:url";
import path from "node:path";

/** Absolute path of src/sample/data. */
export const SAMPLE_DIR: string = fileURLToPath(new URL("./data/", import.meta.url));

const prices = (name: string): string => path.join(SAMPLE_DIR, "prices", name);
const fx = (name: string): string => path.join(SAMPLE_DIR, "fx", name);

/** Price sheets (ciyuan.price-sheet/1 JSON), oldest as_of first. */
export const samplePriceFiles: string[] = [
  prices("tencent.2025-06-14.json"),
  prices("baidu.2025-06-14.json"),
  prices("deepseek.2025-11-01.json"),
  prices("openai.2025-11-01.json"),
  prices("anthropic.2025-11-01.json"),
  prices("moonshot.2025-11-11.json"),
  prices("volcengine.2025-12-19.json"),
  prices("deepseek.2025-12-20.json"),
  prices("minimax.2025-12-20.json"),
  prices("zhipu.2025-12-20.json"),
  prices("alibaba.2026-02-21.json"),
  prices("deepseek.2026-02-21.json"),
  prices("stepfun.2026-08-01.json"),
  prices("xiaomi.2026-08-01.json"),
];

/**
 * FX rates in our format (ciyuan.fx/1): USD and EUR cross rates to CNY derived from ECB
 * reference rates, the first in force before the first price sheet.
 */
export const sampleFxFiles: string[] = [fx("fx.json")];

/**
 * The two ECB daily XML files, unchanged, from which two of the dates in fx.json were
 * derived. Not in sampleFxFiles: importing them as well would duplicate those rates.
 */
export const sampleEcbXmlFiles: string[] = [fx("eurofxref-daily.2025-11-10.xml"), fx("eurofxref-daily.2026-07-06.xml")];
