/**
 * Search semantics close to Discogs' database search, shared by the offline index and the test
 * simulator: case- and accent-insensitive tokens; each structured parameter must match all its words in
 * its own field; `q` matches across artist, title, tracks, label and catno; catno and barcode compare in
 * a compact form ("SK 032" = "SK032"). Pure functions over API-shaped release bodies.
 */

/** A JSON object in the API's shape. */
export type Json = Record<string, unknown>;

/** Anything but printable ASCII (in which nothing folds, and letters and digits are [a-z0-9] once lowered). */
const NON_ASCII = /[^\x20-\x7e]/;

/** Folds case and accents and splits into tokens of letters and digits, any script. */
export function tokens(text: string): string[] {
  // Most of a dump is ASCII: the same tokens without Unicode normalization (a quarter of a release's
  // word cost at build; the sample's words are identical either way).
  if (!NON_ASCII.test(text)) return asciiTokens(text);
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/['’]/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/**
 * tokens() of printable ASCII in one pass, as the general path splits it: "&" is the word "and", an
 * apostrophe joins what stands either side ("don't" -> "dont"), and anything else but [a-z0-9] once
 * lowered separates words. 40% faster than the general path's four regular-expression passes over the
 * same texts (the bundled sample's; the tests compare both on every ASCII text of its records).
 */
export function asciiTokens(text: string): string[] {
  const out: string[] = [];
  const s = text.toLowerCase();
  let word = "";
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      word += s.slice(start, i);
      start = -1;
    }
    if (c === 0x27) continue;
    if (word !== "") {
      out.push(word);
      word = "";
    }
    if (c === 0x26) out.push("and");
  }
  if (start >= 0) word += s.slice(start);
  if (word !== "") out.push(word);
  return out;
}

/** Compact form for catalogue numbers and barcodes: "SK 032" = "SK032". */
export const compact = (s: string): string => tokens(s).join("");

/** The searchable fields of a document, in the order the index stores them. */
export const FIELD_NAMES = [
  "artist",
  "anv",
  "release_title",
  "title",
  "track",
  "label",
  "catno",
  "genre",
  "style",
  "country",
  "year",
  "format",
  "barcode",
] as const;
/** One searchable field. */
export type FieldName = (typeof FIELD_NAMES)[number];

/**
 * The fields the offline index keeps words for: those the search ladder asks by, plus genre and style.
 * An ANV is indexed as the artist; `title` (Discogs' "Artist - Title") is searched as artist, release
 * title and `joins`, the words joining the release's artists ("&" is "and", "vs"), which `q` reads there
 * too; year, country and format are read from the release instead of from words.
 */
export const INDEXED_FIELDS = [
  "artist",
  "release_title",
  "track",
  "label",
  "catno",
  "genre",
  "style",
  "joins",
] as const;
/** One field the index keeps words for. */
export type IndexedField = (typeof INDEXED_FIELDS)[number];
/** The indexed fields `q` searches across (anv and title are inside artist, release_title and joins). */
export const INDEX_Q_FIELDS: readonly IndexedField[] = [
  "artist",
  "release_title",
  "track",
  "label",
  "catno",
  "joins",
];

/** The fields `q` searches across. */
export const Q_FIELDS: readonly FieldName[] = ["artist", "anv", "title", "track", "label", "catno"];

/** The structured parameters matched word by word against their own field. */
export const FIELD_PARAMS = [
  "title",
  "release_title",
  "artist",
  "anv",
  "label",
  "genre",
  "style",
  "country",
  "year",
  "format",
  "track",
] as const;

/** How much a token match in a field adds to relevance. */
const FIELD_WEIGHT: Record<string, number> = {
  artist: 3,
  release_title: 3,
  title: 3,
  track: 2,
  label: 1,
  anv: 2,
};

type Artist = { name?: string; anv?: string; join?: string };
type Track = { title?: string; sub_tracks?: Track[]; artists?: Artist[] };

function trackTitles(list: Track[] | undefined): string[] {
  return (list ?? []).flatMap((t) => [t.title ?? "", ...trackTitles(t.sub_tracks)]);
}
function trackArtists(list: Track[] | undefined): Artist[] {
  return (list ?? []).flatMap((t) => [...(t.artists ?? []), ...trackArtists(t.sub_tracks)]);
}

/** "Artist - Title" as the search row's title, joining credits with their join words. */
export function displayArtist(artists: Artist[] | undefined): string {
  const list = artists ?? [];
  if (list.length === 0) return "Various";
  return list
    .map(
      (a, i) =>
        `${a.anv || a.name || ""}${i < list.length - 1 ? (a.join && a.join !== "," ? ` ${a.join} ` : ", ") : ""}`,
    )
    .join("")
    .replace(/\s+/g, " ")
    .trim();
}

/** A document's searchable words per field, plus the compact identifiers. */
export interface DocFields {
  fields: Record<FieldName | "joins", Set<string>>;
  compactCatno: string[];
  compactBarcode: string[];
  /** Tokens of the release title, in order, for the exact-title bonus. */
  titleTokens: string;
}

/** The barcodes of a release body. */
export function barcodesOf(r: Json): string[] {
  const ids = (r.identifiers as { type?: string; value?: string }[] | undefined) ?? [];
  return ids.filter((i) => i.type === "Barcode").map((i) => i.value ?? "");
}

/** Extracts the searchable fields of an API-shaped release body. */
export function docFields(r: Json): DocFields {
  const artists = (r.artists as Artist[] | undefined) ?? [];
  const allArtists = [...artists, ...trackArtists(r.tracklist as Track[])];
  const labels = (r.labels as { name?: string; catno?: string }[] | undefined) ?? [];
  const formats = (r.formats as { name?: string; descriptions?: string[] }[] | undefined) ?? [];
  const barcodes = barcodesOf(r);
  // One pass over a field's texts joined by spaces gives the words each text gives.
  const f = (xs: string[]) => new Set(tokens(xs.join(" ")));
  const fields: DocFields["fields"] = {
    artist: f(allArtists.map((a) => (a.name ?? "").replace(/\s*\(\d+\)$/, ""))),
    anv: f(allArtists.map((a) => a.anv ?? "")),
    release_title: f([String(r.title ?? "")]),
    title: f([displayArtist(artists), String(r.title ?? "")]),
    track: f(trackTitles(r.tracklist as Track[])),
    label: f(labels.map((l) => l.name ?? "")),
    catno: f(labels.map((l) => l.catno ?? "")),
    genre: f((r.genres as string[]) ?? []),
    style: f((r.styles as string[]) ?? []),
    country: f([String(r.country ?? "")]),
    year: f([String(r.year ?? "")]),
    format: f(formats.flatMap((x) => [x.name ?? "", ...(x.descriptions ?? [])])),
    barcode: f(barcodes),
    joins: f(artists.map((a) => (a.join && a.join !== "," ? a.join : ""))),
  };
  // An ANV counts as the artist too, as on Discogs.
  for (const t of fields.anv) fields.artist.add(t);
  return {
    fields,
    compactCatno: labels.map((l) => compact(l.catno ?? "")).filter(Boolean),
    compactBarcode: barcodes.map(compact).filter(Boolean),
    titleTokens: tokens(String(r.title ?? "")).join(" "),
  };
}

/** The words the offline index keeps of a release (indexFields). */
export interface IndexFields {
  fields: Record<IndexedField, Set<string>>;
  compactCatno: string[];
  compactBarcode: string[];
  /** Tokens of the release title, in order, for the exact-title bonus. */
  titleTokens: string;
  /** The words of the release's own artists, names and ANVs (not its tracks' artists). */
  ownArtistWords: string[];
}

/**
 * docFields for the offline index: the INDEXED_FIELDS words (the same sets docFields gives), and only
 * those, each text tokenized once (the build's parsing threads spend a third of their time here).
 */
export function indexFields(r: Json): IndexFields {
  const artists = (r.artists as Artist[] | undefined) ?? [];
  const tracklist = r.tracklist as Track[] | undefined;
  const labels = (r.labels as { name?: string; catno?: string }[] | undefined) ?? [];
  const barcodes = barcodesOf(r);
  // An ANV counts as the artist too, as on Discogs.
  const artistText = (list: Artist[]) =>
    list.map((a) => `${(a.name ?? "").replace(/\s*\(\d+\)$/, "")} ${a.anv ?? ""}`).join(" ");
  const own = tokens(artistText(artists));
  const artist = new Set(own);
  for (const t of tokens(artistText(trackArtists(tracklist)))) artist.add(t);
  const title = tokens(String(r.title ?? ""));
  const f = (xs: string[]) => new Set(tokens(xs.join(" ")));
  return {
    fields: {
      artist,
      release_title: new Set(title),
      track: f(trackTitles(tracklist)),
      label: f(labels.map((l) => l.name ?? "")),
      catno: f(labels.map((l) => l.catno ?? "")),
      genre: f((r.genres as string[]) ?? []),
      style: f((r.styles as string[]) ?? []),
      joins: f(artists.map((a) => (a.join && a.join !== "," ? a.join : ""))),
    },
    compactCatno: labels.map((l) => compact(l.catno ?? "")).filter(Boolean),
    compactBarcode: barcodes.map(compact).filter(Boolean),
    titleTokens: title.join(" "),
    ownArtistWords: [...new Set(own)],
  };
}

/** Reads a search parameter by name (URLSearchParams or a plain object). */
export type ParamReader = (name: string) => string | null;

/** A plain SearchParams-like object as a ParamReader. */
export function paramReader(params: Record<string, unknown>): ParamReader {
  return (name) => {
    const v = params[name];
    return v === undefined || v === null || v === "" ? null : String(v);
  };
}

/** True when `q` or any field parameter asks for something (a search with no criteria matches nothing). */
export function hasCriteria(get: ParamReader): boolean {
  return ["q", "catno", "barcode", ...FIELD_PARAMS].some((n) => (get(n) ?? "").trim() !== "");
}

/**
 * Relevance of a document for the parameters, or null when it does not match. Every word of every
 * parameter must be found; more specific fields weigh more, and an exact release title gets a bonus.
 */
export function relevance(doc: DocFields, get: ParamReader): number | null {
  let score = 0;
  for (const name of FIELD_PARAMS) {
    const value = get(name);
    if (!value) continue;
    const wanted = tokens(value);
    if (wanted.length === 0) continue;
    const field = doc.fields[name];
    if (!wanted.every((t) => field.has(t))) return null;
    score += wanted.length * (FIELD_WEIGHT[name] ?? 0.5);
    if (name === "release_title" && doc.titleTokens === wanted.join(" ")) score += 4;
  }
  for (const [name, list] of [
    ["catno", doc.compactCatno],
    ["barcode", doc.compactBarcode],
  ] as const) {
    const value = get(name);
    if (!value) continue;
    const want = compact(value);
    if (!list.some((c) => c === want || c.includes(want))) return null;
    score += 5;
  }
  const q = get("q");
  if (q) {
    const wanted = tokens(q);
    if (!wanted.every((t) => Q_FIELDS.some((f) => doc.fields[f].has(t)))) return null;
    for (const t of wanted) {
      if (doc.fields.artist.has(t)) score += 2;
      if (doc.fields.release_title.has(t)) score += 2;
      if (doc.fields.track.has(t)) score += 1;
    }
  }
  return score;
}

/** Merges another document's words into `into` (a master matches on all its versions). */
export function mergeFields(into: DocFields, other: DocFields): void {
  for (const name of FIELD_NAMES) for (const t of other.fields[name]) into.fields[name].add(t);
  into.compactCatno.push(...other.compactCatno);
  into.compactBarcode.push(...other.compactBarcode);
}

/** The YouTube video id of a video URL, or null ("https://www.youtube.com/watch?v=MpmbntGDyNE"). */
export function youtubeId(uri: string): string | null {
  const m = /(?:[?&]v=|youtu\.be\/|\/embed\/|\/shorts\/)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])/.exec(uri);
  return m ? m[1]! : null;
}
