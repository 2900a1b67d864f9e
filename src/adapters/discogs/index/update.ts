/**
 * `discmeta index update`: the newest monthly dump, downloaded with resume and checked against its
 * published checksums, built into a new file beside the index in use, probed, and swapped in with one
 * atomic rename. Until that rename the old index stays as it was, and answers; after a failure at any
 * step it is still the one in use.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import { InvalidInputError, UpstreamError } from "../../../core/errors.js";
import {
  type DownloadProgress,
  downloadVerified,
  fetchChecksums,
  findNewestDump,
  type MonthlyDump,
  sha256File,
} from "../dump/fetch-dump.js";
import { type BuildProgress, type BuildSummary, buildIndex, readMeta } from "./build.js";
import { openIndexSource } from "./source.js";
import { type IndexSubset, isSubset } from "./subset.js";

/** What `updateIndex` reports as it goes. */
export type UpdateEvent =
  | { phase: "found"; dump: MonthlyDump; current: string | null }
  | { phase: "download"; progress: DownloadProgress }
  | { phase: "verified"; file: string; reused: boolean }
  | { phase: "build"; progress: BuildProgress }
  | { phase: "probe" };

export interface UpdateOptions {
  /** The data site or a mirror (DISCOGS_DUMP_URL). */
  baseUrl: string;
  /** The index to replace (it may not exist yet). */
  out: string;
  /** Where the downloads go (they are large: 10 GB for a whole month's releases). */
  downloadDir: string;
  /** A given month (YYYY-MM-DD) instead of the newest listed; a mirror that cannot list then serves. */
  date?: string | undefined;
  subset?: IndexSubset | undefined;
  /** Build even when the index already holds this month's dump. */
  force?: boolean | undefined;
  /** Keep the downloaded dump after a successful swap (default: delete it). */
  keepDumps?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: UpdateEvent) => void) | undefined;
  userAgent?: string | undefined;
  /** Tests shorten the wait between download retries. */
  retryDelayMs?: number | undefined;
  progressIntervalMs?: number | undefined;
}

export type UpdateResult =
  | { status: "current"; dumpDate: string; out: string }
  | {
      status: "updated";
      dumpDate: string;
      out: string;
      /** The dump date of the index it replaced, null when there was none. */
      previous: string | null;
      build: BuildSummary;
      downloaded: { file: string; bytes: number; resumedAt: number; reused: boolean }[];
    };

/** The dump date and subset an index file was built from, or null when it is not a finished index. */
function builtFrom(path: string): { dumpDate: string | null; subset: string | null } | null {
  if (!existsSync(path)) return null;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const meta = readMeta(db);
      return meta.complete === "1" ? { dumpDate: meta.dump_date ?? null, subset: meta.subset ?? null } : null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

/**
 * Opens a freshly built index and asks it real questions: its counts, and for a few releases, an album
 * search that must find the release itself. A file that fails is never swapped in.
 */
export async function probeIndex(path: string): Promise<void> {
  const index = openIndexSource(path);
  try {
    const info = index.info();
    if (info.releases === 0)
      throw new InvalidInputError("the new index holds no release (is the subset too narrow?)");
    const db = new Database(path, { readonly: true });
    const ids = (db.prepare("SELECT id FROM releases ORDER BY rowid LIMIT 5").all() as { id: number }[]).map(
      (r) => r.id,
    );
    db.close();
    for (const id of ids) {
      const release = await index.getRelease(id);
      const artist = release.artists[0]?.name ?? null;
      for await (const batch of index.findAlbumCandidates({ artist, album: release.title })) {
        if (batch.hits.some((h) => h.id === id || (h.kind === "master" && h.id === release.masterId))) return;
      }
    }
    throw new InvalidInputError(`the new index does not find its own releases (${ids.join(", ")}) by name`);
  } finally {
    index.dispose();
  }
}

/** Downloads one file of the dump unless a verified copy is already there. */
async function fetchFile(
  options: UpdateOptions,
  key: string,
  sums: Map<string, string>,
): Promise<{ file: string; bytes: number; resumedAt: number; reused: boolean }> {
  const name = basename(key);
  const sha = sums.get(name);
  if (!sha) throw new UpstreamError(`the checksum file does not list ${name}`, { status: 502 });
  const dest = join(options.downloadDir, name);
  if (existsSync(dest) && (await sha256File(dest, options.signal)) === sha) {
    options.onEvent?.({ phase: "verified", file: name, reused: true });
    return { file: dest, bytes: 0, resumedAt: 0, reused: true };
  }
  const got = await downloadVerified(`${options.baseUrl}/${key}`, dest, sha, {
    signal: options.signal,
    userAgent: options.userAgent,
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    onProgress: (progress) => options.onEvent?.({ phase: "download", progress }),
  });
  options.onEvent?.({ phase: "verified", file: name, reused: false });
  return { file: dest, bytes: got.bytes, resumedAt: got.resumedAt, reused: false };
}

/** Brings the index at `options.out` up to the newest monthly dump (see the module comment). */
export async function updateIndex(options: UpdateOptions): Promise<UpdateResult> {
  const dump = await findNewestDump(options.baseUrl, {
    signal: options.signal,
    ...(options.date ? { date: options.date } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  const current = builtFrom(options.out);
  options.onEvent?.({ phase: "found", dump, current: current?.dumpDate ?? null });
  // As the build records it: the subset's JSON, or nothing for the whole dump.
  const wanted = isSubset(options.subset) ? JSON.stringify(options.subset) : null;
  const sameSubset = (current?.subset ?? null) === wanted;
  if (!options.force && current?.dumpDate === dump.date && sameSubset)
    return { status: "current", dumpDate: dump.date, out: options.out };

  await mkdir(options.downloadDir, { recursive: true });
  const sums = await fetchChecksums(options.baseUrl, dump, { signal: options.signal });
  const releases = await fetchFile(options, dump.releases.key, sums);
  // Masters give original years and main releases; a month without them still builds.
  const masters =
    dump.masters && sums.has(basename(dump.masters.key))
      ? await fetchFile(options, dump.masters.key, sums)
      : null;

  const next = `${options.out}.new`;
  const build = await buildIndex({
    releases: releases.file,
    masters: masters?.file,
    out: next,
    dumpDate: dump.date,
    subset: options.subset,
    signal: options.signal,
    onProgress: (progress) => options.onEvent?.({ phase: "build", progress }),
  });
  options.onEvent?.({ phase: "probe" });
  try {
    await probeIndex(next);
  } catch (err) {
    await rm(next, { force: true });
    throw err;
  }
  // One rename: a reader opens either the old file or the new one, never half of either. A process that
  // has the old one open keeps reading it until it reopens.
  await rename(next, options.out);
  if (!options.keepDumps) for (const f of [releases, masters]) if (f) await rm(f.file, { force: true });
  return {
    status: "updated",
    dumpDate: dump.date,
    out: options.out,
    previous: current?.dumpDate ?? null,
    build,
    downloaded: [releases, ...(masters ? [masters] : [])],
  };
}
