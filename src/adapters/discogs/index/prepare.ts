/**
 * A dump record turned into the rows the index stores: work apart from SQLite (words, packing,
 * compressing), so the build can do it on other threads (build-worker.ts) while the main thread
 * inserts.
 */
import { InvalidInputError } from "../../../core/errors.js";
import { type DumpKind, type DumpProgress, type DumpRecord, importChunk, importDump } from "../dump/index.js";
import { type Codec, headEndOf, packMaster, packRelease, type RecordEncoder } from "./codec.js";
import { INDEXED_FIELDS, indexFields, type Json, youtubeId } from "./fields.js";
import { DOC_ID_SPAN, docId, hash31, QUALITY_RANK, wordBits } from "./schema.js";
import { type IndexSubset, subsetFilter } from "./subset.js";

/** A release ready to compress (storeRelease) and insert. */
export interface PreparedRelease {
  id: number;
  masterId: number | null;
  isMain: boolean;
  year: number;
  quality: number;
  doc: number;
  /** What scoring reads back: the exact title's hash, the words of the release's artists and title. */
  titleKey: number;
  artistBits: number;
  titleBits: number;
  /** The packed record as JSON (codec.ts); compressed by storeRelease. */
  packed: string;
  /** Where the record is cut into head and tail (codec.ts `headEndOf`); 0: stored whole. */
  headEnd: number;
  /** Words per indexed field, in INDEXED_FIELDS order. */
  fields: string[];
  catnos: string[];
  barcodes: string[];
  videos: string[];
  tracks: number;
}

/** A master ready to compress. */
export interface PreparedMaster {
  id: number;
  packed: string;
  videos: string[];
}

/**
 * A release ready to insert: its rows, its record compressed (codec.ts). Compressing is the parsing
 * threads' work too: it is a third of what the inserting thread did, and a compressed record is a tenth
 * of the packed text to hand back.
 */
export interface StoredRelease extends Omit<PreparedRelease, "packed" | "headEnd"> {
  body: Uint8Array;
  tail: Uint8Array | null;
}

/** A master ready to insert, its record compressed. */
export interface StoredMaster {
  id: number;
  body: Uint8Array;
  videos: string[];
}

/** A prepared release compressed for storing. */
export function storeRelease(row: PreparedRelease, encoder: RecordEncoder): StoredRelease {
  const { packed, headEnd, ...rest } = row;
  const stored = encoder.encodeRecord(packed, headEnd);
  return { ...rest, body: stored.body, tail: stored.tail };
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

function videoIds(record: Json): string[] {
  const out = new Set<string>();
  for (const v of (record.videos as { uri?: string }[] | undefined) ?? []) {
    const id = youtubeId(v.uri ?? "");
    if (id) out.add(id);
  }
  return [...out];
}

/** A release body (API shape) as rows; null for an id the index cannot key (0, or DOC_ID_SPAN and past). */
export function prepareRelease(r: Json, isMain: boolean): PreparedRelease | null {
  const id = Number(r.id);
  if (!Number.isInteger(id) || id <= 0 || id >= DOC_ID_SPAN) return null;
  const quality = QUALITY_RANK[String(r.data_quality ?? "")] ?? 1;
  const f = indexFields(r);
  const packedTuple = packRelease(r);
  const packed = JSON.stringify(packedTuple);
  return {
    id,
    masterId: Number(r.master_id) || null,
    isMain,
    year: Number(r.year) || 0,
    quality,
    doc: docId(id, isMain, quality),
    titleKey: hash31(f.titleTokens),
    artistBits: wordBits(f.ownArtistWords),
    titleBits: wordBits([...f.fields.release_title]),
    packed,
    headEnd: headEndOf(packedTuple, packed),
    fields: INDEXED_FIELDS.map((name) => [...f.fields[name]].join(" ")),
    catnos: [...new Set(f.compactCatno)],
    barcodes: [...new Set(f.compactBarcode)],
    videos: videoIds(r),
    tracks: countTracks(r.tracklist),
  };
}

/** A master body (API shape) as rows. */
export function prepareMaster(m: Json): PreparedMaster {
  return { id: Number(m.id), packed: JSON.stringify(packMaster(m)), videos: videoIds(m) };
}

/** One batch of prepared records, and how far into the file it reaches. */
export interface PreparedBatch {
  masters: StoredMaster[];
  releases: StoredRelease[];
  /** The `released` dates of every release record read (kept or not): the dump is at least as new. */
  dates: string[];
  /** Records of the file read so far, the ones skipped over on a resume included. */
  upTo: number;
  bytesRead: number;
}

/** What a dump file cost besides its records: skipped, cut and repaired (see DumpProgress). */
export interface Hygiene {
  skipped: number;
  skippedIds: string[];
  truncated: number;
  repaired: number;
}

/** Adds one file's hygiene to a build's: counts summed, the first ten skipped records named. */
export function addHygiene(into: Hygiene, from: Partial<Hygiene>): void {
  into.skipped += from.skipped ?? 0;
  into.skippedIds.push(...(from.skippedIds ?? []).slice(0, 10 - into.skippedIds.length));
  into.truncated += from.truncated ?? 0;
  into.repaired += from.repaired ?? 0;
}

/** A dump file of the kind the job reads, or an error that says which it is. */
export function checkKind(job: PrepareJob, kind: DumpKind): void {
  if (kind !== job.phase)
    throw new InvalidInputError(`index: "${job.path}" is a ${kind} dump, expected ${job.phase}`, {
      field: job.phase,
    });
}

/**
 * One record's rows, added to `into`: a release's date, and its row when the subset keeps it (a release
 * the index cannot key is counted as skipped); a master's row. Says which row was added, if any.
 */
function prepareRecord(
  rec: DumpRecord,
  keep: ((r: Json) => boolean) | null,
  hygiene: Hygiene,
  into: Pick<PreparedBatch, "masters" | "releases" | "dates">,
  encoder: RecordEncoder,
): "release" | "master" | null {
  if (rec.kind !== "releases") {
    const m = prepareMaster(rec.data);
    into.masters.push({ id: m.id, body: encoder.encodeText(m.packed), videos: m.videos });
    return "master";
  }
  into.dates.push(String(rec.data.released ?? ""));
  if (keep && !keep(rec.data)) return null;
  const row = prepareRelease(rec.data, rec.isMainRelease);
  if (!row) {
    hygiene.skipped++;
    return null;
  }
  into.releases.push(storeRelease(row, encoder));
  return "release";
}

/** The rows of one run of a dump's records (dump `readRecordChunks`), and where each sits in the run. */
export interface PreparedChunk {
  /** Records of the run (a record that could not be read is not one, as for prepareDump). */
  records: number;
  masters: StoredMaster[];
  releases: StoredRelease[];
  /** The record number in the run (from 0) of each release kept, and of each master. */
  releaseAt: number[];
  masterAt: number[];
  /** The `released` date of every release record of the run, kept or not, in order. */
  dates: string[];
  /** The buffers the compressed records are views of (codec.ts `RecordSink`): what a thread transfers. */
  buffers: ArrayBuffer[];
}

/**
 * A run's records compressed take about a tenth of its XML; a sink's buffers of a quarter leave
 * room to spare, and a record that does not fit starts another.
 */
const SINK_SHARE = 1 / 4;

/**
 * Prepares one run of a dump's records, as prepareDump prepares a file's: what the build's parsing
 * threads do with the runs the inserting thread reads and hands out. Hygiene is filled in.
 */
export function prepareChunk(
  kind: DumpKind,
  bytes: Uint8Array,
  subset: IndexSubset | undefined,
  hygiene: Hygiene,
  codec: Codec,
): PreparedChunk {
  const progress: DumpProgress = { bytesRead: 0 };
  const keep = subsetFilter(subset);
  const sink = codec.sink(bytes.length * SINK_SHARE);
  const out: PreparedChunk = {
    records: 0,
    masters: [],
    releases: [],
    releaseAt: [],
    masterAt: [],
    dates: [],
    buffers: sink.buffers,
  };
  const records = importChunk(kind, bytes, progress);
  out.records = records.length;
  records.forEach((rec, i) => {
    const added = prepareRecord(rec, keep, hygiene, out, sink);
    if (added === "release") out.releaseAt.push(i);
    else if (added === "master") out.masterAt.push(i);
  });
  addHygiene(hygiene, progress);
  return out;
}

/** A batch's sink buffers on one thread (a batch of 2,000 records takes about 600 KB). */
const PREPARE_SINK_BYTES = 256 * 1024;

/** What `prepareDump` needs. */
export interface PrepareJob {
  path: string;
  phase: "masters" | "releases";
  /** Records committed by an earlier run: read past, not prepared. */
  done: number;
  batchSize: number;
  subset?: IndexSubset | undefined;
}

/**
 * Reads a dump file and yields its records prepared, in batches; the last batch may be empty. A record of
 * the wrong kind is an error (a masters file given as releases). Hygiene is filled in as it goes.
 */
export async function* prepareDump(
  job: PrepareJob,
  hygiene: Hygiene,
  codec: Codec,
): AsyncGenerator<PreparedBatch> {
  const progress: DumpProgress = { bytesRead: 0 };
  const keep = subsetFilter(job.subset);
  let count = 0;
  let batch: PreparedBatch = { masters: [], releases: [], dates: [], upTo: 0, bytesRead: 0 };
  let sink = codec.sink(PREPARE_SINK_BYTES);
  const flush = () => {
    const out = { ...batch, upTo: count, bytesRead: progress.bytesRead };
    batch = { masters: [], releases: [], dates: [], upTo: 0, bytesRead: 0 };
    sink = codec.sink(PREPARE_SINK_BYTES);
    return out;
  };
  for await (const rec of importDump(job.path, progress)) {
    checkKind(job, rec.kind);
    count++;
    if (count <= job.done) continue;
    prepareRecord(rec, keep, hygiene, batch, sink);
    if (batch.masters.length + batch.dates.length >= job.batchSize) yield flush();
  }
  addHygiene(hygiene, progress);
  yield flush();
}

/** Sample records for the dictionary: the first of the releases file, packed. */
export async function sampleRecords(path: string, n: number): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const rec of importDump(path)) {
    if (rec.kind !== "releases") break;
    out.push(packRelease(rec.data));
    if (out.length >= n) break;
  }
  return out;
}
