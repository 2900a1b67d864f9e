/**
 * How a track or an album is searched on Discogs: the query ladder, from exact identifiers down to
 * spelling variants, as Discogs database-search parameters. This is the Discogs adapters' business (the
 * API's search and the offline index's emulation of it); the core asks for candidates in its own words
 * (TrackSearch, AlbumSearch) and pulls batches until it has enough.
 */
import type { SearchHit } from "../../core/catalog.js";
import { foldAscii, splitArtists, stripLeadingThe } from "../../core/normalize.js";
import type { AlbumSearch, CandidateBatch, TrackSearch } from "../../core/ports.js";

/** Every Discogs database-search parameter. */
export interface SearchParams {
  q?: string;
  type?: "release" | "master" | "artist" | "label";
  title?: string;
  release_title?: string;
  artist?: string;
  anv?: string;
  label?: string;
  genre?: string;
  style?: string;
  country?: string;
  year?: string | number;
  format?: string;
  catno?: string;
  barcode?: string;
  track?: string;
  per_page?: number;
  page?: number;
}

/** One rung of the ladder. */
export interface Strategy {
  name: string;
  params: SearchParams;
}

/** Results per search page: one request either way, and masters with many versions need room. */
const PER_PAGE = 50;

/** A search with exactly the facts given (a query the LLM wrote), as one rung. */
function exactRung(q: TrackSearch): Strategy {
  const params: SearchParams = { per_page: PER_PAGE };
  if (q.artist) params.artist = q.artist;
  if (q.title) params.track = q.title;
  if (q.album) params.release_title = q.album;
  if (q.text) params.q = q.text;
  if (q.label) params.label = q.label;
  if (q.catno) params.catno = q.catno;
  if (q.year) params.year = q.year;
  return { name: "exact", params };
}

/**
 * The query ladder for a track, in order: exact identifiers, artist + track, q, artist + release
 * title, then variants (main artist, ASCII-folded, without "The", swapped). Queries never carry the mix:
 * Discogs spells mixes inconsistently, so the mix is judged in scoring instead, where "Original Mix" =
 * none. A bare title is searched as a track; a name no grammar split is searched whole.
 */
export function trackLadder(q: TrackSearch): Strategy[] {
  if (q.exact) return [exactRung(q)];
  const out: Strategy[] = [];
  const { artist, title } = q;
  if (q.catno) out.push({ name: "catno", params: { catno: q.catno, per_page: PER_PAGE } });
  if (q.barcode) out.push({ name: "barcode", params: { barcode: q.barcode, per_page: PER_PAGE } });
  if (q.text) out.push({ name: "q-unsplit", params: { q: q.text, per_page: PER_PAGE } });
  if (!artist && title) out.push({ name: "track", params: { track: title, per_page: PER_PAGE } });
  if (!artist || !title) return out;
  // A title with a dash of its own is seldom a track title: search its first part ("Ida Jane - May 25,
  // 1956"), then the whole name, then the last two parts as artist and title; rescoring weighs them all.
  const readings = q.readings ?? [];
  const first = readings.find((r) => r.artist === artist);
  out.push({ name: "artist+track", params: { artist, track: first?.title ?? title, per_page: PER_PAGE } });
  out.push({ name: "q", params: { q: `${artist} ${title}`, per_page: PER_PAGE } });
  const later = readings[0];
  if (later && later !== first)
    out.push({
      name: "reading+track",
      params: { artist: later.artist, track: later.title, per_page: PER_PAGE },
    });
  out.push({ name: "artist+release_title", params: { artist, release_title: title, per_page: PER_PAGE } });
  // A spelling variant ("Every Kinda People") fails Discogs' all-words match: try the title's most
  // distinctive word alone; tracklist verification then judges the whole title.
  const keyword = distinctiveWord(title);
  if (keyword && keyword.toLowerCase() !== title.toLowerCase()) {
    out.push({ name: "artist+track-keyword", params: { artist, track: keyword, per_page: PER_PAGE } });
  }
  const names = splitArtists(artist);
  if (names.length > 1)
    out.push({ name: "main-artist+track", params: { artist: names[0]!, track: title, per_page: PER_PAGE } });
  const fa = foldAscii(artist);
  const ft = foldAscii(title);
  if (fa !== artist || ft !== title)
    out.push({ name: "ascii+track", params: { artist: fa, track: ft, per_page: PER_PAGE } });
  const noThe = stripLeadingThe(artist);
  if (noThe !== artist)
    out.push({ name: "no-the+track", params: { artist: noThe, track: title, per_page: PER_PAGE } });
  if (q.orderUncertain)
    out.push({ name: "swapped+track", params: { artist: title, track: artist, per_page: PER_PAGE } });
  return out;
}

/**
 * The ladder for an album: artist and release title, both as free words, the main artist of several
 * ("Frédéric Chopin, Maurizio Pollini"), then the title's words alone (an artist spelt otherwise).
 * Its punctuation ("Etudes ∙ Préludes / Polonaises") is no word Discogs must find.
 */
export function albumLadder(q: AlbumSearch): Strategy[] {
  const out: Strategy[] = [
    {
      name: "album-search",
      params: { ...(q.artist ? { artist: q.artist } : {}), release_title: q.album, per_page: PER_PAGE },
    },
  ];
  if (!q.artist) return out;
  out.push({ name: "album-q", params: { q: `${q.artist} ${q.album}`, per_page: PER_PAGE } });
  const words = q.album
    .replace(/[^\p{L}\p{N}'’.&+-]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  const names = splitArtists(q.artist);
  if (names.length > 1 && words)
    out.push({
      name: "album-main-artist",
      params: { artist: names[0]!, release_title: words, per_page: PER_PAGE },
    });
  if (words) out.push({ name: "album-title", params: { release_title: words, per_page: PER_PAGE } });
  return out;
}

/** Runs a ladder lazily: each batch pulled sends one search, and nothing is sent that is not pulled. */
export async function* runLadder(
  ladder: readonly Strategy[],
  search: (params: SearchParams, signal?: AbortSignal) => Promise<SearchHit[]>,
  signal?: AbortSignal,
): AsyncGenerator<CandidateBatch> {
  for (const s of ladder) yield { strategy: s.name, hits: await search(s.params, signal) };
}

const STOPWORDS = new Set([
  "the",
  "and",
  "with",
  "from",
  "your",
  "that",
  "this",
  "what",
  "when",
  "for",
  "you",
  "are",
  "feat",
]);

/** The longest word of a title that is not a stop word, or null for one-word titles. */
export function distinctiveWord(title: string): string | null {
  const words = title
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 3 && !STOPWORDS.has(w.toLowerCase()));
  if (words.length < 2) return null;
  return words.reduce((a, b) => (b.length > a.length ? b : a));
}
