/** Shared test helpers: paths to the bundled data and fixtures. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, "..");
/** The CC0 dump sample shipped in the repository (data/README.md). */
export const DUMP_DIR = resolve(process.env.DISCOGS_DUMP_DIR ?? resolve(ROOT, "data/discogs-dump-sample"));
/** The real API response bodies. */
export const API_SAMPLES = resolve(ROOT, "test/fixtures/discogs-api-samples");
/** Our own fixtures. */
export const FIXTURES = resolve(ROOT, "test/fixtures");

/** Reads one API sample body. */
export function apiSample(name: string): unknown {
  return JSON.parse(readFileSync(resolve(API_SAMPLES, name), "utf8"));
}
