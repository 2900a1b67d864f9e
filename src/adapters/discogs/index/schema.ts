/**
 * The offline index's SQLite schema. Release and master bodies are kept in the API's JSON shape,
 * deflated, so the index answers with the same converters as the API; the searchable words go to FTS5.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { FIELD_NAMES } from "./fields.js";

/** Bumped whenever the layout changes; an index of another version is rebuilt, never misread. */
export const INDEX_SCHEMA_VERSION = 2;

/** Tables created before import; secondary indexes come after (faster bulk insert). */
export const CREATE_TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
  id INTEGER PRIMARY KEY,
  master_id INTEGER,
  is_main INTEGER NOT NULL DEFAULT 0,
  year INTEGER NOT NULL DEFAULT 0,
  quality INTEGER NOT NULL DEFAULT 0,
  body BLOB NOT NULL,
  hit TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS masters (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS idents (kind TEXT NOT NULL, value TEXT NOT NULL, release_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS videos (video_id TEXT NOT NULL, release_id INTEGER, master_id INTEGER, title TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(${FIELD_NAMES.join(", ")}, tokenize = 'unicode61 remove_diacritics 0');
`;

/** Secondary indexes, made once the rows are in. */
export const CREATE_INDEXES = `
CREATE INDEX IF NOT EXISTS releases_master ON releases (master_id);
CREATE INDEX IF NOT EXISTS idents_value ON idents (value);
CREATE INDEX IF NOT EXISTS videos_id ON videos (video_id);
`;

/** Discogs' data-quality grades, as a rank: a better-kept entry wins a tie. */
export const QUALITY_RANK: Record<string, number> = {
  "Complete and Correct": 3,
  Correct: 2,
  "Needs Vote": 1,
  "Needs Minor Changes": 1,
  "Needs Major Changes": 0,
  "Entirely Incorrect": -1,
};

/** A JSON body as stored. */
export function packBody(body: unknown): Buffer {
  return deflateRawSync(Buffer.from(JSON.stringify(body)), { level: 6 });
}

/** A stored body back to JSON. */
export function unpackBody(blob: Buffer): Record<string, unknown> {
  return JSON.parse(inflateRawSync(blob).toString("utf8")) as Record<string, unknown>;
}

/** The dump's date from its file name (discogs_20200806_releases.xml.gz -> 2020-08-06), or null. */
export function dumpDateOf(path: string): string | null {
  const m = /discogs_(\d{4})(\d{2})(\d{2})_/.exec(path);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}
