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

/** A CLI `io` that records stdout and stderr, for `runCli` in tests. */
export function captureCli(
  env: Record<string, string | undefined>,
  extra: { prompt?: (question: string) => Promise<string> } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      env,
      ...extra,
    },
    out: () => out.join(""),
    err: () => err.join(""),
    /** stdout as JSON lines (enrich's answers, tag's --json plan). */
    lines: <T = Record<string, unknown>>() =>
      out
        .join("")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as T),
  };
}

/** An answer's warning messages, joined, for matching words in them. */
export const warningText = (r: { warnings: readonly { message: string }[] }): string =>
  r.warnings.map((w) => w.message).join(" ");
