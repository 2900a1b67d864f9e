/**
 * The offline index's record codec. A release is stored as what matching and tagging read and nothing
 * else (no notes, companies, images, series, videos, nor the artists' Discogs ids, which no answer
 * carries; community counts when a body has them, as corrections from the API do), as positional
 * arrays rather than keyed objects, compressed with zstd over a dictionary of the dump's own first
 * records. Decoding gives back the API-shaped body that the API's converters read,
 * so a release answers as through the API, credit ids aside (null offline).
 */
import { Decompressor } from "zstd-napi";
import zstd from "zstd-napi/binding.js";
import { releaseUri } from "../dump/to-api.js";
import type { Json } from "./fields.js";

/**
 * The dictionary's size: the last 256 KB of the sample records' text. zstd digests a dictionary once
 * (zlib hashed its 32 KB on every record, most of deflate's time), and reaches back past deflate's 32 KB
 * window, so a larger dictionary costs no time per record. On the 510 records of the bundled sample
 * that the dictionary was not made from, at level 7: 32 KB gives 384.7 bytes a record, 128 KB 357.7,
 * 256 KB 351.6, against deflate's 352.6 with its 32 KB (docs/benchmarks.md).
 */
const DICTIONARY_BYTES = 256 * 1024;
/**
 * zstd's level. With the 256 KB dictionary, on the same records: level 3 gives 383.1 bytes in 15.5 µs,
 * 5 368.7 in 24.8 µs, 7 351.6 in 38.0 µs, 9 349.1 in 52.6 µs; deflate took 145.4 µs. Level 7 is
 * deflate's size at a quarter of its time.
 */
const LEVEL = 7;

type Credit = {
  name?: string;
  anv?: string | null;
  join?: string | null;
  role?: string | null;
  tracks?: string | null;
};
type Track = {
  position?: string | null;
  type_?: string | null;
  title?: string | null;
  duration?: string | null;
  artists?: Credit[] | null;
  extraartists?: Credit[] | null;
  sub_tracks?: Track[] | null;
};
type Format = {
  name?: string;
  qty?: string | number | null;
  descriptions?: string[] | null;
  text?: string | null;
};
type Label = { name?: string; catno?: string | null };

/** Positional record: a tuple with its empty tail cut ("", null, undefined and [] count as empty). */
type Packed = unknown[];

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
}

function trim(xs: unknown[]): Packed {
  let n = xs.length;
  while (n > 0 && isEmpty(xs[n - 1])) n--;
  // Inner empties become null (shorter than "" or [] once compressed, and read back as absent).
  return xs.slice(0, n).map((v) => (isEmpty(v) ? null : v));
}

/** Reads position `i` of a packed tuple; absent -> undefined. */
function at<T>(xs: Packed, i: number): T | undefined {
  const v = xs[i];
  return v === null || v === undefined ? undefined : (v as T);
}

const TYPE_CODE: Record<string, string> = { heading: "h", index: "i" };
const TYPE_NAME: Record<string, string> = { h: "heading", i: "index" };

function packCredit(a: Credit): Packed {
  return trim([a.name ?? "", a.anv, a.join, a.role, a.tracks]);
}
function unpackCredit(p: Packed): Json {
  const out: Json = { name: at<string>(p, 0) ?? "" };
  for (const [i, k] of [
    [1, "anv"],
    [2, "join"],
    [3, "role"],
    [4, "tracks"],
  ] as const) {
    const v = at<string>(p, i);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
const packCredits = (xs: Credit[] | null | undefined): Packed[] => (xs ?? []).map(packCredit);
const unpackCredits = (xs: Packed[] | undefined): Json[] => (xs ?? []).map(unpackCredit);

function packTrack(t: Track): Packed {
  return trim([
    t.position,
    TYPE_CODE[String(t.type_ ?? "")] ?? "",
    t.title,
    t.duration,
    packCredits(t.artists),
    packCredits(t.extraartists),
    (t.sub_tracks ?? []).map(packTrack),
  ]);
}
function unpackTrack(p: Packed): Json {
  const out: Json = {
    position: at<string>(p, 0) ?? "",
    type_: TYPE_NAME[at<string>(p, 1) ?? ""] ?? "track",
    title: at<string>(p, 2) ?? "",
    duration: at<string>(p, 3) ?? "",
  };
  const artists = at<Packed[]>(p, 4);
  if (artists) out.artists = unpackCredits(artists);
  const extra = at<Packed[]>(p, 5);
  if (extra) out.extraartists = unpackCredits(extra);
  const subs = at<Packed[]>(p, 6);
  if (subs) out.sub_tracks = subs.map(unpackTrack);
  return out;
}

function packFormat(f: Format): Packed {
  const qty = Number(f.qty ?? 1);
  return trim([f.name ?? "", Number.isFinite(qty) ? qty : 1, f.descriptions ?? [], f.text]);
}
function unpackFormat(p: Packed): Json {
  const out: Json = {
    name: at<string>(p, 0) ?? "",
    qty: String(at<number>(p, 1) ?? 1),
    descriptions: at<string[]>(p, 2) ?? [],
  };
  const text = at<string>(p, 3);
  if (text !== undefined) out.text = text;
  return out;
}

/** A release body (API shape) as its packed tuple: only what the converters and search rows read. */
export function packRelease(r: Json): Packed {
  const id = Number(r.id);
  const artists = (r.artists as Credit[] | undefined) ?? [];
  const title = String(r.title ?? "");
  // The address is rebuilt from id, artists and title; stored only when it is not the usual one, and
  // 0 when the body has none (the converters then make one from the id alone).
  const given = typeof r.uri === "string" && r.uri !== "" ? r.uri : 0;
  const uri = given === releaseUri(id, artists, title) ? "" : given;
  return trim([
    title,
    packCredits(artists),
    Number(r.year) || 0,
    r.released,
    r.country,
    ((r.labels as Label[] | undefined) ?? []).map((l) => trim([l.name ?? "", l.catno])),
    ((r.formats as Format[] | undefined) ?? []).map(packFormat),
    r.genres,
    r.styles,
    ((r.tracklist as Track[] | undefined) ?? []).map(packTrack),
    packCredits(r.extraartists as Credit[] | undefined),
    r.status,
    uri,
    communityOf(r),
  ]);
}

/** Community counts as [have, want], when the body has them (the API's do; the dumps' do not). */
function communityOf(r: Json): [number, number] | null {
  const c = r.community as { have?: number; want?: number } | undefined;
  return c && (c.have != null || c.want != null) ? [Number(c.have) || 0, Number(c.want) || 0] : null;
}

/** Where a packed release keeps its community counts: its last field, in API corrections only. */
const COMMUNITY_FIELD = 13;

/** A packed release back to its API-shaped body (with the id and master id the row keeps). */
export function unpackRelease(id: number, masterId: number | null, p: Packed): Json {
  const body = unpackReleaseHead(id, masterId, p);
  body.tracklist = (at<Packed[]>(p, 9) ?? []).map(unpackTrack);
  body.extraartists = unpackCredits(at<Packed[]>(p, 10));
  body.status = at<string>(p, 11) ?? "";
  const uri = at<string | 0>(p, 12);
  if (uri !== 0) body.uri = uri ?? releaseUri(id, body.artists as Credit[], String(body.title));
  return body;
}

/**
 * What a search row reads of a packed release: everything but the tracklist, the release's credits,
 * status and address. A compilation's tracklist is most of its record, and a common name's search
 * builds fifty rows.
 */
export function unpackReleaseHead(id: number, masterId: number | null, p: Packed): Json {
  const body: Json = {
    id,
    title: at<string>(p, 0) ?? "",
    artists: unpackCredits(at<Packed[]>(p, 1)),
    year: at<number>(p, 2) ?? 0,
    released: at<string>(p, 3) ?? "",
    country: at<string>(p, 4) ?? "",
    labels: (at<Packed[]>(p, 5) ?? []).map((l) => ({
      name: at<string>(l, 0) ?? "",
      catno: at<string>(l, 1) ?? "",
    })),
    formats: (at<Packed[]>(p, 6) ?? []).map(unpackFormat),
    genres: at<string[]>(p, 7) ?? [],
    styles: at<string[]>(p, 8) ?? [],
  };
  const community = at<[number, number]>(p, COMMUNITY_FIELD);
  if (community) body.community = { have: community[0], want: community[1] };
  if (masterId) body.master_id = masterId;
  return body;
}

/** A master body as its packed tuple: what `toMaster` reads. */
export function packMaster(m: Json): Packed {
  return trim([
    String(m.title ?? ""),
    packCredits(m.artists as Credit[] | undefined),
    Number(m.year) || 0,
    Number(m.main_release) || 0,
    m.genres,
    m.styles,
    m.uri,
  ]);
}

/** A packed master back to its API-shaped body. */
export function unpackMaster(id: number, p: Packed): Json {
  return {
    id,
    title: at<string>(p, 0) ?? "",
    artists: unpackCredits(at<Packed[]>(p, 1)),
    year: at<number>(p, 2) ?? 0,
    main_release: at<number>(p, 3) ?? 0,
    genres: at<string[]>(p, 4) ?? [],
    styles: at<string[]>(p, 5) ?? [],
    uri: at<string>(p, 6) ?? "",
    tracklist: [],
  };
}

/**
 * A release's record past this many characters of tracklist and credits is stored in two parts: its
 * head (what a search row reads) and its tail, so that a search row of a long compilation decompresses
 * and parses its head alone (a Beatles box set's row cost 490 µs whole). One record in eight.
 */
const SPLIT_TAIL_CHARS = 1500;
/** The packed release's fields a search row reads are its first nine (see `unpackReleaseHead`). */
const HEAD_FIELDS = 9;

/**
 * Where a packed release's text is cut into head and tail (the comma before its tracklist), or 0 when
 * it is stored whole: short, or holding community counts (field 13, which the head must carry).
 */
export function headEndOf(p: Packed, json: string): number {
  if (p.length <= HEAD_FIELDS || p.length > COMMUNITY_FIELD) return 0;
  const end = JSON.stringify(p.slice(0, HEAD_FIELDS)).length - 1;
  return json.length - end > SPLIT_TAIL_CHARS ? end : 0;
}

/** A release as stored: its compressed record, or its head with the tail apart. */
export interface StoredRecord {
  body: Buffer;
  tail: Buffer | null;
}

/** What compresses a serialized record for storing (a Codec, or one of its sinks). */
export interface RecordEncoder {
  /** Compresses a packed record already serialized (JSON.stringify of a Packed). */
  encodeText(json: string): Uint8Array;
  /** A serialized release, cut at `headEnd` (headEndOf) into head and tail, or whole for 0. */
  encodeRecord(json: string, headEnd: number): { body: Uint8Array; tail: Uint8Array | null };
}

/**
 * Compresses records into a few large buffers rather than a Buffer each: every record is a view of
 * one of `buffers`, which a parsing thread hands over whole (transferred, not copied). The same
 * bytes as the codec's own encodeText and encodeRecord. A record in its own Buffer cost three
 * allocations and two copies (text to bytes, zstd's bound-sized output trimmed, then gathered into
 * one buffer to transfer): compressing the sample's records took 37 µs each that way against 29
 * here, and preparing a run 162–165 µs a record against 156–164 (one thread, separate processes
 * alternated).
 */
export interface RecordSink extends RecordEncoder {
  /** The buffers the records written so far are views of. */
  readonly buffers: ArrayBuffer[];
}

/** Compresses packed records with a preset dictionary, and back. */
export interface Codec extends RecordEncoder {
  /** The dictionary in use (stored in the index's meta). */
  readonly dictionary: Buffer;
  encode(p: Packed): Buffer;
  /** Compresses a packed record already serialized (JSON.stringify of a Packed). */
  encodeText(json: string): Buffer;
  /** A serialized release, cut at `headEnd` (headEndOf) into head and tail, or whole for 0. */
  encodeRecord(json: string, headEnd: number): StoredRecord;
  decode(blob: Buffer, tail?: Buffer | null): Packed;
  /** The head alone when the record was split (its first nine fields), else the whole record. */
  decodeHead(blob: Buffer, split: boolean): Packed;
  /**
   * A sink whose buffers hold about `bytes` each (a record larger than that gets one of its own).
   * Sinks share the codec's compression context, so a codec and its sinks stay on one thread.
   */
  sink(bytes: number): RecordSink;
}

/** A sink's least buffer size. */
const SINK_MIN_BYTES = 16 * 1024;

/** A serialized release compressed whole, or cut at `headEnd` into head and tail (see headEndOf). */
function splitRecord(json: string, headEnd: number, compress: (text: string) => Buffer): StoredRecord {
  if (headEnd <= 0) return { body: compress(json), tail: null };
  return { body: compress(json.slice(0, headEnd)), tail: compress(json.slice(headEnd)) };
}

/**
 * Every zstd frame opens with these four bytes; a stored record leaves them out (4 of its ~350) and
 * reading puts them back.
 */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/**
 * A codec over a dictionary (empty: none). Records are zstd frames without their magic number, their
 * dictionary id or a checksum (the dictionary is the index's own, and SQLite's pages carry the file's
 * integrity); each keeps its content size, which costs no byte (the frame then needs no window size)
 * and lets reading allocate exactly. A tail is a frame of its own over the same dictionary.
 */
export function createCodec(dictionary: Buffer): Codec {
  const decompressor = new Decompressor();
  if (dictionary.length > 0) decompressor.loadDictionary(dictionary);
  const inflate = (blob: Buffer): Buffer => {
    try {
      return decompressor.decompress(Buffer.concat([ZSTD_MAGIC, blob]));
    } catch (err) {
      throw new Error(
        `index: a stored record does not decompress (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  };
  const decompress = (blob: Buffer): string => inflate(blob).toString("utf8");
  /** The compression context, made when first compressing (a reader makes none). */
  let context: InstanceType<typeof zstd.CCtx> | null = null;
  /** A record's UTF-8 bytes before compressing; grown for a longer record. */
  let scratch = Buffer.alloc(0);
  /**
   * Compresses `text` into the buffer `room` gives for zstd's bound on it (and where in it to write);
   * gives back the stored bytes: the frame without its magic number, as a view of that buffer.
   */
  const frame = (text: string, room: (bound: number) => { out: Buffer; at: number }): Buffer => {
    if (context === null) {
      context = new zstd.CCtx();
      context.setParameter(zstd.CParameter.compressionLevel, LEVEL);
      context.setParameter(zstd.CParameter.dictIDFlag, 0);
      context.setParameter(zstd.CParameter.checksumFlag, 0);
      // Loaded once: zstd digests the dictionary into its tables once, not on every record as zlib does.
      if (dictionary.length > 0) context.loadDictionary(dictionary);
    }
    // Three bytes of UTF-8 at most for each UTF-16 unit: the whole text fits.
    if (scratch.length < text.length * 3)
      scratch = Buffer.allocUnsafeSlow(Math.max(64 * 1024, text.length * 3));
    const n = scratch.write(text, 0, "utf8");
    const { out, at } = room(zstd.compressBound(n));
    const length = context.compress2(out.subarray(at), scratch.subarray(0, n));
    return out.subarray(at + ZSTD_MAGIC.length, at + length);
  };
  /** A record in a buffer of its own (a correction, a test): zstd's bound, its slack kept. */
  const compress = (text: string): Buffer =>
    frame(text, (bound) => ({ out: Buffer.allocUnsafe(bound), at: 0 }));
  const sink = (bytes: number): RecordSink => {
    const size = Math.max(SINK_MIN_BYTES, Math.ceil(bytes));
    const buffers: ArrayBuffer[] = [];
    let out = Buffer.alloc(0);
    let at = 0;
    const room = (bound: number) => {
      if (at + bound > out.length) {
        out = Buffer.allocUnsafeSlow(Math.max(size, bound));
        buffers.push(out.buffer as ArrayBuffer);
        at = 0;
      }
      return { out, at };
    };
    const put = (text: string): Buffer => {
      const stored = frame(text, room);
      at = stored.byteOffset - out.byteOffset + stored.length;
      return stored;
    };
    return { buffers, encodeText: put, encodeRecord: (json, headEnd) => splitRecord(json, headEnd, put) };
  };
  return {
    dictionary,
    sink,
    encode: (p) => compress(JSON.stringify(p)),
    encodeText: compress,
    encodeRecord: (json, headEnd) => splitRecord(json, headEnd, compress),
    decode(blob, tail) {
      const head = decompress(blob);
      return JSON.parse(tail ? head + decompress(tail) : head) as Packed;
    },
    decodeHead(blob, split) {
      const bytes = inflate(blob);
      if (split) return JSON.parse(`${bytes.toString("utf8")}]`) as Packed;
      // A whole record: its head alone is decoded and parsed (a short tracklist is half the text).
      const end = headBytes(bytes);
      return JSON.parse(end > 0 ? `${bytes.toString("utf8", 0, end)}]` : bytes.toString("utf8")) as Packed;
    },
  };
}

/**
 * Where a serialized release's first HEAD_FIELDS fields end (the offset of the comma after them), or 0
 * when the head is the whole record: fewer fields, or community counts (COMMUNITY_FIELD), which the
 * head carries. Scans the UTF-8 bytes: JSON's structural characters are ASCII, and no byte of a
 * multi-byte character is.
 */
export function headBytes(bytes: Uint8Array): number {
  let depth = 0;
  let fields = 0;
  let end = 0;
  for (let i = 1; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x22) {
      // A string: skip to its closing quote, past escapes.
      for (i++; i < bytes.length && bytes[i] !== 0x22; i++) if (bytes[i] === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c && depth === 0) {
      fields++;
      if (fields === HEAD_FIELDS) end = i;
      if (fields === COMMUNITY_FIELD) return 0;
    }
  }
  return end;
}

/**
 * A preset dictionary from sample records: their packed text, the most recent last (a near match
 * costs fewer bits than a far one), so the words every record repeats (roles, formats, genres,
 * the tuple punctuation) cost a few bits from the first record on.
 */
export function trainDictionary(samples: Packed[]): Buffer {
  const text = Buffer.from(samples.map((s) => JSON.stringify(s)).join(""));
  return text.subarray(Math.max(0, text.length - DICTIONARY_BYTES));
}
