/**
 * Stage 1: extract and normalise artist, title and mix. Priority: tags, then the filename grammar;
 * the LLM fallback (when both fail) runs in the pipeline, since it needs a port.
 */

import { parseFilename, parseTitleText } from "./filename.js";
import { folderOf, parseFolderName } from "./folder.js";
import {
  cleanText,
  dedupe,
  extractFeaturing,
  normalizeKey,
  normalizeName,
  parseDuration,
  parseYear,
} from "./normalize.js";
import {
  EXTRACTION_CONFIDENCE,
  type RawTags,
  type TrackHints,
  type TrackInput,
  type TrackQuery,
} from "./types.js";
import { lookupGenre, lookupStyle } from "./vocabulary.js";

const JUNK_TITLE =
  /^(?:track\s*\d*|audio\s*track\s*\d*|untitled(?:\s*\d+)?|unknown(?:\s*title)?|title|no\s*title|\d+|-+|\?+)$/i;
const JUNK_ARTIST =
  /^(?:unknown(?:\s*artist)?|artist|various(?:\s*artists)?|va|v\.a\.|n\/a|none|-+|\?+|<unknown>|unknown\s*\d*)$/i;

/** Tag text that tries to instruct a model ("Ignore previous instructions…") is no title or artist. */
const INSTRUCTION =
  /\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|prompts?|previous|above|rules)\b|\bsystem prompt\b|\byou are now\b/i;

/** True when text reads like an instruction to a model; such text is never trusted or sent on. */
export function looksLikeInstruction(text: string): boolean {
  return INSTRUCTION.test(text);
}

/** Is this tag title empty or junk, such as "Track 01", or an instruction aimed at a model? */
export function isJunkTitle(title: string | undefined): boolean {
  const t = cleanText(title ?? "");
  return !t || JUNK_TITLE.test(t) || INSTRUCTION.test(t);
}

/** Is this tag artist empty or junk, such as "Unknown Artist"? */
export function isJunkArtist(artist: string | undefined): boolean {
  const a = cleanText(artist ?? "");
  return !a || JUNK_ARTIST.test(a) || INSTRUCTION.test(a);
}

/**
 * An artist equal to the album is suspect: rippers often put the album there. The filename's artist
 * wins over it; with no filename artist it is kept, since self-titled albums exist.
 */
export function isSuspectArtist(artist: string | undefined, album?: string): boolean {
  const a = normalizeKey(artist ?? "");
  return a !== "" && album !== undefined && normalizeKey(album) === a;
}

function parseTrackNumber(track: RawTags["track"]): number | undefined {
  if (typeof track === "number") return Number.isInteger(track) && track > 0 ? track : undefined;
  const m = /^\s*[A-Za-z]?(\d{1,3})/.exec(track ?? "");
  return m ? Number(m[1]) : undefined;
}

function clean(text: string | undefined): string | undefined {
  const t = cleanText(text ?? "");
  return t || undefined;
}

/** Hints carried by tags. */
export function hintsFromTags(tags: RawTags): TrackHints {
  const hints: TrackHints = {};
  const year = parseYear(tags.year);
  if (year) hints.year = year;
  const genre = clean(tags.genre);
  if (genre) hints.genre = lookupGenre(genre) ?? lookupStyle(genre) ?? genre;
  const label = clean(tags.label);
  if (label) hints.label = label;
  const catno = clean(tags.catno);
  if (catno) hints.catno = catno;
  const barcode = clean(tags.barcode)?.replace(/\D/g, "");
  if (barcode) hints.barcode = barcode;
  const album = clean(tags.album);
  if (album) hints.album = album;
  const trackNumber = parseTrackNumber(tags.track);
  if (trackNumber) hints.trackNumber = trackNumber;
  // Under 15 s is a snippet or a test tone, not the track's length: no evidence either way.
  const durationSec = parseDuration(tags.duration);
  if (durationSec && durationSec >= 15) hints.durationSec = durationSec;
  const releaseId = Number(String(tags.discogsReleaseId ?? "").replace(/^\[?r?/i, ""));
  if (Number.isInteger(releaseId) && releaseId > 0) {
    hints.discogsReleaseId = releaseId;
    // What a tagger wrote with the release id (ours does): the master and its year save a request.
    const masterId = Number(String(tags.discogsMasterId ?? "").replace(/^\[?m?/i, ""));
    const originalYear = parseYear(String(tags.originalYear ?? ""));
    if (Number.isInteger(masterId) && masterId > 0 && originalYear) {
      hints.discogsMasterId = masterId;
      hints.originalYear = originalYear;
    }
  }
  return hints;
}

/** The tag artist, joining multi-value artists the way Discogs does. */
function tagArtist(tags: RawTags): string | undefined {
  const many = (tags.artists ?? []).map((a) => cleanText(a)).filter(Boolean);
  if (many.length > 1) return many.join(" & ");
  return clean(tags.artist) ?? many[0] ?? clean(tags.albumArtist);
}

/**
 * Stage 1. Tags win unless they are empty or junk; the filename fills gaps and adds hints.
 * Never throws; with nothing usable it returns `source: "fallback"`.
 */
export function extractTrack(input: TrackInput): TrackQuery & { pattern: string } {
  const tags = input.tags ?? {};
  const fromName = parseFilename(input.filename);
  const hints: TrackHints = { ...fromName.hints, ...hintsFromTags(tags) };
  const artistTag = tagArtist(tags);
  const goodTitle = !isJunkTitle(tags.title) ? clean(tags.title) : undefined;
  // An artist tag equal to the album is suspect only without a title tag beside it: a full tag pair
  // beats the file name ("03 - Damaskus - Dakar.ogg" tagged Solitaire / "Damaskus - Dakar", on the
  // self-titled album "Solitaire").
  const suspect = !goodTitle && isSuspectArtist(artistTag, clean(tags.album)) && fromName.artist !== null;
  const goodArtist = !isJunkArtist(artistTag) && !suspect ? artistTag : undefined;

  if (goodArtist && goodTitle) {
    // Some rippers write "Artist - Title" into the title tag.
    const dash = goodTitle.indexOf(" - ");
    const prefixed = dash > 0 && normalizeKey(goodTitle.slice(0, dash)) === normalizeKey(goodArtist);
    const t = parseTitleText(prefixed ? goodTitle.slice(dash + 3) : goodTitle, hints);
    const a = extractFeaturing(goodArtist);
    return {
      artist: normalizeName(a.text),
      title: t.title,
      mix: t.mix ?? fromName.mix,
      featuring: dedupe([...a.featuring.map((n) => normalizeName(n)), ...t.featuring]),
      confidence: EXTRACTION_CONFIDENCE.tags,
      source: "tags",
      hints,
      pattern: "tags",
    };
  }
  let artist = fromName.artist;
  let title = fromName.title;
  let orderUncertain = fromName.orderUncertain;
  if (goodArtist) {
    const key = normalizeKey(goodArtist);
    // "Title - Artist": the tags show the order.
    if (title && normalizeKey(title) === key && artist) title = artist;
    artist = normalizeName(goodArtist);
    orderUncertain = false;
  }
  let mix = fromName.mix;
  if (goodTitle) {
    // A good title tag beats the filename's title, whatever gave the artist.
    const t = parseTitleText(goodTitle);
    title = t.title;
    mix = t.mix ?? mix;
  }
  const featuring = dedupe(fromName.featuring);
  // "Artist - Album (1999)/03 - Nu-Dub.mp3": a hyphen inside a word is the title's, not a separator,
  // when the folder names another artist.
  const folder = folderOf(input.path);
  const facts = folder && !goodArtist ? parseFolderName(folder.split("/").at(-1)!) : null;
  if (
    facts?.artist &&
    artist &&
    title &&
    fromName.pattern === "tight-dash" &&
    normalizeKey(artist) !== normalizeKey(facts.artist)
  ) {
    title = `${artist}-${title}`;
    artist = null;
  }
  // "James Brown - Say It Loud (1969)/01 - Say It Loud - I'm Black.mp3": a numbered file in an album
  // folder whose opening name is not the folder's artist holds a dash of its title's own. Not for a
  // compilation's folder, whose files do name their artists.
  if (
    facts?.artist &&
    !/^various(?: artists)?$/i.test(facts.artist) &&
    artist &&
    title &&
    fromName.pattern === "spaced-dash" &&
    fromName.hints.trackNumber !== undefined &&
    !goodTitle &&
    normalizeKey(artist) !== normalizeKey(facts.artist) &&
    !normalizeKey(artist).includes(normalizeKey(facts.artist))
  ) {
    title = `${artist} - ${title}`;
    artist = null;
  }
  if (artist && title) {
    return {
      artist,
      title,
      mix,
      featuring,
      confidence: EXTRACTION_CONFIDENCE.filename,
      source: "filename",
      hints,
      orderUncertain,
      pattern: goodArtist ? "tags+filename" : fromName.pattern,
    };
  }
  // "Artist - Album (1999)/01 - Title.flac": the folder names the artist the file name lacks.
  if (facts?.artist && title && !artist) {
    if (facts.album) hints.album ??= facts.album;
    if (facts.year) hints.year ??= facts.year;
    return {
      artist: normalizeName(facts.artist),
      title,
      mix,
      featuring,
      confidence: EXTRACTION_CONFIDENCE.filename,
      source: "filename",
      hints,
      pattern: "folder+filename",
    };
  }
  return {
    artist,
    title,
    mix: fromName.mix,
    featuring,
    confidence: EXTRACTION_CONFIDENCE.fallback,
    source: "fallback",
    hints,
    pattern: fromName.pattern,
  };
}
