/**
 * The offline index's SQLite schema. A release is stored once, as what the converters read, packed and
 * compressed with the index's own dictionary (codec.ts); its search words go to a contentless FTS5 table
 * that keeps no copy of the text and no word positions; what scoring reads back (which words the
 * release's artists and title hold, and its exact title) is kept beside the release as three integers.
 */
import { INDEXED_FIELDS } from "./fields.js";

/** Bumped whenever the layout changes; an index of another version is rebuilt, never misread. */
export const INDEX_SCHEMA_VERSION = 6;

/**
 * Tables created before import; secondary indexes come after (faster bulk insert).
 *
 * A release's facts (what ranking reads for every candidate) and its record (what a row or an answer reads
 * for the few kept) are two tables: a common name's thousand candidates then read a 35-byte row each
 * from a table a tenth the size, which stays in the page cache, instead of a page of records each.
 *
 * A release's FTS5 rowid is its id plus a prior rank in the high bits (main release first, better data
 * quality next; see `docId`): FTS5 returns rows in rowid order, so the first rows of a common name are
 * already its best candidates, and a search reads a bounded number of them, never the whole name.
 * idents and videos are WITHOUT ROWID tables whose key is the lookup, so they hold no second index.
 */
export const CREATE_TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
  id INTEGER PRIMARY KEY,
  master_id INTEGER,
  is_main INTEGER NOT NULL DEFAULT 0,
  year INTEGER NOT NULL DEFAULT 0,
  quality INTEGER NOT NULL DEFAULT 1,
  title_key INTEGER NOT NULL DEFAULT 0,
  artist_bits INTEGER NOT NULL DEFAULT 0,
  title_bits INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL, tail BLOB);
CREATE TABLE IF NOT EXISTS masters (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS idents (
  kind INTEGER NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (kind, value, doc)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS videos (video_id BLOB NOT NULL, owner INTEGER NOT NULL, PRIMARY KEY (video_id, owner)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(${INDEXED_FIELDS.join(", ")}, tokenize = 'unicode61 remove_diacritics 0', content = '', detail = column, columnsize = 0);
`;

/**
 * Secondary indexes, made once the rows are in. A master's versions are found, and their facts read
 * (which is main, which is earliest), from the index alone; releases without a master are not in it.
 */
export const CREATE_INDEXES = `
CREATE INDEX IF NOT EXISTS releases_master ON releases (master_id, is_main, year) WHERE master_id IS NOT NULL;
`;

/** A 31-bit FNV-1a hash of a string: small enough to be a 4-byte SQLite integer. */
export function hash31(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

/**
 * A set of words as a 31-bit mask, one bit a word (a one-hash Bloom filter): "holds this word?" is
 * answered exactly for "no", and "yes" is wrong about one time in 31 per other word. Scoring reads it
 * only to tell apart candidates that matched every word already.
 */
export function wordBits(words: readonly string[]): number {
  let bits = 0;
  for (const w of words) bits |= wordBit(w);
  return bits;
}

/** The bit of one word in `wordBits`. */
export const wordBit = (word: string): number => 2 ** (hash31(word) % 31);

/**
 * A YouTube video id as the videos table keys it: the 8 bytes its 11 base64url characters encode
 * (YouTube's ids use the last character's top four bits only), or the text itself for an id that does
 * not round-trip so. 15 bytes a row instead of 19.
 */
export function videoKey(id: string): Buffer | string {
  if (id.length !== 11) return id;
  const bytes = Buffer.from(id, "base64url");
  return bytes.length === 8 && bytes.toString("base64url") === id ? bytes : id;
}

/** idents.kind */
export const IDENT_KIND = { catno: 0, barcode: 1 } as const;

/** Release ids stay below this (Discogs' are near 2^25); the FTS5 rowid keeps the prior rank above it. */
export const DOC_ID_SPAN = 2 ** 40;

/**
 * A release's FTS5 rowid: a prior rank (0 best: the master's main release, then data quality) times
 * DOC_ID_SPAN, plus the id.
 */
export function docId(id: number, isMain: boolean, quality: number): number {
  const q = Math.min(3, Math.max(-1, quality));
  return ((isMain ? 0 : 5) + (3 - q)) * DOC_ID_SPAN + id;
}

/** The release id of an FTS5 rowid. */
export const releaseOfDoc = (doc: number): number => doc % DOC_ID_SPAN;

/** Discogs' data-quality grades, as a rank: a better-kept entry wins a tie. */
export const QUALITY_RANK: Record<string, number> = {
  "Complete and Correct": 3,
  Correct: 2,
  "Needs Vote": 1,
  "Needs Minor Changes": 1,
  "Needs Major Changes": 0,
  "Entirely Incorrect": -1,
};

/** The dump's date from its file name (discogs_20200806_releases.xml.gz -> 2020-08-06), or null. */
export function dumpDateOf(path: string): string | null {
  const m = /discogs_(\d{4})(\d{2})(\d{2})_/.exec(path);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/**
 * A word held by this share of the releases or more is common (and by at least COMMON_WORD_FLOOR, so
 * that a small index has none): "the", "and", "mix", "Various". Such a word narrows a search little
 * and costs it most, since FTS5 walks its whole doclist wherever the rarer words' matches are spread
 * thinly (10 ms of a search for "The Beatles Show And Tell (Short Radio Mix)" at a million releases,
 * against 0.8 without "the", "and" and "mix"). At a million releases, searched in turn in one
 * process: 1% (463 words) took the common names' p99 from 10.0 to 7.0 ms but a rare name's from 0.5
 * to 2.2 (fewer words required, fuller pages); 2% (211 words) gave 7.7 and 0.5; 5% (66 words) 7.6
 * and 0.5.
 */
export const COMMON_WORD_SHARE = 0.02;
export const COMMON_WORD_FLOOR = 5000;

/** How many releases make a word common in an index of this many. */
export const commonWordLeast = (releases: number): number =>
  Math.max(COMMON_WORD_FLOOR, Math.ceil(releases * COMMON_WORD_SHARE));

/** Words a search keeps in its FTS5 expression, at least (the rarest of the common ones, when needed). */
export const NARROWING_WORDS = 2;

/**
 * The terms FTS5 is asked for: every term whose word is not common, and, when that leaves fewer than
 * NARROWING_WORDS, the rarest common ones up to that. The terms left out still count in the ranking
 * (a `q` word in the release's artists or title scores by the word masks); what a search loses is
 * only the requirement that a candidate hold a word one release in fifty holds.
 */
export function narrowingTerms<T extends { word: string }>(
  terms: readonly T[],
  common: ReadonlyMap<string, number>,
): T[] {
  const rare = terms.filter((t) => !common.has(t.word));
  if (rare.length >= NARROWING_WORDS || rare.length === terms.length) return rare;
  const rarestCommon = terms
    .filter((t) => common.has(t.word))
    .sort((a, b) => common.get(a.word)! - common.get(b.word)!)
    .slice(0, NARROWING_WORDS - rare.length);
  return terms.filter((t) => rare.includes(t) || rarestCommon.includes(t));
}
