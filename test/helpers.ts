/** Shared test helpers: paths to the bundled data and fixtures. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ArtistCredit, Release, ReleaseFormat } from "../src/core/catalog.js";
import { parseTracklist, type TracklistRow } from "../src/core/release.js";

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

/** A tracklist row as the tests write it: a position and a title, the rest optional. */
export interface RowSpec {
  position: string;
  title?: string;
  durationSec?: number | null;
  artists?: ArtistCredit[];
  type?: TracklistRow["type"];
  subTracks?: RowSpec[];
}

const toRow = (r: RowSpec): TracklistRow => ({
  position: r.position,
  type: r.type ?? "track",
  title: r.title ?? r.position,
  durationSec: r.durationSec ?? null,
  artists: r.artists ?? [],
  extraArtists: [],
  subTracks: (r.subTracks ?? []).map(toRow),
});

/** A release's tracklist and media, parsed by the core's parser as the adapters parse them. */
export function tracklistOf(
  rows: readonly RowSpec[],
  formats: readonly ReleaseFormat[] = [],
): Pick<Release, "tracklist" | "media"> {
  const parsed = parseTracklist(rows.map(toRow), formats);
  return { tracklist: parsed.tracks, media: parsed.media };
}
