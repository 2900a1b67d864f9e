/**
 * `discmeta index build`: streams Discogs dumps into an SQLite FTS5 index in constant memory.
 * It writes `<out>.partial`, committing in batches with a checkpoint; a later run resumes from the
 * checkpoint, and only a finished index is renamed to `<out>`, so a half-written index is never used.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { InvalidInputError } from "../../../core/errors.js";
import { type DumpProgress, readRecordChunks } from "../dump/index.js";
import type { WorkerInput, WorkerMessage, WorkerRequest } from "./build-worker.js";
import { type Codec, createCodec, trainDictionary, unpackRelease } from "./codec.js";
import { INDEXED_FIELDS, indexFields, type Json } from "./fields.js";
import {
  addHygiene,
  checkKind,
  type Hygiene,
  type PreparedBatch,
  type PreparedChunk,
  type PrepareJob,
  prepareDump,
  prepareRelease,
  type StoredMaster,
  type StoredRelease,
  sampleRecords,
  storeRelease,
} from "./prepare.js";
import {
  CREATE_INDEXES,
  CREATE_TABLES,
  commonWordLeast,
  docId,
  dumpDateOf,
  IDENT_KIND,
  INDEX_SCHEMA_VERSION,
  videoKey,
} from "./schema.js";
import { type IndexSubset, isSubset } from "./subset.js";

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
  /**
   * Parse and prepare on parsing threads while this one inserts (default true); false does both here
   * (same rows, one core).
   */
  threads?: boolean;
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
  hygiene: Hygiene;
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
 * so all of them went in), and their videos; the build's final VACUUM gives the freed pages back.
 */
function pruneMasters(db: Database.Database): void {
  db.prepare(
    "DELETE FROM masters WHERE NOT EXISTS (SELECT 1 FROM releases r WHERE r.master_id = masters.id)",
  ).run();
  db.prepare(
    "DELETE FROM videos WHERE owner < 0 AND NOT EXISTS (SELECT 1 FROM masters m WHERE m.id = -videos.owner)",
  ).run();
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

/** The build's SQLite page cache, KiB. */
const BUILD_CACHE_KIB = 32 * 1024;

/**
 * FTS5's merging while the build inserts: every commit writes a new segment of the words, and FTS5
 * merges segments into larger ones as they pile up, by default four of a level at a time, so each
 * release's words are rewritten once per level. Merging sixteen at a time makes half as many levels;
 * the build's final 'optimize' merges whatever is left into one segment, so the finished index and its
 * searches are the same. Replaying a million releases' words alone, alternated runs: 31.1 and 38.1 s
 * with the default, 25.5 and 31.3 with sixteen (0 — no merging until the end — fails past 2,000
 * segments, FTS5's limit, well before a full dump). A level may hold up to 64 segments before FTS5
 * merges it at once ('crisismerge'), so at most a few hundred segments ever exist.
 */
const BUILD_FTS_CONFIG = "INSERT INTO docs (docs, rank) VALUES ('automerge', 16), ('crisismerge', 64)";

/** Writes a file's data to disk before it is renamed into place, so a crash leaves the old file or the new. */
function syncFile(path: string): void {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes an SQLite file with its WAL and shared-memory files, if any. */
function removeDatabase(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
}

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
  removeDatabase(partial);
  const db = new Database(partial);
  // 16 KB pages hold a release's ~500 bytes with less slack than 4 KB ones: 4% smaller, measured.
  db.pragma("page_size = 16384");
  db.pragma("journal_mode = WAL");
  db.exec(CREATE_TABLES);
  db.exec(BUILD_FTS_CONFIG);
  setMeta(db, { schema_version: String(INDEX_SCHEMA_VERSION), sources, complete: "0" });
  return { db, resumed: false };
}

/**
 * Where a build puts catalogue numbers, barcodes and video ids until the end. idents and videos are keyed
 * by the lookup, so rows come to them in random order, and a 2,000-release transaction dirtied a 16 KB
 * page of each for nearly every row: a 1 M build wrote 120 MB/s to disk for an index growing 2 MB/s.
 * Appended here instead, they are moved in key order once the dump is in (moveLoaded). A release the
 * dump (or a correction) gives twice drops the idents loaded for it so far (load_drops).
 */
const LOAD_TABLES = `
CREATE TABLE IF NOT EXISTS idents_load (kind INTEGER NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS videos_load (video_id BLOB NOT NULL, owner INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS load_drops (doc INTEGER NOT NULL, upto INTEGER NOT NULL, PRIMARY KEY (doc, upto)) WITHOUT ROWID;
`;

/** Moves the loaded idents and videos to their tables in key order, in one transaction, and drops the rest. */
function moveLoaded(db: Db): void {
  db.transaction(() => {
    db.exec(`
INSERT OR IGNORE INTO idents (kind, value, doc)
  SELECT kind, value, doc FROM idents_load l
  WHERE NOT EXISTS (SELECT 1 FROM load_drops d WHERE d.doc = l.doc AND l.rowid <= d.upto)
  ORDER BY kind, value, doc;
INSERT OR IGNORE INTO videos (video_id, owner) SELECT video_id, owner FROM videos_load ORDER BY video_id, owner;
DROP TABLE idents_load;
DROP TABLE videos_load;
DROP TABLE load_drops;
`);
  })();
}

/**
 * The words of a finished index held by `least` releases or more (schema.ts `commonWordLeast`), and how
 * many hold each, from FTS5's own vocabulary (one pass over the index: about 1.4 s a million
 * releases). Kept in meta (`common_words`).
 */
export function commonWords(db: Db, least: number): Record<string, number> {
  db.exec("CREATE VIRTUAL TABLE temp.docs_vocab USING fts5vocab(main, docs, row)");
  try {
    const rows = db
      .prepare("SELECT term, doc FROM temp.docs_vocab WHERE doc >= ? ORDER BY doc DESC, term")
      .all(least) as { term: string; doc: number }[];
    return Object.fromEntries(rows.map((r) => [r.term, r.doc]));
  } finally {
    db.exec("DROP TABLE temp.docs_vocab");
  }
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

/** Release records the preset dictionary is trained on. */
const DICTIONARY_SAMPLES = 300;

/** The index's dictionary: kept in meta, so a resumed build and every reader use the same one. */
async function dictionaryOf(db: Db, releases: string): Promise<Buffer> {
  const kept = readMeta(db).dictionary;
  if (kept !== undefined) return Buffer.from(kept, "base64");
  const dictionary = trainDictionary(await sampleRecords(releases, DICTIONARY_SAMPLES));
  setMeta(db, { dictionary: dictionary.toString("base64") });
  return dictionary;
}

/**
 * Inserts prepared rows. A release already in the index (a correction) replaces the old one whole; the
 * contentless FTS5 table forgets a row only when told its words, which the stored record gives back.
 */
function writers(db: Db, codec: Codec) {
  const existing = db.prepare(
    "SELECT r.master_id, r.is_main, r.quality, b.body, b.tail FROM releases r JOIN bodies b ON b.id = r.id WHERE r.id = ?",
  );
  const dropDoc = db.prepare(
    `INSERT INTO docs (docs, rowid, ${INDEXED_FIELDS.join(", ")}) VALUES ('delete', ?, ${INDEXED_FIELDS.map(() => "?").join(", ")})`,
  );
  const dropIdents = db.prepare("DELETE FROM idents WHERE doc = ?");
  const dropLoaded = db.prepare(
    "INSERT OR IGNORE INTO load_drops (doc, upto) SELECT ?, COALESCE(MAX(rowid), 0) FROM idents_load",
  );
  const release = db.prepare(
    "INSERT OR REPLACE INTO releases (id, master_id, is_main, year, quality, title_key, artist_bits, title_bits) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const body = db.prepare("INSERT OR REPLACE INTO bodies (id, body, tail) VALUES (?, ?, ?)");
  const doc = db.prepare(
    `INSERT INTO docs (rowid, ${INDEXED_FIELDS.join(", ")}) VALUES (?, ${INDEXED_FIELDS.map(() => "?").join(", ")})`,
  );
  const ident = db.prepare("INSERT INTO idents_load (kind, value, doc) VALUES (?, ?, ?)");
  const video = db.prepare("INSERT INTO videos_load (video_id, owner) VALUES (?, ?)");
  const master = db.prepare("INSERT OR REPLACE INTO masters (id, body) VALUES (?, ?)");
  return {
    release(r: StoredRelease): void {
      const old = existing.get(r.id) as
        | { master_id: number | null; is_main: number; quality: number; body: Buffer; tail: Buffer | null }
        | undefined;
      if (old) {
        const oldDoc = docId(r.id, old.is_main === 1, old.quality);
        const words = indexFields(
          unpackRelease(r.id, old.master_id, codec.decode(old.body, old.tail)),
        ).fields;
        dropDoc.run(oldDoc, ...INDEXED_FIELDS.map((name) => [...words[name]].join(" ")));
        // Its idents are in the load table during a build; in idents only in a partial index an earlier
        // version wrote (same schema), which this DELETE, on an otherwise empty table, still serves.
        dropIdents.run(oldDoc);
        dropLoaded.run(oldDoc);
      }
      release.run(
        r.id,
        r.masterId,
        r.isMain ? 1 : 0,
        r.year,
        r.quality,
        r.titleKey,
        r.artistBits,
        r.titleBits,
      );
      body.run(r.id, r.body, r.tail);
      doc.run(r.doc, ...r.fields);
      for (const c of r.catnos) ident.run(IDENT_KIND.catno, c, r.doc);
      for (const b of r.barcodes) ident.run(IDENT_KIND.barcode, b, r.doc);
      for (const v of r.videos) video.run(videoKey(v), r.id);
    },
    master(m: StoredMaster): void {
      master.run(m.id, m.body);
      // A master's videos are keyed by its negated id, a release's by its id.
      for (const v of m.videos) video.run(videoKey(v), -m.id);
    },
  };
}

/**
 * Starts a parsing thread: the built .js, or, run from source (tests, benches), the .ts through tsx's
 * loader, registered inside the thread first.
 */
function startWorker(input: WorkerInput): Worker {
  if (!fileURLToPath(import.meta.url).endsWith(".ts"))
    return new Worker(new URL("./build-worker.js", import.meta.url), { workerData: input });
  const script = JSON.stringify(new URL("./build-worker.ts", import.meta.url).href);
  return new Worker(`import("tsx/esm/api").then((m) => { m.register(); return import(${script}); });`, {
    eval: true,
    workerData: input,
  });
}

/** Parsing threads: one per core, at least two (the inserting thread waits on them), at most four. */
const PARSE_THREADS = Math.min(4, Math.max(2, availableParallelism()));
/**
 * Runs of records handed to a parsing thread and not yet back, at most: enough (about 650 records a
 * thread) to keep the parsing threads busy while this thread commits a batch of 2,000, when it hands
 * out nothing. With 12, they ran dry during each commit (1.6 of two cores busy; 1.85 with 48).
 */
const IN_FLIGHT = 32;

/**
 * The prepared batches of one file, parsed on PARSE_THREADS threads: this thread reads the file (gunzip
 * runs on libuv's pool) and cuts it into runs of whole records (dump `readRecordChunks`), which the
 * parsing threads prepare while this one inserts; their rows come back in file order, in batches of
 * `batchSize` records or more. Records up to `job.done` (committed by an earlier run) are dropped.
 * Leaving the loop early (an error, Ctrl-C) stops the threads.
 */
async function* parallelBatches(
  job: PrepareJob,
  hygiene: Hygiene,
  codec: Codec,
): AsyncGenerator<PreparedBatch> {
  const progress: DumpProgress = { bytesRead: 0 };
  const runs = readRecordChunks(job.path, progress);
  const pool = Array.from({ length: PARSE_THREADS }, () => ({
    worker: startWorker({ subset: job.subset, dictionary: codec.dictionary }),
    inFlight: 0,
  }));
  const done = new Map<number, { chunk: PreparedChunk; bytesRead: number }>();
  const readAt = new Map<number, number>();
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const rouse = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  for (const slot of pool) {
    slot.worker.on("message", (m: WorkerMessage) => {
      if (m.type === "chunk") {
        slot.inFlight--;
        addHygiene(hygiene, m.hygiene);
        done.set(m.seq, { chunk: m.chunk, bytesRead: readAt.get(m.seq) ?? 0 });
        readAt.delete(m.seq);
      } else
        failure ??=
          m.name === "InvalidInputError"
            ? new InvalidInputError(m.message, m.field ? { field: m.field } : undefined)
            : new Error(`index: the build's parsing thread failed: ${m.message}`);
      rouse();
    });
    slot.worker.on("error", (err) => {
      failure ??= new Error(`index: the build's parsing thread failed: ${err.message}`);
      rouse();
    });
    slot.worker.on("exit", (code) => {
      failure ??= new Error(`index: the build's parsing thread stopped (exit code ${code})`);
      rouse();
    });
  }
  let sent = 0;
  let taken = 0;
  let ended = false;
  /** Hands runs out until every thread has IN_FLIGHT, or the file ends. */
  const handOut = async () => {
    for (;;) {
      const slot = pool.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (ended || slot.inFlight >= IN_FLIGHT) return;
      const next = await runs.next();
      if (next.done) {
        ended = true;
        return;
      }
      const run = next.value;
      checkKind(job, run.kind);
      readAt.set(sent, run.bytesRead);
      slot.inFlight++;
      // The run's bytes move to the thread (transferred, not copied).
      const request: WorkerRequest = { type: "chunk", seq: sent++, kind: run.kind, bytes: run.bytes };
      slot.worker.postMessage(request, [run.bytes.buffer as ArrayBuffer]);
    }
  };
  let count = 0;
  let batch: PreparedBatch = { masters: [], releases: [], dates: [], upTo: 0, bytesRead: 0 };
  let inBatch = 0;
  try {
    for (;;) {
      await handOut();
      if (failure) throw failure;
      const next = done.get(taken);
      if (next) {
        done.delete(taken);
        taken++;
        const { chunk } = next;
        // Record i of the run is record base + i + 1 of the file; those up to job.done are committed.
        const base = count;
        const fresh = (i: number) => base + i + 1 > job.done;
        batch.releases.push(...chunk.releases.filter((_, k) => fresh(chunk.releaseAt[k]!)));
        batch.masters.push(...chunk.masters.filter((_, k) => fresh(chunk.masterAt[k]!)));
        batch.dates.push(...chunk.dates.filter((_, i) => fresh(i)));
        count += chunk.records;
        inBatch += chunk.records;
        if (inBatch >= job.batchSize) {
          yield { ...batch, upTo: count, bytesRead: next.bytesRead };
          batch = { masters: [], releases: [], dates: [], upTo: 0, bytesRead: 0 };
          inBatch = 0;
        }
        continue;
      }
      if (ended && taken === sent) break;
      await new Promise<void>((r) => (wake = r));
    }
    yield { ...batch, upTo: count, bytesRead: progress.bytesRead };
    addHygiene(hygiene, progress);
  } finally {
    await runs.return(undefined);
    await Promise.all(pool.map((slot) => slot.worker.terminate()));
  }
}

/**
 * Imports one dump file in batches. Records up to `done` were committed by an earlier run and are only
 * read past. Returns the number of records in the file.
 */
async function importFile(
  db: Db,
  job: PrepareJob,
  write: (batch: PreparedBatch) => void,
  options: BuildIndexOptions,
  snapshot: () => Record<string, string>,
  hygiene: Hygiene,
  codec: Codec,
): Promise<number> {
  const now = options.now ?? Date.now;
  const totalBytes = statSync(job.path).size;
  const started = now();
  let lastReport = 0;
  let count = job.done;
  let bytesRead = 0;
  const commit = db.transaction((batch: PreparedBatch) => {
    write(batch);
    setMeta(db, { [`${job.phase}_done`]: String(batch.upTo), ...snapshot() });
  });
  const report = (force: boolean) => {
    const t = now();
    if (!options.onProgress || (!force && t - lastReport < (options.progressIntervalMs ?? 500))) return;
    lastReport = t;
    const secs = Math.max(0.001, (t - started) / 1000);
    const share = totalBytes > 0 ? bytesRead / totalBytes : 0;
    const etaSec = share > 0.01 ? Math.max(0, (secs / share) * (1 - share)) : null;
    options.onProgress({
      phase: job.phase,
      records: count,
      bytesRead,
      totalBytes,
      recordsPerSec: (count - job.done) / secs,
      etaSec,
    });
  };
  const batches =
    options.threads === false ? prepareDump(job, hygiene, codec) : parallelBatches(job, hygiene, codec);
  for await (const batch of batches) {
    commit(batch);
    count = Math.max(count, batch.upTo);
    bytesRead = batch.bytesRead;
    report(false);
    if (options.signal?.aborted) throw options.signal.reason;
  }
  report(true);
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
  // A 32 MiB page cache (SQLite's default is 2 MiB) keeps more of the FTS5 segments being merged, and of
  // the load tables being sorted at the end, in memory; NORMAL is WAL's crash-safe setting that syncs at
  // checkpoints only: a crash may lose the last transactions, never the file, and the build's own
  // checkpoint (meta) is written in the same transactions, so a resume starts where the file says.
  try {
    db.pragma(`cache_size = -${BUILD_CACHE_KIB}`);
    db.pragma("synchronous = NORMAL");
    // A new build and a resumed one alike (a resumed build may have moved and dropped them already).
    db.exec(LOAD_TABLES);
    const meta = readMeta(db);
    const mastersDone = resumed ? Number(meta.masters_done ?? 0) : 0;
    const releasesDone = resumed ? Number(meta.releases_done ?? 0) : 0;
    const hygiene: Hygiene = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 };
    const codec = createCodec(await dictionaryOf(db, options.releases));
    const write = writers(db, codec);
    const batchSize = options.batchSize ?? 2000;
    if (options.masters) {
      const job: PrepareJob = { path: options.masters, phase: "masters", done: mastersDone, batchSize };
      const writeMasters = (batch: PreparedBatch) => {
        for (const m of batch.masters) write.master(m);
      };
      await importFile(db, job, writeMasters, options, () => ({}), hygiene, codec);
    }
    const today = new Date(now()).toISOString().slice(0, 10);
    let tracks = resumed ? Number(meta.tracks ?? 0) : 0;
    let videos = resumed ? Number(meta.release_videos ?? 0) : 0;
    let kept = resumed ? Number(meta.kept ?? 0) : 0;
    let newest: string | null = resumed ? (meta.newest_record ?? null) : null;
    const add = (r: StoredRelease) => {
      write.release(r);
      tracks += r.tracks;
      videos += r.videos.length;
    };
    const job: PrepareJob = {
      path: options.releases,
      phase: "releases",
      done: releasesDone,
      batchSize,
      subset: options.subset,
    };
    const writeReleases = (batch: PreparedBatch) => {
      for (const d of batch.dates) newest = newestRecordDate(newest, d, today);
      for (const r of batch.releases) add(r);
      kept += batch.releases.length;
    };
    const snapshot = () => ({
      tracks: String(tracks),
      release_videos: String(videos),
      kept: String(kept),
      ...(newest ? { newest_record: newest } : {}),
    });
    const recordsRead = await importFile(db, job, writeReleases, options, snapshot, hygiene, codec);
    const releases = kept;
    const extras = db.transaction((list: Json[]) => {
      for (const { _main_release, ...r } of list) {
        const row = prepareRelease(r, _main_release === true);
        if (row) add(storeRelease(row, codec));
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
    moveLoaded(db);
    db.exec(CREATE_INDEXES);
    if (isSubset(options.subset)) pruneMasters(db);
    db.exec("INSERT INTO docs (docs) VALUES ('optimize')");
    const common = commonWords(db, commonWordLeast(releases + (options.extraReleases?.length ?? 0)));
    const masters = (db.prepare("SELECT COUNT(*) n FROM masters").get() as { n: number }).n;
    const named = dumpDateOf(options.releases);
    const dumpDateSource: DumpDateSource = options.dumpDate ? "given" : named ? "file name" : "records";
    const dumpDate = options.dumpDate ?? named ?? newest;
    setMeta(db, {
      dump_date_source: dumpDateSource,
      records_read: String(recordsRead),
      ...(isSubset(options.subset) ? { subset: JSON.stringify(options.subset) } : {}),
      common_words: JSON.stringify(common),
      complete: "1",
      releases: String(releases + (options.extraReleases?.length ?? 0)),
      masters: String(masters),
      tracks: String(tracks),
      release_videos: String(videos),
      ...(dumpDate ? { dump_date: dumpDate } : {}),
      built_at: new Date(now()).toISOString(),
    });
    // FTS5's merges, the load tables and a subset's pruning leave free pages (about a tenth of the
    // file): the finished index is a compacted copy. VACUUM INTO writes it once; VACUUM wrote the copy
    // and then the file again over it through a journal (0.57 s against 0.89 for 200,000 releases).
    const copy = `${partial}.vacuum`;
    rmSync(copy, { force: true });
    try {
      db.prepare("VACUUM INTO ?").run(copy);
      db.close();
      syncFile(copy);
      renameSync(copy, options.out);
    } catch (err) {
      rmSync(copy, { force: true });
      throw err;
    }
    removeDatabase(partial);
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
