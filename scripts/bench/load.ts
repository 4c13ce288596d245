/** Data sets written to the scratch directory, and loaded through the product's CLI. */
import path from "node:path";
import { writeDataset, type Dataset, type WrittenFile } from "../generate/index.ts";
import { ciyuan, log, mb, ms, type Run, type Target } from "./lib.ts";

export type Files = { prices: WrittenFile; usage: WrittenFile };

export async function writeFiles(ds: Dataset, dir: string, name: string): Promise<Files> {
  log(`generating ${name}: ${ds.note}`);
  const written = await writeDataset(ds, { prices: path.join(dir, `${name}-prices.csv`), usage: path.join(dir, `${name}-usage.csv`) });
  return { prices: written.prices!, usage: written.usage! };
}

export function describeFile(kind: string, f: WrittenFile): string {
  return `${kind}: ${f.rows.toLocaleString("en-US")} rows, ${mb(f.bytes)}, sha256 ${f.sha256.slice(0, 16)}`;
}

export type Loaded = { migrate: Run; prices: Run; usage: Run };

/** `ciyuan migrate`, `ciyuan import prices`, `ciyuan import usage` on a fresh database. */
export async function loadThroughCli(target: Target, files: Files): Promise<Loaded> {
  log(`${target.label}: ciyuan migrate`);
  const migrate = await ciyuan(target, ["migrate"]);
  log(`${target.label}: ciyuan import prices (${files.prices.rows} rows)`);
  const prices = await ciyuan(target, ["import", "prices", files.prices.path]);
  log(`${target.label}:   ${ms(prices.ms)}; ciyuan import usage (${files.usage.rows} rows)`);
  const usage = await ciyuan(target, ["import", "usage", files.usage.path]);
  log(`${target.label}:   ${ms(usage.ms)}, peak RSS ${mb(usage.peakRssBytes)}`);
  return { migrate, prices, usage };
}

export function loadNotes(l: Loaded): string {
  return `loaded through the CLI: import prices ${ms(l.prices.ms)}, import usage ${ms(l.usage.ms)} (peak RSS ${mb(l.usage.peakRssBytes)})`;
}
