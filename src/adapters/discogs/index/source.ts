/**
 * The release source over the offline index: track and album candidates by the same ladder as the API
 * (../ladder.ts) over a fielded search with Discogs' semantics (FTS5 finds the candidates, `relevance`
 * confirms and ranks them), releases and masters by id, master versions, and YouTube video ids. Bodies
 * are stored in the API's shape and go through the API's converters.
 */
import { existsSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import type { MasterVersion, SearchHit } from "../../../core/catalog.js";
import { InvalidInputError } from "../../../core/errors.js";
import type { PartialCatalogue, ReleaseSource, VideoLookup } from "../../../core/ports.js";
import { toMaster, toMasterVersions, toRelease, toSearchHit } from "../convert.js";
import { DiscogsNotFoundError } from "../errors.js";
import { albumLadder, runLadder, type SearchParams, trackLadder } from "../ladder.js";
import { RawMaster, RawMasterVersions, RawRelease, RawSearchResult } from "../types.js";
import {
  type DocFields,
  FIELD_NAMES,
  FIELD_PARAMS,
  type FieldName,
  hasCriteria,
  type Json,
  type ParamReader,
  paramReader,
  Q_FIELDS,
  relevance,
  tokens,
} from "./fields.js";
import { deriveMasterBody, searchRowOf, versionRowOf } from "./rows.js";
import { INDEX_SCHEMA_VERSION, unpackBody } from "./schema.js";
import { describeSubset, type IndexSubset } from "./subset.js";

/** What `discmeta index info` prints. */
export interface IndexInfo {
  path: string;
  dumpDate: string | null;
  /** Where the date came from: given at build, the dump's file name, or its newest record (a lower bound). */
  dumpDateSource: "given" | "file name" | "records" | null;
  schemaVersion: number;
  /** What a subset index keeps, in words; null for a whole dump. */
  subset: string | null;
  /** Release records the build read (more than `releases` for a subset). */
  recordsRead: number | null;
  builtAt: string | null;
  /** Days between the dump's date and `now`. */
  ageDays: number | null;
  releases: number;
  masters: number;
  tracks: number;
  videos: number;
  bytes: number;
}

/** A release a YouTube video is attached to. */
export interface VideoLink {
  releaseId: number;
  /** The video's title on Discogs. */
  title: string;
}

/** The index as a release source with video lookup, plus what only an index can do. */
export interface IndexSource extends ReleaseSource, VideoLookup, PartialCatalogue {
  readonly kind: "index";
  /** One fielded search with Discogs' semantics (the ladder's rung; benches and tests call it too). */
  search(params: SearchParams): Promise<SearchHit[]>;
  /** Searches answered since the index was opened. */
  searches(): number;
  /** A master's versions, sorted by release date (default) or another field. */
  getMasterVersions(
    id: number,
    options?: {
      page?: number;
      perPage?: number;
      sort?: "released" | "title" | "format" | "label" | "catno" | "country";
    },
  ): Promise<MasterVersion[]>;
  info(now?: number): IndexInfo;
  /** Releases a YouTube video id is attached to (through the release, or its master's main release). */
  videoLinks(videoId: string): VideoLink[];
  findByVideoId(videoId: string): Promise<number[]>;
  dispose(): void;
}

/** Candidates read from FTS5 before ranking; generous, since ranking is cheap. */
const CANDIDATE_LIMIT = 1000;
/** Master search rows kept in memory (least recently used out): about 1 KB each. */
const MASTER_HIT_CACHE = 20_000;

type CandidateRow = Partial<Record<FieldName, string>> & {
  id: number;
  master_id: number | null;
  is_main: number;
  year: number;
  quality: number;
};

const EMPTY = new Set<string>();

/** A search's catalogue number and barcode, compacted ("SK 032" -> "sk032"); "" when not asked. */
type Idents = { catno: string; barcode: string };

/** The fields a search reads: those it names, and the ones `q` spans and scores. */
function neededFields(get: ParamReader): Set<FieldName> {
  const out = new Set<FieldName>(FIELD_PARAMS.filter((n) => get(n)));
  if (get("q")) for (const f of [...Q_FIELDS, "release_title" as const]) out.add(f);
  // The exact-title bonus reads the release title.
  if (get("release_title")) out.add("release_title");
  return out;
}

/** A candidate's words; catno and barcode were matched in SQL, so they count as found. */
function fieldsOf(row: CandidateRow, idents: Idents): DocFields {
  const fields = {} as DocFields["fields"];
  // A row holds only the columns the search reads (see neededFields), so only those are split.
  for (const name of FIELD_NAMES) fields[name] = row[name] ? new Set(String(row[name]).split(" ")) : EMPTY;
  return {
    fields,
    compactCatno: [idents.catno],
    compactBarcode: [idents.barcode],
    titleTokens: row.release_title === undefined ? "" : String(row.release_title),
  };
}

/**
 * Words so common that their postings cost more to read than they narrow: left out of the FTS5 query
 * when rarer words remain (every word is still checked on the candidates, so results do not change).
 */
const COMMON_WORDS = new Set([
  "the",
  "a",
  "an",
  "and",
  "of",
  "in",
  "on",
  "to",
  "for",
  "is",
  "de",
  "la",
  "le",
  "el",
  "les",
  "der",
  "die",
  "das",
  "und",
  "mix",
  "remix",
  "original",
  "version",
  "feat",
  "ft",
  "vs",
  "dj",
  "i",
  "you",
  "me",
  "my",
  "it",
  "love",
]);

/** The FTS5 expression for the field parameters and `q`; null when only identifiers were given. */
function ftsExpression(get: ParamReader): string | null {
  const terms: { column: string; token: string }[] = [];
  for (const name of FIELD_PARAMS)
    for (const t of tokens(get(name) ?? "")) terms.push({ column: name, token: t });
  for (const t of tokens(get("q") ?? "")) terms.push({ column: `{${Q_FIELDS.join(" ")}}`, token: t });
  const rare = terms.filter((t) => !COMMON_WORDS.has(t.token));
  const used = rare.length > 0 ? rare : terms;
  return used.length > 0 ? used.map((t) => `${t.column} : "${t.token}"`).join(" AND ") : null;
}

/** Opens an index read-only. Throws InvalidInputError for a missing, unfinished or foreign file. */
export function openIndexSource(path: string): IndexSource {
  if (!existsSync(path))
    throw new InvalidInputError(
      `index: no index at "${path}"; build one with: discmeta index build --releases <dump>`,
      { field: "DISCOGS_INDEX_PATH" },
    );
  let db: Database.Database;
  let meta: Record<string, string>;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
    meta = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } catch (err) {
    throw new InvalidInputError(`index: "${path}" is not a discmeta index`, {
      cause: err,
      field: "DISCOGS_INDEX_PATH",
    });
  }
  if (meta.schema_version !== String(INDEX_SCHEMA_VERSION) || meta.complete !== "1") {
    db.close();
    throw new InvalidInputError(
      `index: "${path}" is unfinished or of another version; rebuild it with discmeta index build --rebuild`,
      { field: "DISCOGS_INDEX_PATH" },
    );
  }
  return createIndexSource(db, path, meta);
}

function createIndexSource(db: Database.Database, path: string, meta: Record<string, string>): IndexSource {
  // Candidate queries read only the columns a search scores on (reading FTS5 content is the cost):
  // one prepared statement per set of columns and shape.
  const statements = new Map<string, Database.Statement>();
  const candidateQuery = (needed: Set<FieldName>, shape: "fts" | "fts-ranked" | "ids" | "fts+ids") => {
    const key = `${shape}:${[...needed].sort().join(",")}`;
    let st = statements.get(key);
    if (!st) {
      const cols = [...needed].map((n) => `, d.${n}`).join("");
      const select = `SELECT d.rowid AS id${cols}, r.master_id, r.is_main, r.year, r.quality FROM docs d JOIN releases r ON r.id = d.rowid`;
      const where =
        shape === "fts"
          ? `WHERE docs MATCH ? LIMIT ${CANDIDATE_LIMIT}`
          : shape === "fts-ranked"
            ? `WHERE docs MATCH ? ORDER BY d.rank LIMIT ${CANDIDATE_LIMIT}`
            : shape === "ids"
              ? "WHERE d.rowid IN (SELECT value FROM json_each(?))"
              : `WHERE docs MATCH ? AND d.rowid IN (SELECT value FROM json_each(?)) LIMIT ${CANDIDATE_LIMIT}`;
      st = db.prepare(`${select} ${where}`);
      statements.set(key, st);
    }
    return st;
  };
  const identIds = db.prepare(
    "SELECT DISTINCT release_id AS id FROM idents WHERE kind = ? AND value >= ? AND value < ? LIMIT 5000",
  );
  const releaseBody = db.prepare("SELECT body FROM releases WHERE id = ?");
  const releaseHit = db.prepare("SELECT hit FROM releases WHERE id = ?");
  const masterBody = db.prepare("SELECT body FROM masters WHERE id = ?");
  const versions = db.prepare("SELECT id, is_main, year, body FROM releases WHERE master_id = ? ORDER BY id");
  const versionStats = db.prepare(
    "SELECT MIN(NULLIF(year, 0)) AS year, (SELECT id FROM releases WHERE master_id = @id AND is_main = 1 LIMIT 1) AS main, " +
      "(SELECT id FROM releases WHERE master_id = @id ORDER BY CASE WHEN year > 0 THEN year ELSE 9999 END, id LIMIT 1) AS earliest " +
      "FROM releases WHERE master_id = @id",
  );
  const video = db.prepare(
    "SELECT v.release_id, v.master_id, v.title FROM videos v WHERE v.video_id = ? ORDER BY v.release_id",
  );

  const release = (id: number): Json | null => {
    const row = releaseBody.get(id) as { body: Buffer } | undefined;
    return row ? unpackBody(row.body) : null;
  };
  /** The master's facts: the dump's <master> when it has one, else derived from its versions. */
  const master = (id: number): Json | null => {
    const row = masterBody.get(id) as { body: Buffer } | undefined;
    if (row) return unpackBody(row.body);
    const stats = versionStats.get({ id }) as {
      year: number | null;
      main: number | null;
      earliest: number | null;
    };
    const mainId = stats.main ?? stats.earliest;
    if (!mainId) return null;
    const main = release(mainId)!;
    const latest = (versions.all(id) as { id: number; year: number }[]).reduce(
      (a, b) => (b.year >= a.year ? b : a),
      { id: mainId, year: 0 },
    );
    return deriveMasterBody(id, main, latest.id, stats.year ?? 0);
  };

  const candidates = (get: ParamReader, needed: Set<FieldName>, idents: Idents): CandidateRow[] => {
    const expr = ftsExpression(get);
    let ids: number[] | null = null;
    for (const kind of ["catno", "barcode"] as const) {
      const want = idents[kind];
      if (!want) continue;
      const found = (identIds.all(kind, want, `${want}\uffff`) as { id: number }[]).map((r) => r.id);
      ids = ids ? ids.filter((x) => found.includes(x)) : found;
    }
    if (ids && ids.length === 0) return [];
    if (expr && ids)
      return candidateQuery(needed, "fts+ids").all(expr, JSON.stringify(ids)) as CandidateRow[];
    if (expr) {
      // Unranked first: bm25 reads every matching posting of common words ("the"), which costs far
      // more than our own ranking. Only a search with more candidates than we read is ranked by FTS5.
      const rows = candidateQuery(needed, "fts").all(expr) as CandidateRow[];
      return rows.length < CANDIDATE_LIMIT
        ? rows
        : (candidateQuery(needed, "fts-ranked").all(expr) as CandidateRow[]);
    }
    return candidateQuery(needed, "ids").all(JSON.stringify(ids ?? [])) as CandidateRow[];
  };

  let searched = 0;
  const search = (params: SearchParams): SearchHit[] => {
    searched++;
    const get = paramReader(params as Record<string, unknown>);
    if (!hasCriteria(get)) return [];
    const type = params.type;
    const ranked: { kind: "release" | "master"; id: number; score: number }[] = [];
    const masters = new Map<number, number>();
    const idents: Idents = {
      catno: tokens(get("catno") ?? "").join(""),
      barcode: tokens(get("barcode") ?? "").join(""),
    };
    for (const row of candidates(get, neededFields(get), idents)) {
      const rel = relevance(fieldsOf(row, idents), get);
      if (rel === null) continue;
      // No community counts offline: the master's main release, data quality and age stand in.
      const bonus = row.is_main * 0.5 + row.quality * 0.1 + (row.year > 0 ? (2100 - row.year) / 1000 : 0);
      if (type !== "master") ranked.push({ kind: "release", id: row.id, score: rel + bonus });
      if (row.master_id && type !== "release")
        masters.set(row.master_id, Math.max(masters.get(row.master_id) ?? 0, rel + 1.35));
    }
    for (const [id, score] of masters) ranked.push({ kind: "master", id, score });
    ranked.sort((a, b) => b.score - a.score || a.id - b.id);
    const perPage = Math.min(100, Math.max(1, Number(params.per_page) || 50));
    const page = Math.max(1, Number(params.page) || 1);
    return ranked
      .slice((page - 1) * perPage, page * perPage)
      .map((h) => hitOf(h.kind, h.id))
      .filter((h): h is SearchHit => h !== null);
  };

  const masterHits = new Map<number, string | null>();
  const hitOf = (kind: "release" | "master", id: number): SearchHit | null => {
    if (kind === "release") {
      const row = releaseHit.get(id) as { hit: string } | undefined;
      return row ? (JSON.parse(row.hit) as SearchHit) : null;
    }
    // A master's row is derived from its versions' bodies (about a millisecond): kept, since the index
    // never changes while open and a common name brings the same masters up search after search.
    // Kept as JSON, so that every caller gets its own copy.
    if (masterHits.has(id)) {
      const kept = masterHits.get(id)!;
      masterHits.delete(id);
      masterHits.set(id, kept);
      return kept === null ? null : (JSON.parse(kept) as SearchHit);
    }
    const m = master(id);
    const main = m ? release(Number(m.main_release)) : null;
    const hit =
      m && main
        ? toSearchHit(
            RawSearchResult.parse(
              searchRowOf("master", id, main, {
                title: String(m.title ?? main.title ?? ""),
                year: Number(m.year) || 0,
                have: 0,
              }),
            ),
          )
        : null;
    masterHits.set(id, hit === null ? null : JSON.stringify(hit));
    if (masterHits.size > MASTER_HIT_CACHE) masterHits.delete(masterHits.keys().next().value!);
    return hit;
  };

  const notFound = (what: string, id: number) => new DiscogsNotFoundError(`index: ${what} ${id} not found`);

  const subset = meta.subset ? describeSubset(JSON.parse(meta.subset) as IndexSubset) : null;
  return {
    kind: "index",
    subset,
    search: async (params) => search(params),
    searches: () => searched,
    findTrackCandidates: (query) => runLadder(trackLadder(query), async (p) => search(p)),
    findAlbumCandidates: (query) => runLadder(albumLadder(query), async (p) => search(p)),
    async getRelease(id) {
      const body = release(id);
      if (!body) throw notFound("release", id);
      return toRelease(RawRelease.parse(body));
    },
    async getMaster(id) {
      const body = master(id);
      if (!body) throw notFound("master", id);
      return toMaster(RawMaster.parse(body));
    },
    async getMasterVersions(id, opts = {}) {
      const rows = (versions.all(id) as { id: number; body: Buffer }[]).map((r) =>
        versionRowOf(r.id, unpackBody(r.body)),
      );
      if (rows.length === 0 && !masterBody.get(id)) throw notFound("master", id);
      const sort = opts.sort ?? "released";
      const key = (row: (typeof rows)[number]) =>
        String(sort === "released" ? row.released || "9999" : (row[sort] ?? ""));
      rows.sort((a, b) => key(a).localeCompare(key(b)) || a.id - b.id);
      const perPage = opts.perPage ?? 100;
      const page = opts.page ?? 1;
      const slice = rows.slice((page - 1) * perPage, page * perPage);
      const pagination = { page, pages: Math.max(1, Math.ceil(rows.length / perPage)), per_page: perPage };
      return toMasterVersions(
        RawMasterVersions.parse({ pagination: { ...pagination, items: rows.length }, versions: slice }),
      );
    },
    info(now = Date.now()) {
      const dumpDate = meta.dump_date ?? null;
      const ageDays = dumpDate ? Math.floor((now - Date.parse(`${dumpDate}T00:00:00Z`)) / 86_400_000) : null;
      return {
        path,
        dumpDate,
        dumpDateSource: (meta.dump_date_source as IndexInfo["dumpDateSource"]) ?? null,
        schemaVersion: Number(meta.schema_version ?? INDEX_SCHEMA_VERSION),
        subset,
        recordsRead: meta.records_read ? Number(meta.records_read) : null,
        builtAt: meta.built_at ?? null,
        ageDays,
        releases: Number(meta.releases ?? 0),
        masters: Number(meta.masters ?? 0),
        tracks: Number(meta.tracks ?? 0),
        videos: Number(meta.release_videos ?? 0),
        bytes: statSync(path).size,
      };
    },
    findByVideoId: async (videoId) => videoLinks(videoId).map((l) => l.releaseId),
    videoLinks: (videoId) => videoLinks(videoId),
    dispose: () => db.close(),
  };

  function videoLinks(videoId: string): VideoLink[] {
    const rows = video.all(videoId) as {
      release_id: number | null;
      master_id: number | null;
      title: string;
    }[];
    const out: VideoLink[] = [];
    for (const r of rows) {
      const releaseId =
        r.release_id ?? (r.master_id ? Number(master(r.master_id)?.main_release) || null : null);
      if (releaseId && !out.some((o) => o.releaseId === releaseId)) out.push({ releaseId, title: r.title });
    }
    return out;
  }
}
