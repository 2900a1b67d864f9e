/**
 * `discmeta index build`: streams Discogs dumps into an SQLite FTS5 index in constant memory.
 * It writes `<out>.partial`, committing in batches with a checkpoint; a later run resumes from the
 * checkpoint, and only a finished index is renamed to `<out>`, so a half-written index is never used.
 */
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { InvalidInputError } from "../../../core/errors.js";
import { toSearchHit } from "../convert.js";
import { type DumpProgress, importDump } from "../dump/index.js";
import { RawSearchResult } from "../types.js";
import { docFields, FIELD_NAMES, type Json, youtubeId } from "./fields.js";
import { searchRowOf } from "./rows.js";
import {
  CREATE_INDEXES,
  CREATE_TABLES,
  dumpDateOf,
  INDEX_SCHEMA_VERSION,
  packBody,
  QUALITY_RANK,
} from "./schema.js";
import { type IndexSubset, isSubset, subsetFilter } from "./subset.js";

/** Options of a build. */
export interface BuildIndexOptions {
  /** The releases dump (`.xml` or `.xml.gz`). */
  releases: string;
  /** The masters dump, optional: without it masters are derived from their versions. */
  masters?: string | undefined;
  /** The index file to write. */
  out: string;
  /** Start again even when a resumable `<out>.partial` exists. */
  rebuild?: boolean;
  /** The dump's date (YYYY-MM-DD); default: from the file name, else the file's modification date. */
  dumpDate?: string | undefined;
  /**
   * API-shaped release bodies to add after the dump (the evaluation's distractors, a user's own
   * corrections). `_main_release: true` marks a master's main release.
   */
  extraReleases?: Json[];
  /** Keep only the releases this subset describes (a small disk); the index records it. */
  subset?: IndexSubset | undefined;
  /** Records per transaction. Default 2000. */
  batchSize?: number;
  /** Called while importing (at most every `progressIntervalMs`), and once per phase change. */
  onProgress?: (p: BuildProgress) => void;
  /** Least time between progress reports, ms. Default 500. */
  progressIntervalMs?: number;
  /** Stops the build between batches; the checkpoint keeps what was committed. */
  signal?: AbortSignal;
  now?: () => number;
}

/** Progress of a build. */
export interface BuildProgress {
  phase: "masters" | "releases" | "finalize";
  records: number;
  bytesRead: number;
  totalBytes: number;
  recordsPerSec: number;
  /** Seconds left in this phase, from the share of the file read; null before it can be told. */
  etaSec: number | null;
}

/** What a finished build reports. */
export interface BuildSummary {
  out: string;
  releases: number;
  masters: number;
  tracks: number;
  videos: number;
  /** Records skipped because an earlier, interrupted run had committed them. */
  resumedFrom: number;
  /** What a broken or hostile dump cost: records skipped (the first named), texts cut, characters dropped. */
  hygiene: { skipped: number; skippedIds: string[]; truncated: number; repaired: number };
  seconds: number;
  bytes: number;
  dumpDate: string | null;
  /** Where the dump date came from: given, the file name, or the newest record's own date. */
  dumpDateSource: DumpDateSource;
  /** Release records read from the dump (more than `releases` for a subset). */
  recordsRead: number;
}

/**
 * A subset keeps only the masters its releases belong to (the masters dump is read before the releases,
 * so all of them went in), and their videos; the freed pages are given back with VACUUM, which on a
 * subset is small. Returns the masters removed.
 */
function pruneMasters(db: Database.Database): number {
  const removed = db
    .prepare("DELETE FROM masters WHERE NOT EXISTS (SELECT 1 FROM releases r WHERE r.master_id = masters.id)")
    .run().changes;
  db.prepare(
    "DELETE FROM videos WHERE release_id IS NULL AND master_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM masters m WHERE m.id = videos.master_id)",
  ).run();
  return removed;
}

/** Where an index's dump date comes from. */
export type DumpDateSource = "given" | "file name" | "records";

/**
 * The newest day a record names (`released`: "1999-03-00", "1999-03", "1999"), as YYYY-MM-DD, never
 * after `today`: a dump is at least as new as its newest record, so this dates a file with no date in
 * its name far better than the day of the build.
 */
export function newestRecordDate(current: string | null, released: unknown, today: string): string | null {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(String(released ?? ""));
  if (!m) return current;
  const month = m[2] && m[2] !== "00" ? m[2] : "01";
  const day = m[3] && m[3] !== "00" ? m[3] : "01";
  const date = `${m[1]}-${month}-${day}`;
  if (date > today || (current !== null && date <= current)) return current;
  return date;
}

type Db = Database.Database;

/** Identifies a source file, so a resume never mixes two dumps. */
function fingerprint(path: string): string {
  const st = statSync(path);
  return `${path}|${st.size}|${Math.round(st.mtimeMs)}`;
}

function checkInput(path: string, what: string): void {
  if (!existsSync(path)) throw new InvalidInputError(`index: ${what} dump "${path}" does not exist`);
}

/** Opens `<out>.partial` for resuming when it belongs to the same sources, else starts it anew. */
function openPartial(options: BuildIndexOptions, partial: string): { db: Db; resumed: boolean } {
  const sources = JSON.stringify([
    fingerprint(options.releases),
    options.masters ? fingerprint(options.masters) : null,
    ...(isSubset(options.subset) ? [options.subset] : []),
  ]);
  if (existsSync(partial) && !options.rebuild) {
    const db = new Database(partial);
    try {
      const meta = readMeta(db);
      if (meta.schema_version === String(INDEX_SCHEMA_VERSION) && meta.sources === sources)
        return { db, resumed: true };
    } catch {
      // Not an index of ours, or damaged: start again below.
    }
    db.close();
  }
  rmSync(partial, { force: true });
  rmSync(`${partial}-wal`, { force: true });
  rmSync(`${partial}-shm`, { force: true });
  const db = new Database(partial);
  db.pragma("journal_mode = WAL");
  db.exec(CREATE_TABLES);
  setMeta(db, { schema_version: String(INDEX_SCHEMA_VERSION), sources, complete: "0" });
  return { db, resumed: false };
}

/** Reads the meta table. */
export function readMeta(db: Db): Record<string, string> {
  const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

function setMeta(db: Db, values: Record<string, string>): void {
  const put = db.prepare(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  for (const [k, v] of Object.entries(values)) put.run(k, v);
}

/** Counts playable rows: index tracks count by their sub-tracks, headings not at all. */
function countTracks(list: unknown): number {
  let n = 0;
  for (const t of (list as { type_?: string; sub_tracks?: unknown[] }[] | undefined) ?? []) {
    if (t.type_ === "heading") continue;
    n += t.sub_tracks && t.sub_tracks.length > 0 ? countTracks(t.sub_tracks) : 1;
  }
  return n;
}

function releaseWriter(db: Db) {
  const release = db.prepare(
    "INSERT OR REPLACE INTO releases (id, master_id, is_main, year, quality, body, hit) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const doc = db.prepare(
    `INSERT OR REPLACE INTO docs (rowid, ${FIELD_NAMES.join(", ")}) VALUES (?, ${FIELD_NAMES.map(() => "?").join(", ")})`,
  );
  const ident = db.prepare("INSERT INTO idents (kind, value, release_id) VALUES (?, ?, ?)");
  const video = db.prepare(
    "INSERT INTO videos (video_id, release_id, master_id, title) VALUES (?, ?, NULL, ?)",
  );
  return (r: Json, isMain: boolean): { tracks: number; videos: number } => {
    const id = Number(r.id);
    const f = docFields(r);
    release.run(
      id,
      Number(r.master_id) || null,
      isMain ? 1 : 0,
      Number(r.year) || 0,
      QUALITY_RANK[String(r.data_quality ?? "")] ?? 1,
      // The dumps blank image addresses: nothing of them is worth storing offline.
      packBody({ ...r, images: undefined }),
      // The search row, converted once here: a search answers from it without reading the body.
      JSON.stringify(toSearchHit(RawSearchResult.parse(searchRowOf("release", id, r)))),
    );
    doc.run(id, ...FIELD_NAMES.map((name) => [...f.fields[name]].join(" ")));
    for (const c of new Set(f.compactCatno)) ident.run("catno", c, id);
    for (const b of new Set(f.compactBarcode)) ident.run("barcode", b, id);
    let videos = 0;
    for (const v of (r.videos as { uri?: string; title?: string }[] | undefined) ?? []) {
      const vid = youtubeId(v.uri ?? "");
      if (vid) {
        video.run(vid, id, v.title ?? "");
        videos++;
      }
    }
    return { tracks: countTracks(r.tracklist), videos };
  };
}

function masterWriter(db: Db) {
  const master = db.prepare("INSERT OR REPLACE INTO masters (id, body) VALUES (?, ?)");
  const video = db.prepare(
    "INSERT INTO videos (video_id, release_id, master_id, title) VALUES (?, NULL, ?, ?)",
  );
  return (m: Json): void => {
    const id = Number(m.id);
    master.run(id, packBody(m));
    for (const v of (m.videos as { uri?: string; title?: string }[] | undefined) ?? []) {
      const vid = youtubeId(v.uri ?? "");
      if (vid) video.run(vid, id, v.title ?? "");
    }
  };
}

/**
 * Imports one dump file in batches. Records up to `done` were committed by an earlier run and are only
 * read past. Returns the number of records in the file.
 */
async function importFile(
  db: Db,
  path: string,
  phase: "masters" | "releases",
  done: number,
  write: (data: Json, isMain: boolean) => void,
  options: BuildIndexOptions,
  snapshot: () => Record<string, string> = () => ({}),
  hygiene: BuildSummary["hygiene"] = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 },
): Promise<number> {
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 2000;
  const totalBytes = statSync(path).size;
  const progress: DumpProgress = { bytesRead: 0 };
  const started = now();
  let count = 0;
  let pending: { data: Json; isMain: boolean }[] = [];
  let lastReport = 0;
  const commit = db.transaction((batch: typeof pending, upTo: number) => {
    for (const r of batch) write(r.data, r.isMain);
    setMeta(db, { [`${phase}_done`]: String(upTo), ...snapshot() });
  });
  const report = (force: boolean) => {
    const t = now();
    if (!options.onProgress || (!force && t - lastReport < (options.progressIntervalMs ?? 500))) return;
    lastReport = t;
    const secs = Math.max(0.001, (t - started) / 1000);
    const share = totalBytes > 0 ? progress.bytesRead / totalBytes : 0;
    const etaSec = share > 0.01 ? Math.max(0, (secs / share) * (1 - share)) : null;
    options.onProgress({
      phase,
      records: count,
      bytesRead: progress.bytesRead,
      totalBytes,
      recordsPerSec: count / secs,
      etaSec,
    });
  };
  for await (const rec of importDump(path, progress)) {
    if (rec.kind !== phase) {
      throw new InvalidInputError(`index: "${path}" is a ${rec.kind} dump, expected ${phase}`, {
        field: phase,
      });
    }
    count++;
    if (count <= done) continue;
    pending.push({ data: rec.data, isMain: rec.kind === "releases" && rec.isMainRelease });
    if (pending.length >= batchSize) {
      commit(pending, count);
      pending = [];
      report(false);
      if (options.signal?.aborted) throw options.signal.reason;
    }
  }
  commit(pending, count);
  report(true);
  hygiene.skipped += progress.skipped ?? 0;
  hygiene.skippedIds.push(...(progress.skippedIds ?? []).slice(0, 10 - hygiene.skippedIds.length));
  hygiene.truncated += progress.truncated ?? 0;
  hygiene.repaired += progress.repaired ?? 0;
  return count;
}

/** Builds (or resumes building) an index; the finished file replaces `out` atomically. */
export async function buildIndex(options: BuildIndexOptions): Promise<BuildSummary> {
  const now = options.now ?? Date.now;
  const t0 = now();
  checkInput(options.releases, "releases");
  if (options.masters) checkInput(options.masters, "masters");
  const partial = `${options.out}.partial`;
  const { db, resumed } = openPartial(options, partial);
  try {
    const meta = readMeta(db);
    const mastersDone = resumed ? Number(meta.masters_done ?? 0) : 0;
    const releasesDone = resumed ? Number(meta.releases_done ?? 0) : 0;
    const hygiene: BuildSummary["hygiene"] = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 };
    if (options.masters) {
      const write = masterWriter(db);
      await importFile(
        db,
        options.masters,
        "masters",
        mastersDone,
        (m) => write(m),
        options,
        undefined,
        hygiene,
      );
    }
    const writeRelease = releaseWriter(db);
    const keep = subsetFilter(options.subset);
    const today = new Date(now()).toISOString().slice(0, 10);
    let tracks = resumed ? Number(meta.tracks ?? 0) : 0;
    let videos = resumed ? Number(meta.release_videos ?? 0) : 0;
    let kept = resumed ? Number(meta.kept ?? 0) : 0;
    let newest: string | null = resumed ? (meta.newest_record ?? null) : null;
    const recordsRead = await importFile(
      db,
      options.releases,
      "releases",
      releasesDone,
      (r, isMain) => {
        newest = newestRecordDate(newest, r.released, today);
        if (keep && !keep(r)) return;
        const n = writeRelease(r, isMain);
        tracks += n.tracks;
        videos += n.videos;
        kept++;
      },
      options,
      () => ({
        tracks: String(tracks),
        release_videos: String(videos),
        kept: String(kept),
        ...(newest ? { newest_record: newest } : {}),
      }),
      hygiene,
    );
    const releases = kept;
    const extras = db.transaction((list: Json[]) => {
      for (const { _main_release, ...r } of list) {
        const n = writeRelease(r, _main_release === true);
        tracks += n.tracks;
        videos += n.videos;
      }
    });
    extras(options.extraReleases ?? []);
    options.onProgress?.({
      phase: "finalize",
      records: releases,
      bytesRead: 0,
      totalBytes: 0,
      recordsPerSec: 0,
      etaSec: null,
    });
    db.exec(CREATE_INDEXES);
    const pruned = isSubset(options.subset) ? pruneMasters(db) : 0;
    db.exec("INSERT INTO docs (docs) VALUES ('optimize')");
    const masters = (db.prepare("SELECT COUNT(*) n FROM masters").get() as { n: number }).n;
    const named = dumpDateOf(options.releases);
    const dumpDateSource: DumpDateSource = options.dumpDate ? "given" : named ? "file name" : "records";
    const dumpDate = options.dumpDate ?? named ?? newest;
    setMeta(db, {
      dump_date_source: dumpDateSource,
      records_read: String(recordsRead),
      ...(isSubset(options.subset) ? { subset: JSON.stringify(options.subset) } : {}),
      complete: "1",
      releases: String(releases + (options.extraReleases?.length ?? 0)),
      masters: String(masters),
      tracks: String(tracks),
      release_videos: String(videos),
      ...(dumpDate ? { dump_date: dumpDate } : {}),
      built_at: new Date(now()).toISOString(),
    });
    db.pragma("journal_mode = DELETE");
    if (pruned > 0) db.exec("VACUUM");
    db.close();
    renameSync(partial, options.out);
    return {
      out: options.out,
      releases: releases + (options.extraReleases?.length ?? 0),
      masters,
      tracks,
      videos,
      resumedFrom: releasesDone,
      hygiene,
      seconds: (now() - t0) / 1000,
      bytes: statSync(options.out).size,
      dumpDate,
      dumpDateSource,
      recordsRead,
    };
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}
