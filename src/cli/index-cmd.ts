/**
 * `discmeta index build` and `discmeta index info`: the offline Discogs index from the CC0 monthly dumps.
 */
import { join } from "node:path";
import { loadConfig } from "../config.js";
import { type BuildProgress, buildIndex, readIndexInfo } from "../container.js";
import { type CliIo, formatDuration } from "./io.js";

/** Options of `index build`. */
export interface IndexBuildOptions {
  releases: string;
  masters?: string;
  out?: string;
  rebuild?: boolean;
  dumpDate?: string;
  quiet?: boolean;
}

/** The default index file: in the cache folder. */
function defaultIndexPath(io: CliIo): string {
  return join(loadConfig(io.env).cache.dir, "discogs-index.sqlite");
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function progressLine(p: BuildProgress): string {
  if (p.phase === "finalize") return `finalizing: indexing ${p.records.toLocaleString("en")} releases`;
  const share = p.totalBytes > 0 ? ` ${((p.bytesRead / p.totalBytes) * 100).toFixed(1)}%` : "";
  const eta = p.etaSec === null ? "" : `, ETA ${formatDuration(p.etaSec)}`;
  return `${p.phase}: ${p.records.toLocaleString("en")} records${share}, ${Math.round(p.recordsPerSec).toLocaleString("en")}/s${eta}`;
}

/** Runs `index build`; returns the exit code. */
export async function runIndexBuild(opts: IndexBuildOptions, io: CliIo): Promise<number> {
  if (opts.dumpDate && !/^\d{4}-\d{2}-\d{2}$/.test(opts.dumpDate)) {
    io.stderr.write("discmeta: --dump-date must be YYYY-MM-DD\n");
    return 2;
  }
  let out: string;
  try {
    out = opts.out ?? defaultIndexPath(io);
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
  const tty = io.stderr.isTTY === true && !opts.quiet;
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted; run the same command again to resume"));
  process.once("SIGINT", onSigint);
  try {
    const summary = await buildIndex({
      releases: opts.releases,
      masters: opts.masters,
      out,
      rebuild: opts.rebuild,
      dumpDate: opts.dumpDate,
      signal: controller.signal,
      onProgress: (p) => {
        if (tty) io.stderr.write(`\r\x1b[K${progressLine(p)}`);
        else if (!opts.quiet && p.phase === "finalize") io.stderr.write(`discmeta: ${progressLine(p)}\n`);
      },
    });
    if (tty) io.stderr.write("\r\x1b[K");
    const resumed =
      summary.resumedFrom > 0 ? ` (resumed after ${summary.resumedFrom.toLocaleString("en")})` : "";
    io.stdout.write(
      `index ${summary.out}: ${summary.releases.toLocaleString("en")} releases${resumed}, ` +
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
  } catch (err) {
    if (tty) io.stderr.write("\r\x1b[K");
    io.stderr.write(`discmeta: index build failed: ${(err as Error).message}\n`);
    return controller.signal.aborted ? 1 : 2;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Runs `index info`; returns the exit code. */
export async function runIndexInfo(file: string | undefined, io: CliIo): Promise<number> {
  try {
    const path = file ?? io.env.DISCOGS_INDEX_PATH ?? defaultIndexPath(io);
    const info = readIndexInfo(path);
    const age = info.ageDays === null ? "unknown" : `${info.ageDays} days`;
    io.stdout.write(
      `${[
        `index:     ${info.path}`,
        `dump date: ${info.dumpDate ?? "unknown"} (age ${age})`,
        `built at:  ${info.builtAt ?? "unknown"}`,
        `releases:  ${info.releases.toLocaleString("en")}`,
        `masters:   ${info.masters.toLocaleString("en")}`,
        `tracks:    ${info.tracks.toLocaleString("en")}`,
        `videos:    ${info.videos.toLocaleString("en")}`,
        `size:      ${mib(info.bytes)}`,
      ].join("\n")}\n`,
    );
    return 0;
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
}
