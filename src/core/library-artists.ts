/**
 * The artists a music library names, read from its files' tags and names: what a subset index keeps
 * (`index build --artists-from DIR`). Generous on purpose: a name read both ways ("Title - Artist"
 * folders), a duo and its members all count, since a missing artist costs a miss and an extra one only a
 * few releases of disk.
 */
import { extractTrack, isJunkArtist } from "./extract.js";
import { parseFilename } from "./filename.js";
import { cleanText, extractFeaturing } from "./normalize.js";
import type { TrackInput } from "./types.js";

/** Names that say nothing about which releases to keep. */
const NOT_AN_ARTIST = /^(various( artists)?|va|unknown( artist)?|\[?unknown\]?|no artist)$/i;

/** "Simon & Garfunkel" and "A, B and C" also name their members. */
const JOINERS = /\s+(?:&|and|\+|x|vs\.?|with)\s+|\s*[,;/]\s*/i;

function add(out: Map<string, string>, raw: string | undefined): void {
  const text = cleanText(raw ?? "");
  if (!text || isJunkArtist(text) || NOT_AN_ARTIST.test(text)) return;
  const { text: main, featuring } = extractFeaturing(text);
  for (const name of [main, ...featuring, ...main.split(JOINERS)]) {
    const n = cleanText(name);
    if (n.length < 2 || NOT_AN_ARTIST.test(n)) continue;
    const key = n.toLowerCase();
    if (!out.has(key)) out.set(key, n);
  }
}

/** The artist names a library's files give, each once (first spelling kept), in the order first met. */
export function artistsOfLibrary(inputs: Iterable<TrackInput>): string[] {
  const out = new Map<string, string>();
  for (const input of inputs) {
    const tags = input.tags ?? {};
    add(out, tags.artist);
    add(out, tags.albumArtist);
    for (const a of tags.artists ?? []) add(out, a);
    const read = extractTrack(input);
    add(out, read.artist ?? undefined);
    for (const f of read.featuring) add(out, f);
    // A name whose order the grammar cannot tell ("Title - Artist") may name its artist on either side.
    const named = parseFilename(input.filename);
    if (named.orderUncertain || read.orderUncertain) {
      add(out, named.artist ?? undefined);
      add(out, named.title ?? undefined);
    }
    // The folder ("Artist - Album (1999)/01 Title.flac") names the artist of an album.
    const folder = input.path?.split("/").at(-2);
    if (folder) add(out, parseFilename(`${folder}.x`).artist ?? undefined);
  }
  return [...out.values()];
}
