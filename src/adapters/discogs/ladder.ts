/**
 * The query ladder: the searches Stage 2 tries for a track, in order, from exact identifiers down to
 * spelling variants. Pure: it builds parameters, the search loop (find.ts) sends them.
 */
import type { SearchParams } from "../catalog.js";
import { foldAscii, splitArtists, stripLeadingThe } from "../normalize.js";
import type { TrackQuery } from "../types.js";
import { dashReadings } from "./readings.js";

/** One rung of the ladder. */
export interface Strategy {
  name: string;
  params: SearchParams;
}

/** Results per search page: one request either way, and masters with many versions need room. */
const PER_PAGE = 50;

/**
 * The query ladder, in order: exact identifiers, artist + track, q, artist + release title, then
 * variants (main artist, ASCII-folded, without "The", swapped). Queries never carry the mix: Discogs
 * spells mixes inconsistently, so the mix is judged in scoring instead, where "Original Mix" = none.
 */
export function buildQueries(q: TrackQuery): Strategy[] {
  const out: Strategy[] = [];
  const { artist, title, hints } = q;
  if (hints.catno) out.push({ name: "catno", params: { catno: hints.catno, per_page: PER_PAGE } });
  if (hints.barcode) out.push({ name: "barcode", params: { barcode: hints.barcode, per_page: PER_PAGE } });
  if (!artist || !title) return out;
  // A title with a dash of its own is seldom a track title: search its first part ("Ida Jane - May 25,
  // 1956"), then the whole name, then the last two parts as artist and title; rescoring weighs them all.
  const readings = dashReadings(q);
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
