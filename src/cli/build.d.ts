// Types of build.js (plain JavaScript: bin.js loads it before any TypeScript can run).
export declare const CACHE_DIR: string;
export type Manifest = { build: string; entry: string; inputs: Record<string, [size: number, mtimeMs: number]> };
export declare function build(cacheDir?: string): Promise<Manifest>;
export declare function freshBuild(cacheDir?: string): URL | undefined;
