/**
 * `discmeta index build` and `discmeta index info`: the offline Discogs index from the CC0 monthly dumps.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { loadConfig } from "../config.js";
import {
  type BuildProgress,
  buildIndex,
  createTagReader,
  defaultIndexPath as defaultIndexIn,
  ensureSampleIndex,
  type IndexSubset,
  readIndexInfo,
  type UpdateEvent,
  updateIndex,
} from "../container.js";
import { artistsOfLibrary } from "../core/library-artists.js";
import { pool } from "../core/pool.js";
import type { RawTags, TrackInput } from "../core/types.js";
import { collectAudioFiles } from "./files.js";
import { type CliIo, formatDuration } from "./io.js";

/** The subset options `index build` and `index update` share. */
export interface SubsetOptions {
  genres?: string;
  styles?: string;
  formats?: string;
  since?: string;
  artistsFrom?: string;
}

/** Options of `index build`. */
export interface IndexBuildOptions extends SubsetOptions {
  releases: string;
  masters?: string;
  out?: string;
  rebuild?: boolean;
  dumpDate?: string;
  quiet?: boolean;
}

const list = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * The subset the options ask for, or an error in words. `--artists-from DIR` reads every audio file's
 * tags and name under DIR (unreadable tags fall back to the name).
 */
export async function subsetOf(opts: SubsetOptions, io: CliIo): Promise<IndexSubset | string> {
  const subset: IndexSubset = {};
  for (const key of ["genres", "styles", "formats"] as const) {
    const values = list(opts[key]);
    if (opts[key] !== undefined && values.length === 0) return `--${key} needs a comma-separated list`;
    if (values.length) subset[key] = values;
  }
  if (opts.since !== undefined) {
    const year = Number(opts.since);
    if (!/^\d{4}$/.test(opts.since.trim()) || year < 1860 || year > 2100)
      return "--since must be a year such as 1990";
    subset.since = year;
  }
  if (opts.artistsFrom !== undefined) {
    const dir = opts.artistsFrom;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return `--artists-from: ${dir} is not a folder`;
    const { files } = await collectAudioFiles([dir]);
    if (files.length === 0) return `--artists-from: no audio files under ${dir}`;
    const reader = createTagReader();
    const inputs: TrackInput[] = new Array(files.length);
    await pool(files.length, 8, async (i) => {
      const f = files[i]!;
      let tags: RawTags | undefined;
      try {
        tags = await reader.read(f.path);
      } catch {
        tags = undefined; // the name alone still names an artist
      }
      inputs[i] = { filename: basename(f.path), path: f.relative, tags };
    });
    subset.artists = artistsOfLibrary(inputs);
    if (subset.artists.length === 0)
      return `--artists-from: no artist named in the ${files.length} files under ${dir}`;
    io.stderr.write(
      `discmeta: keeping the releases of ${subset.artists.length.toLocaleString("en")} artists found in ${files.length.toLocaleString("en")} files\n`,
    );
  }
  return subset;
}

/** The config and the subset the options ask for, or the exit code after saying what is wrong. */
async function prepare(
  opts: SubsetOptions,
  io: CliIo,
): Promise<{ config: ReturnType<typeof loadConfig>; subset: IndexSubset } | number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
  const subset = await subsetOf(opts, io);
  if (typeof subset === "string") {
    io.stderr.write(`discmeta: ${subset}\n`);
    return 2;
  }
  return { config, subset };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function progressLine(p: BuildProgress): string {
  if (p.phase === "finalize") return `finalizing: indexing ${p.records.toLocaleString("en")} releases`;
  const share = p.totalBytes > 0 ? ` ${((p.bytesRead / p.totalBytes) * 100).toFixed(1)}%` : "";
  const eta = p.etaSec === null ? "" : `, ETA ${formatDuration(p.etaSec)}`;
  return `${p.phase}: ${p.records.toLocaleString("en")} records${share}, ${Math.round(p.recordsPerSec).toLocaleString("en")}/s${eta}`;
}

/**
 * Runs a long index job that Ctrl-C interrupts (run again, it resumes): a failure clears the progress
 * line, is said with `afterFailure`'s words, and exits 1 when interrupted, else 2.
 */
async function interruptible(
  io: CliIo,
  tty: boolean,
  what: string,
  body: (signal: AbortSignal) => Promise<number>,
  afterFailure: () => string = () => "",
): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted; run the same command again to resume"));
  process.once("SIGINT", onSigint);
  try {
    return await body(controller.signal);
  } catch (err) {
    if (tty) io.stderr.write("\r\x1b[K");
    io.stderr.write(`discmeta: ${what} failed: ${(err as Error).message}${afterFailure()}\n`);
    return controller.signal.aborted ? 1 : 2;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Runs `index build`; returns the exit code. */
export async function runIndexBuild(opts: IndexBuildOptions, io: CliIo): Promise<number> {
  if (opts.dumpDate && !/^\d{4}-\d{2}-\d{2}$/.test(opts.dumpDate)) {
    io.stderr.write("discmeta: --dump-date must be YYYY-MM-DD\n");
    return 2;
  }
  const ready = await prepare(opts, io);
  if (typeof ready === "number") return ready;
  const { subset } = ready;
  const out = opts.out ?? defaultIndexIn(ready.config.cache.dir);
  const tty = io.stderr.isTTY === true && !opts.quiet;
  return interruptible(io, tty, "index build", async (signal) => {
    const summary = await buildIndex({
      releases: opts.releases,
      masters: opts.masters,
      out,
      rebuild: opts.rebuild,
      dumpDate: opts.dumpDate,
      subset,
      signal,
      onProgress: (p) => {
        if (tty) io.stderr.write(`\r\x1b[K${progressLine(p)}`);
        else if (!opts.quiet && p.phase === "finalize") io.stderr.write(`discmeta: ${progressLine(p)}\n`);
      },
    });
    if (tty) io.stderr.write("\r\x1b[K");
    const resumed =
      summary.resumedFrom > 0 ? ` (resumed after ${summary.resumedFrom.toLocaleString("en")})` : "";
    io.stdout.write(
      `index ${summary.out}: ${summary.releases.toLocaleString("en")} releases${resumed}` +
        `${summary.recordsRead !== summary.releases ? ` (kept of ${summary.recordsRead.toLocaleString("en")} read)` : ""}, ` +
        `${summary.masters.toLocaleString("en")} masters, ${summary.tracks.toLocaleString("en")} tracks, ` +
        `${summary.videos.toLocaleString("en")} videos; dump of ${summary.dumpDate ?? "unknown date"}; ` +
        `${mib(summary.bytes)} in ${formatDuration(summary.seconds)} ` +
        `(${Math.round(summary.releases / Math.max(0.001, summary.seconds)).toLocaleString("en")} releases/s)\n` +
        `use it with: DISCOGS_INDEX_PATH=${summary.out}\n`,
    );
    const h = summary.hygiene;
    if (h.skipped > 0)
      io.stderr.write(
        `discmeta: ${h.skipped.toLocaleString("en")} broken records skipped: ${h.skippedIds.join("; ")}${h.skipped > h.skippedIds.length ? "; ..." : ""}\n`,
      );
    if (h.truncated > 0)
      io.stderr.write(
        `discmeta: ${h.truncated.toLocaleString("en")} texts longer than 4,096 characters cut\n`,
      );
    if (h.repaired > 0)
      io.stderr.write(
        `discmeta: ${h.repaired.toLocaleString("en")} control characters XML forbids dropped\n`,
      );
    return 0;
  });
}

/**
 * The index `index info` describes with no argument: the configured one (DISCOGS_INDEX_PATH), else the
 * one at the default place, else the bundled sample's (built on first use), as matching would pick.
 */
async function indexInUse(io: CliIo): Promise<{ path: string; what: string }> {
  const config = loadConfig(io.env);
  if (config.discogs.indexPath) return { path: config.discogs.indexPath, what: "DISCOGS_INDEX_PATH" };
  const dir = config.cache.dir;
  const built = defaultIndexIn(dir);
  if (existsSync(built)) return { path: built, what: "the default index" };
  const sample = await ensureSampleIndex(dir);
  if (sample) return { path: sample.path, what: "the bundled 810-release sample" };
  return { path: built, what: "the default index" };
}

/** Runs `index info`; returns the exit code. */
export async function runIndexInfo(file: string | undefined, io: CliIo): Promise<number> {
  try {
    const { path, what } = file ? { path: file, what: null } : await indexInUse(io);
    if (!existsSync(path)) {
      io.stderr.write(
        `discmeta: no index at ${path}: fetch the newest dump with \`discmeta index update\`, or build one with \`discmeta index build --releases <dump>\`\n`,
      );
      return 2;
    }
    const info = readIndexInfo(path);
    const age = info.ageDays === null ? "unknown" : `${info.ageDays} days`;
    const source =
      info.dumpDateSource === "records"
        ? ", from its newest record: the dump is at least this new"
        : info.dumpDateSource
          ? `, from the ${info.dumpDateSource === "given" ? "build's --dump-date" : "file name"}`
          : "";
    const read =
      info.recordsRead !== null && info.recordsRead !== info.releases
        ? ` (of ${info.recordsRead.toLocaleString("en")} in the dump)`
        : "";
    io.stdout.write(
      `${[
        `index:     ${info.path}${what ? ` (${what})` : ""}`,
        `dump date: ${info.dumpDate ?? "unknown"} (age ${age}${source})`,
        `built at:  ${info.builtAt ?? "unknown"}`,
        `releases:  ${info.releases.toLocaleString("en")}${read}`,
        `masters:   ${info.masters.toLocaleString("en")}`,
        `tracks:    ${info.tracks.toLocaleString("en")}`,
        `videos:    ${info.videos.toLocaleString("en")}`,
        `subset:    ${info.subset ?? "none (the whole dump)"}`,
        `words:     ${
          info.commonWords > 0
            ? `${info.commonWords.toLocaleString("en")} common ones, which a search requires only when it has fewer than two rarer words`
            : "every word of a search is required (no word is common in an index this size)"
        }`,
        `size:      ${mib(info.bytes)} (${Math.round(info.bytes / Math.max(1, info.releases)).toLocaleString("en")} bytes per release)`,
        `schema:    version ${info.schemaVersion}`,
      ].join("\n")}\n`,
    );
    return 0;
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
}

/** Options of `index update`. */
export interface IndexUpdateOptions extends SubsetOptions {
  out?: string;
  downloadDir?: string;
  date?: string;
  force?: boolean;
  keepDumps?: boolean;
  quiet?: boolean;
}

const size = (bytes: number) =>
  bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function updateLine(e: UpdateEvent): string | null {
  switch (e.phase) {
    case "download": {
      const p = e.progress;
      const of = p.total ? ` of ${size(p.total)} (${((p.bytes / p.total) * 100).toFixed(1)}%)` : "";
      const eta = p.etaSec === null ? "" : `, ETA ${formatDuration(p.etaSec)}`;
      return `downloading ${p.file}${p.resumed ? " (resumed)" : ""}: ${size(p.bytes)}${of}, ${size(p.bytesPerSec)}/s${eta}`;
    }
    case "build":
      return `building: ${progressLine(e.progress)}`;
    case "probe":
      return "checking the new index answers";
    default:
      return null;
  }
}

/** Runs `index update`; returns the exit code. */
export async function runIndexUpdate(opts: IndexUpdateOptions, io: CliIo): Promise<number> {
  if (opts.date && !/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) {
    io.stderr.write("discmeta: --date must be YYYY-MM-DD (the dump's date, e.g. 2026-11-01)\n");
    return 2;
  }
  const ready = await prepare(opts, io);
  if (typeof ready === "number") return ready;
  const { config, subset } = ready;
  const out = opts.out ?? config.discogs.indexPath ?? defaultIndexIn(config.cache.dir);
  const downloadDir = opts.downloadDir ?? join(dirname(out), "dumps");
  const tty = io.stderr.isTTY === true && !opts.quiet;
  let lastPhase = "";
  // On failure the old index is still the one in use: say so.
  const unchanged = () => (existsSync(out) ? `; the index in use (${out}) is unchanged` : "");
  return interruptible(
    io,
    tty,
    "index update",
    async (signal) => {
      const result = await updateIndex({
        baseUrl: config.discogs.dumpUrl,
        out,
        downloadDir,
        date: opts.date,
        subset,
        force: opts.force,
        keepDumps: opts.keepDumps,
        signal,
        userAgent: config.discogs.userAgent,
        onEvent: (e) => {
          if (opts.quiet) return;
          if (e.phase === "found") {
            io.stderr.write(
              `discmeta: newest dump ${e.dump.date} at ${config.discogs.dumpUrl}; the index holds ${e.current ?? "none"}\n`,
            );
            return;
          }
          if (e.phase === "verified") {
            if (tty) io.stderr.write("\r\x1b[K");
            io.stderr.write(
              `discmeta: ${e.file} ${e.reused ? "already downloaded and " : ""}matches its checksum\n`,
            );
            return;
          }
          const line = updateLine(e);
          if (!line) return;
          if (tty) io.stderr.write(`\r\x1b[K${line}`);
          else if (e.phase !== lastPhase) io.stderr.write(`discmeta: ${line}\n`);
          lastPhase = e.phase;
        },
      });
      if (tty) io.stderr.write("\r\x1b[K");
      if (result.status === "current") {
        io.stdout.write(
          `index ${result.out} already holds the dump of ${result.dumpDate}; nothing to do (--force builds it again)\n`,
        );
        return 0;
      }
      const b = result.build;
      io.stdout.write(
        `index ${result.out} updated to the dump of ${result.dumpDate}${result.previous ? ` (was ${result.previous})` : ""}: ` +
          `${b.releases.toLocaleString("en")} releases, ${b.masters.toLocaleString("en")} masters, ${mib(b.bytes)}, built in ${formatDuration(b.seconds)}\n`,
      );
      return 0;
    },
    unchanged,
  );
}
