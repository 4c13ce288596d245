/** The bundled sample: real price sheets and FX, and a generator of synthetic usage. */
export { SAMPLE_DIR, samplePriceFiles, sampleFxFiles, sampleEcbXmlFiles } from "./files.ts";
export { sampleModels, type SampleModel } from "./models.ts";
export { sampleUsageCsv, type SampleUsageOptions } from "./usage.ts";
export { loadSampleOnce, type SampleLoad } from "./load.ts";
