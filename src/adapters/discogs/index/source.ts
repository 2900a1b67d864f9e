/**
 * The release source over the offline index: track and album candidates by the same ladder as the API
 * (../ladder.ts) over a fielded search with Discogs' semantics (FTS5 matches every word in its field, but
 * for the index's common words when rarer ones narrow the search, and yields the best prior first; the
 * few facts that tell matches apart are ranked here), releases and
 * masters by id, master versions, and YouTube video ids. Records are unpacked (codec.ts) into the API's
 * shape and go through the API's converters, so both sources answer alike.
 */
import { existsSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import type { MasterVersion, SearchHit } from "../../../core/catalog.js";
import { InvalidInputError } from "../../../core/errors.js";
import type { PartialCatalogue, ReleaseSource, VideoLookup } from "../../../core/ports.js";
import { toMaster, toMasterVersions, toRelease } from "../convert.js";
import { DiscogsNotFoundError } from "../errors.js";
import { albumLadder, runLadder, type SearchParams, trackLadder } from "../ladder.js";
import { RawMaster, RawMasterVersions, RawRelease } from "../types.js";
import { createCodec, unpackMaster, unpackRelease, unpackReleaseHead } from "./codec.js";
import {
  compact,
  hasCriteria,
  INDEX_Q_FIELDS,
  type Json,
  type ParamReader,
  paramReader,
  tokens,
} from "./fields.js";
import { deriveMasterBody, searchHitOf, versionRowOf } from "./rows.js";
import {
  DOC_ID_SPAN,
  hash31,
  IDENT_KIND,
  INDEX_SCHEMA_VERSION,
  narrowingTerms,
  releaseOfDoc,
  videoKey,
  wordBit,
} from "./schema.js";
import { describeSubset, type IndexSubset } from "./subset.js";
import { TextRing } from "./text-ring.js";

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
  /** Words held by so many releases that a search does not require them (schema.ts `narrowingTerms`). */
  commonWords: number;
  bytes: number;
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
  findByVideoId(videoId: string): Promise<number[]>;
  dispose(): void;
}

/**
 * Candidates read from FTS5 before ranking. FTS5 yields them best prior first (see schema.ts `docId`), so
 * for a name shared by many thousands of releases these are its main releases and best-kept entries.
 */
const CANDIDATE_LIMIT = 1000;
/**
 * Candidates of a `q` search, read twice over for a common name: the best by prior wherever the words
 * are, and the best by prior among those that hold every word in the release's own artists and title
 * (`STRONG_COLUMNS`), which score highest. On the bench's common names (1,235 records each) the two
 * reads put first what one read of 1,000 put first in all 549 searches, at half the row lookups.
 */
const Q_LIMIT = 250;
/** Where a `q` word scores most (see `scorer`): the release's artists and its title. */
const STRONG_COLUMNS = ["artist", "release_title", "joins"] as const;
/**
 * Candidates read when the search has no words to tell them apart (field parameters alone, as
 * artist + track): the ranking is then the prior FTS5 already orders by, so the first few hundred hold
 * the best fifty, masters included, and a common name costs a quarter of the row lookups.
 */
const PRIOR_LIMIT = 250;
/**
 * Search rows kept (text-ring.ts): 16 MiB of their JSON outside V8's heap, 40,000 of them at most (a
 * row's JSON is 300–450 bytes; 339 on average over the 1 M bench's common names).
 */
const HIT_BYTES = 16 * 2 ** 20;
const HIT_ROWS = 40_000;
/**
 * Reads map the file instead of copying pages (SQLite caps this at 2 GiB), and keep 32 MiB of pages:
 * a common name's candidates are a thousand row lookups spread over the file, and the first search of
 * a connection would otherwise read each from disk through a 2 MiB cache.
 *
 * The connection keeps its shared lock (EXCLUSIVE locking mode; a read-only connection takes no more
 * than a shared lock, so other readers are not kept out). Otherwise every statement outside a
 * transaction takes the lock, checks the file's change counter and looks for a hot journal, and
 * drops its page cache if the file changed: 11–13 µs a statement, against 2 µs for a row looked up
 * by id, and a search's page runs 50 to 150 of them. Nothing writes an index in place (a build or
 * an update writes a new file and renames it), so the lock keeps nobody waiting.
 */
const READ_PRAGMAS = ["mmap_size = 2147418112", "cache_size = -32768", "locking_mode = EXCLUSIVE"];

/**
 * One candidate as SQL gives it: ids and the ranking facts, plus the words scoring reads when asked
 * (`undefined` when not). Read as an array (better-sqlite3's raw mode): a row object is built through
 * V8's slow path, one property at a time, and reading 250 candidates took 0.37 ms that way against
 * 0.23 as arrays (the 1 M bench's common names).
 */
type CandidateRow = [
  id: number,
  masterId: number | null,
  isMain: number,
  year: number,
  quality: number,
  titleKey?: number,
  artistBits?: number,
  titleBits?: number,
];
const [ID, MASTER_ID, IS_MAIN, YEAR, QUALITY, TITLE_KEY, ARTIST_BITS, TITLE_BITS] = [
  0, 1, 2, 3, 4, 5, 6, 7,
] as const;

/** The FTS5 column filter of each field parameter the index answers from words. */
const PARAM_COLUMNS: Record<string, string> = {
  artist: "artist",
  anv: "artist",
  release_title: "release_title",
  title: "{artist release_title joins}",
  track: "track",
  label: "label",
  genre: "genre",
  style: "style",
};

/** Field parameters the offline index does not search by: an error says so, rather than ignoring them. */
const UNSEARCHABLE = ["country", "format"] as const;

/**
 * The FTS5 expression for the field parameters and `q`; null when none was given. Every word counts,
 * but for the index's common words when rarer ones narrow the search (schema.ts `narrowingTerms`).
 */
function ftsExpression(
  get: ParamReader,
  common: ReadonlyMap<string, number>,
  qColumns: readonly string[] = INDEX_Q_FIELDS,
): string | null {
  const terms: { word: string; text: string }[] = [];
  for (const [name, column] of Object.entries(PARAM_COLUMNS))
    for (const word of tokens(get(name) ?? "")) terms.push({ word, text: `${column} : "${word}"` });
  for (const word of tokens(get("q") ?? ""))
    terms.push({ word, text: `{${qColumns.join(" ")}} : "${word}"` });
  const kept = narrowingTerms(terms, common);
  return kept.length > 0 ? kept.map((t) => t.text).join(" AND ") : null;
}

/**
 * What distinguishes one match from another of the same search: the exact release title (+4) and, for
 * `q`, where each word was found (the release's artists or title +2 each, elsewhere +1: a track, a
 * track's artist, a label, a catalogue number). Every candidate matched every word (FTS5 checked), so
 * the words' own weights are the same for all and left out. Artist and title words are read from the
 * rows' word masks (schema.ts `wordBits`).
 */
function scorer(get: ParamReader): ((row: CandidateRow) => number) | null {
  const title = get("release_title") ? hash31(tokens(get("release_title")!).join(" ")) : null;
  const q = tokens(get("q") ?? "").map(wordBit);
  if (title === null && q.length === 0) return null;
  return (row) => {
    let score = title !== null && row[TITLE_KEY] === title ? 4 : 0;
    // Index loops: where V8 left these unoptimized, for-of allocated an iterator result per step.
    for (let i = 0; i < q.length; i++) {
      const bit = q[i]!;
      const a = ((row[ARTIST_BITS] ?? 0) & bit) !== 0;
      const b = ((row[TITLE_BITS] ?? 0) & bit) !== 0;
      score += a || b ? (a ? 2 : 0) + (b ? 2 : 0) : 1;
    }
    return score;
  };
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
    for (const pragma of READ_PRAGMAS) db.pragma(pragma);
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
  const codec = createCodec(Buffer.from(meta.dictionary ?? "", "base64"));
  // An index built before the common words were counted has none: every word then counts.
  const common = new Map(Object.entries(JSON.parse(meta.common_words ?? "{}") as Record<string, number>));
  const statements = new Map<string, Database.Statement>();
  /** One prepared statement per shape of candidate query. */
  const candidateQuery = (limit: number, words: boolean, fts: boolean, docs: boolean, year: boolean) => {
    const key = `${limit}${words}${fts}${docs}${year}`;
    let st = statements.get(key);
    if (!st) {
      const cols = `r.id, r.master_id, r.is_main, r.year, r.quality${words ? ", r.title_key, r.artist_bits, r.title_bits" : ""}`;
      const where = [
        ...(fts ? ["docs MATCH @expr"] : []),
        ...(docs ? [`${fts ? "d.rowid" : "r.id"} IN (SELECT value FROM json_each(@docs))`] : []),
        ...(year ? ["r.year = @year"] : []),
      ].join(" AND ");
      st = db.prepare(
        fts
          ? `SELECT ${cols} FROM docs d JOIN releases r ON r.id = d.rowid % ${DOC_ID_SPAN} WHERE ${where} LIMIT ${limit}`
          : `SELECT ${cols} FROM releases r WHERE ${where} LIMIT ${limit}`,
      );
      st.raw(true);
      statements.set(key, st);
    }
    return st;
  };
  const identDocs = db.prepare(
    "SELECT doc FROM idents WHERE kind = ? AND value >= ? AND value < ? LIMIT 5000",
  );
  const releaseRow = db.prepare(
    "SELECT r.master_id, b.body, b.tail FROM bodies b JOIN releases r ON r.id = b.id WHERE b.id = ?",
  );
  // A search row's read leaves a long record's tail on its overflow pages: typeof() reads no content.
  const releaseHeadRow = db.prepare(
    "SELECT r.master_id, b.body, typeof(b.tail) = 'blob' AS split FROM bodies b JOIN releases r ON r.id = b.id WHERE b.id = ?",
  );
  const masterBody = db.prepare("SELECT body FROM masters WHERE id = ?");
  const versions = db.prepare(
    "SELECT r.id, b.body, b.tail FROM releases r JOIN bodies b ON b.id = r.id WHERE r.master_id = ? ORDER BY r.id",
  );
  const versionFacts = db.prepare("SELECT id, is_main, year FROM releases WHERE master_id = ? ORDER BY id");
  // Masters' videos (negative owners) first, then releases by id.
  const video = db.prepare("SELECT owner FROM videos WHERE video_id = ? ORDER BY owner < 0 DESC, owner");

  const release = (id: number): Json | null => {
    const row = releaseRow.get(id) as
      | { master_id: number | null; body: Buffer; tail: Buffer | null }
      | undefined;
    return row ? unpackRelease(id, row.master_id, codec.decode(row.body, row.tail)) : null;
  };
  /**
   * The heads decoded during one search: a master's row is its main release's head, which is often a row
   * of the same page, so the page decodes it once.
   */
  let heads: Map<number, Json | null> | null = null;
  /** What a search row reads of a release (no tracklist), kept for the rest of the search. */
  const releaseHead = (id: number): Json | null => {
    const kept = heads?.get(id);
    if (kept !== undefined) return kept;
    const row = releaseHeadRow.get(id) as
      | { master_id: number | null; body: Buffer; split: number }
      | undefined;
    const body = row
      ? unpackReleaseHead(id, row.master_id, codec.decodeHead(row.body, row.split === 1))
      : null;
    heads?.set(id, body);
    return body;
  };
  /**
   * The master's facts and its main release: the dump's <master> when it has one, else derived from its
   * versions (the main release, or the earliest; the newest; the earliest year), read in one pass.
   */
  const masterOf = (id: number, head = false): { body: Json; main: () => Json | null } | null => {
    const mainOf = head ? releaseHead : release;
    const row = masterBody.get(id) as { body: Buffer } | undefined;
    if (row) {
      const body = unpackMaster(id, codec.decode(row.body));
      return { body, main: () => mainOf(Number(body.main_release)) };
    }
    const rows = versionFacts.all(id) as { id: number; is_main: number; year: number }[];
    if (rows.length === 0) return null;
    const dated = (r: { year: number }) => (r.year > 0 ? r.year : 9999);
    let main: (typeof rows)[number] | undefined;
    let earliest = rows[0]!;
    let latest = rows[0]!;
    for (const r of rows) {
      if (r.is_main === 1 && !main) main = r;
      if (dated(r) < dated(earliest)) earliest = r;
      if (r.year >= latest.year) latest = r;
    }
    const mainBody = mainOf((main ?? earliest).id)!;
    // The earliest version's year is the master's; 0 when no version has one.
    const body = deriveMasterBody(id, mainBody, latest.id, Math.max(0, earliest.year));
    return { body, main: () => mainBody };
  };
  const master = (id: number): Json | null => masterOf(id)?.body ?? null;

  const candidates = (get: ParamReader, words: boolean): CandidateRow[] => {
    const expr = ftsExpression(get, common);
    let docs: number[] | null = null;
    for (const kind of ["catno", "barcode"] as const) {
      const want = compact(get(kind) ?? "");
      if (!want) continue;
      const found = (identDocs.all(IDENT_KIND[kind], want, `${want}\uffff`) as { doc: number }[]).map(
        (r) => r.doc,
      );
      docs = docs ? docs.filter((x) => found.includes(x)) : found;
    }
    if (docs && docs.length === 0) return [];
    const yearAsked = get("year");
    const year = yearAsked === null ? null : Number(yearAsked);
    if (year !== null && !Number.isInteger(year)) return [];
    const params: Record<string, unknown> = {};
    if (docs) params.docs = JSON.stringify(expr ? docs : docs.map(releaseOfDoc));
    if (year !== null) params.year = year;
    const q = get("q") !== null;
    const limit = q ? Q_LIMIT : words ? CANDIDATE_LIMIT : PRIOR_LIMIT;
    const read = (e: string | null) =>
      candidateQuery(limit, words, e !== null, docs !== null, year !== null).all(
        e === null ? params : { ...params, expr: e },
      ) as CandidateRow[];
    const rows = read(expr);
    // A q that gives no words adds nothing to the expression: a second read would repeat the first.
    if (!q || rows.length < limit || tokens(get("q")!).length === 0) return rows;
    // A common name: its strongest matches may lie past the first by prior; they are read apart.
    const seen = new Set(rows.map((r) => r[ID]));
    return [...rows, ...read(ftsExpression(get, common, STRONG_COLUMNS)).filter((r) => !seen.has(r[ID]))];
  };

  let searched = 0;
  const search = (params: SearchParams): SearchHit[] => {
    searched++;
    const get = paramReader(params as Record<string, unknown>);
    for (const name of UNSEARCHABLE)
      if (get(name))
        throw new InvalidInputError(`index: the offline index does not search by ${name}`, { field: name });
    if (!hasCriteria(get)) return [];
    const type = params.type;
    const score = scorer(get);
    // The ranking is kept in flat arrays (ids, and scores as unboxed doubles), not an object per
    // candidate: less for the young generation's collector, whose pauses, not the search itself,
    // made the slowest searches (a common name's search allocated 265 KiB that way, 229 now).
    // Releases by id, then masters by negated id, in the order first met.
    const keys: number[] = [];
    const scores: number[] = [];
    const masterIds: number[] = [];
    const masterScores: number[] = [];
    const masterAt = new Map<number, number>();
    const rows = candidates(get, score !== null);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const rel = score ? score(row) : 0;
      // No community counts offline: the master's main release, data quality and age stand in.
      const year = row[YEAR];
      const bonus = row[IS_MAIN] * 0.5 + row[QUALITY] * 0.1 + (year > 0 ? (2100 - year) / 1000 : 0);
      if (type !== "master") {
        keys.push(row[ID]);
        scores.push(rel + bonus);
      }
      // A master ranks by its best version: its words first, then (a hundredth) that version's prior.
      const masterId = row[MASTER_ID];
      if (masterId && type !== "release") {
        const s = rel + 1.35 + bonus / 100;
        const at = masterAt.get(masterId);
        if (at === undefined) {
          masterAt.set(masterId, masterIds.length);
          masterIds.push(masterId);
          masterScores.push(s);
        } else if (s > masterScores[at]!) masterScores[at] = s;
      }
    }
    for (let i = 0; i < masterIds.length; i++) {
      keys.push(-masterIds[i]!);
      scores.push(masterScores[i]!);
    }
    const order = keys.map((_, i) => i);
    // Best score first, then the lower id; else the order met (releases before masters).
    order.sort((a, b) => scores[b]! - scores[a]! || Math.abs(keys[a]!) - Math.abs(keys[b]!) || a - b);
    const perPage = Math.min(100, Math.max(1, Number(params.per_page) || 50));
    const page = Math.max(1, Number(params.page) || 1);
    heads = new Map();
    try {
      return order
        .slice((page - 1) * perPage, page * perPage)
        .map((i) => (keys[i]! > 0 ? hitOf("release", keys[i]!) : hitOf("master", -keys[i]!)))
        .filter((h): h is SearchHit => h !== null);
    } finally {
      heads = null;
    }
  };

  /**
   * Search rows by kind and id, kept: the index never changes while open, and a common name brings the
   * same releases and masters up search after search (a master's row is derived from its main release,
   * a release's decoded from its stored record). A row is kept as its JSON, in a ring of bytes outside
   * V8's heap under a number (text-ring.ts), so that keeping it leaves nothing for a young-generation
   * collection to move; every caller parses its own copy.
   */
  const hits = new TextRing(HIT_BYTES, HIT_ROWS);
  const hitOf = (kind: "release" | "master", id: number): SearchHit | null => {
    // Masters by their negated id.
    const key = kind === "release" ? id : -id;
    const kept = hits.get(key);
    if (kept !== undefined) return JSON.parse(kept) as SearchHit | null;
    const hit = kind === "release" ? releaseHit(id) : masterHit(id);
    hits.set(key, JSON.stringify(hit));
    return hit;
  };
  // A search row reads no tracklist: the heads of the records do.
  const releaseHit = (id: number): SearchHit | null => {
    const body = releaseHead(id);
    return body ? searchHitOf("release", id, body) : null;
  };
  const masterHit = (id: number): SearchHit | null => {
    const m = masterOf(id, true);
    const main = m?.main() ?? null;
    return m && main
      ? searchHitOf("master", id, main, {
          title: String(m.body.title ?? main.title ?? ""),
          year: Number(m.body.year) || 0,
          have: 0,
        })
      : null;
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
      const rows = (versions.all(id) as { id: number; body: Buffer; tail: Buffer | null }[]).map((r) =>
        versionRowOf(r.id, unpackRelease(r.id, id, codec.decode(r.body, r.tail))),
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
        commonWords: common.size,
        bytes: statSync(path).size,
      };
    },
    async findByVideoId(videoId) {
      const out: number[] = [];
      for (const { owner } of video.all(videoKey(videoId)) as { owner: number }[]) {
        const id = owner > 0 ? owner : Number(master(-owner)?.main_release) || null;
        if (id && !out.includes(id)) out.push(id);
      }
      return out;
    },
    dispose: () => db.close(),
  };
}
