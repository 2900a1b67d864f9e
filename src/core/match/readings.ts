/**
 * Readings of a name: the ways an input's words can be artist and title (the pairs of a name with
 * several dashes, an unsplit name read with an artist the catalogue knows, the input swapped).
 */
import type { SearchHit } from "../catalog.js";
import { normalizeKey, normalizeTitle, splitArtists, stripDiscogsSuffix } from "../normalize.js";
import type { TrackQuery } from "../types.js";

/**
 * Other readings of a filename split at its first dash when the title holds more dashes ("Hotel Costes 2
 * - Lovetronic - You Are Love", "Running Wild - Under Jolly Roger - 1987"): neighbouring parts as artist
 * and title, later pairs first, since a channel or compilation name opens a video title more often than
 * an album or label closes it. At most two; never for tags, whose fields are already split.
 */
export function dashReadings(q: TrackQuery): { artist: string; title: string }[] {
  if (q.source === "tags" || !q.artist || !q.title || !q.title.includes(" - ")) return [];
  const parts = [q.artist, ...q.title.split(" - ")].map((p) => p.trim()).filter(Boolean);
  if (parts.length < 3 || parts.length > 4) return [];
  const pairs = parts.slice(0, -1).map((artist, i) => ({ artist, title: parts[i + 1]! }));
  // The last pair and the first: a channel before the artist, or an album, date or label after the title.
  return pairs.length === 2 ? pairs.reverse() : [pairs.at(-1)!, pairs[0]!];
}

/**
 * Reads an unsplit name ("Larry Heard Missing You") as artist and title, given an artist the catalogue
 * knows: the artist's words must open or close the name, and some words must be left for the title.
 * Word by word on normalised keys, so case, accents and punctuation do not matter.
 */
export function splitByArtist(text: string, artist: string): { artist: string; title: string } | null {
  const words = text.split(/\s+/).filter((w) => normalizeKey(w) !== "");
  const keys = words.map((w) => normalizeKey(w));
  const name = normalizeKey(stripDiscogsSuffix(artist)).split(" ").filter(Boolean);
  if (name.length === 0 || name.join("").length < 3 || name.length >= keys.length) return null;
  const at = (start: number) => name.every((w, i) => keys[start + i] === w);
  const clean = stripDiscogsSuffix(artist);
  if (at(0)) return { artist: clean, title: normalizeTitle(words.slice(name.length).join(" ")) };
  if (at(keys.length - name.length))
    return { artist: clean, title: normalizeTitle(words.slice(0, keys.length - name.length).join(" ")) };
  return null;
}

/** The distinct artist/title readings of an unsplit name that the search hits' artists support, best first. */
export function unsplitReadings(text: string, hits: SearchHit[]): { artist: string; title: string }[] {
  const out = new Map<string, { artist: string; title: string }>();
  for (const h of hits) {
    if (h.kind !== "release") continue;
    for (const name of new Set([h.artist, ...splitArtists(h.artist)])) {
      const reading = name && !/^various$/i.test(name) ? splitByArtist(text, name) : null;
      if (reading) out.set(normalizeKey(`${reading.artist}|${reading.title}`), reading);
    }
  }
  return [...out.values()];
}

/** A reading of the input other than the one given, named for the strategies list. */
export interface Reading {
  name: string;
  query: TrackQuery;
}

/**
 * The other readings of a filename: artist and title swapped ("Title - Artist"), and the other pairs
 * of a name with more dashes. Tags are split already and have none.
 */
export function otherReadings(q: TrackQuery): Reading[] {
  if (q.source === "tags" || !q.artist || !q.title) return [];
  const plain = { ...q, orderUncertain: false };
  return [
    { name: "swapped-rescore", query: { ...plain, artist: q.title, title: q.artist } },
    ...dashReadings(q).map((r) => ({ name: "reading-rescore", query: { ...plain, ...r } })),
  ];
}
