/**
 * The filename grammar: clean-up passes, then an ordered table of split patterns, most specific first
 * (as beets' fromfilename.py). Pure: it sees only the name, never the disk.
 */
import {
  cleanText,
  collapseWhitespace,
  extractFeaturing,
  isSingleCase,
  MIX_WORDS,
  normalizeMix,
  normalizeName,
  normalizeTitle,
  parseYear,
  unifyPunctuation,
} from "./normalize.js";
import type { TrackHints } from "./types.js";
import { lookupCountry, lookupGenre, lookupStyle } from "./vocabulary.js";

/** What the grammar made of a filename. */
export interface ParsedFilename {
  artist: string | null;
  title: string | null;
  mix: string | null;
  featuring: string[];
  hints: TrackHints;
  /** The name of the pattern that split it, or "none". */
  pattern: string;
  /** True when the order of artist and title is a guess. */
  orderUncertain: boolean;
}

/** A split pattern: a regex with `artist` and `title` groups. */
interface SplitPattern {
  name: string;
  regex: RegExp;
  /** True when the pattern often puts the title first. */
  orderUncertain?: boolean;
  /** An extra check on the split parts. */
  accept?: (artist: string, title: string) => boolean;
}

/** The split patterns, most specific first. `\u241f` marks a wide gap of 3+ spaces. */
export const FILENAME_PATTERNS: readonly SplitPattern[] = [
  { name: "spaced-dash", regex: /^(?<artist>.+?)\s+-+\s+(?<title>.+)$/ },
  {
    name: "half-spaced-dash",
    regex: /^(?<artist>.+?\S)\s*-\s+(?<title>.+)$|^(?<artist2>.+?)\s+-(?<title2>\S.*)$/,
  },
  // yt-dlp writes "/" as "⧸", unified to "/"; "~" and "|" are how uploaders often write " - ".
  { name: "spaced-slash", regex: /^(?<artist>[^/]+?)\s+[/|~]\s+(?<title>.+)$/, orderUncertain: true },
  {
    name: "colon",
    regex: /^(?<artist>[^:]+?):\s+(?<title>[^:]+)$/,
    // A short name before the colon: "Moonchildren: Beyond Love", not "Chapter One: The Beginning Of It".
    accept: (artist) =>
      artist.split(" ").length <= 4 && !/^(?:part|chapter|vol|volume|act|episode|side)\b/i.test(artist),
  },
  {
    name: "ellipsis",
    regex: /^(?<artist>\S[^.]*?\S)\.{2,}\s*(?<title>[^.\s].*?)\.*$/,
  },
  {
    name: "title-by-artist",
    regex: /^(?<title>\S+(?: \S+)+?) by (?<artist>\p{Lu}[^,]*?)(?:,.*)?$/u,
    // "World Receiver by Tetsu Inoue", never "Stand by Me": a title of two words or more, a named artist.
    accept: (artist) => artist.split(" ").length <= 4,
  },
  { name: "quoted-title", regex: /^(?<artist>[^"']+?)\s+["'](?<title>[^"']+)["']$/ },
  { name: "wide-gap", regex: /^(?<artist>.+?)\s*\u241f\s*(?<title>.+)$/, orderUncertain: true },
  { name: "tight-dash", regex: /^(?<artist>[^-\s][^-]*?[^-\s])-(?<title>[^-\s][^-]*)$/ },
  {
    name: "caps-artist",
    regex: /^(?<artist>[\p{Lu}\d][\p{Lu}\d .&'!]*[\p{Lu}\d.])\s+(?<title>\p{Lu}[\p{Ll}'].*)$/u,
    // Two upper-case letters at least, so "10 Years Today" is no artist "10".
    accept: (artist) => /\p{Lu}.*\p{Lu}/u.test(artist),
  },
];

/** Bracketed phrases that are noise, never part of a title. */
const NOISE =
  /^(?:official(?: music| hd| lyric)? (?:video(?: clip)?|audio|clip|visuali[sz]er)|official|audio|video|music video|lyrics?|lyric video|with lyrics|w\/ lyrics|visuali[sz]er|hd(?: audio)?|hq|4k|1080p|720p|full ?hd|free (?:dl|download)|download|out now|teaser|preview|excerpt|clip officiel|video ?clip(?: oficial)?|video oficial|explicit|clean|audio only|premiere|original video(?: hq)?|official video hq|remastered video|full album|fullalbum|complete album|master,? mono|mono|stereo|[cp©℗]|hq audio|audio hq|(?:official )?videoclip|youtube|(?:with )?lyrics in (?:the )?description|tradu[cç][aã]o|traducci[oó]n|traduction|subtitulad[oa]|legendado|vinyl(?: lp| rip| record)?|lp|cd ?rip|(?:nicht )?offizielles video)$/i;
/** A remaster note in brackets, with or without its year. */
const REMASTER =
  /^(?:(?:19|20)\d{2}\s+)?(?:digital(?:ly)?\s+)?remaster(?:ed)?(?:\s+(?:version|edition))?(?:\s+(?:19|20)\d{2})?$/i;
/** Unbracketed trailing noise. */
const TRAILING_NOISE =
  /\s*(?:[-|~]\s*)?\b(?:official (?:music )?(?:video(?: clip)?|audio)|music video|lyric video|w\/ lyrics|(?:with )?lyrics in (?:the )?description|with lyrics|lyrics|youtube|hq audio|cd ?rip|vinyl rip|visuali[sz]er|full ?hd|hd|hq|4k|teaser|video ?clip|video|full ?album)\s*~?\s*$/i;
/**
 * Leading noise of video titles, each only before an "Artist - Title" rest: an episode number of two
 * digits or more ("#53 "; "#1 Crush" is a title), a curly-bracketed tag ("{Vinyl} "), "Premiere:" and
 * a YYMMDD date ("130220 ").
 */
const LEADING_NOISE =
  /^(?:#\d{2,4}\s+(?:\(\S+\)\s+)?|\{[^}]{1,20}\}\s*|premiere\s*:\s*|\d{6}\s+)(?=\S.* - )/i;
/** A catalogue number that opens a name before two separators: "PLUS8133 - F.U.S.E. - Train-trac". */
const LEADING_CATNO = /^([A-Z]{2,}\d{3,}[A-Z]?)\s+-\s+(?=\S.* - \S)/;
/** A tempo left in a video title: "123/Bpm", "124 BPM". */
/** "Title, from Album": the album a playlist names beside the title (no dash to split on). */
const FROM_ALBUM = /^(.+?\S),\s+from\s+(?:the\s+(?:album|ep|lp|soundtrack)\s+)?(\S.*)$/i;
/** "Artist | Album": a bar (ASCII or full-width) inside the artist part of "Artist | Album - Title". */
const ARTIST_BAR_ALBUM = /^(.+?\S)\s+[|\uff5c\u2502]\s+(\S.*)$/;
const BPM_NOISE = /\s*\b\d{2,3}\s*\/?\s*bpm\b\s*$/i;
/** A video file extension left inside a title: "Softshoe.wmv". */
const VIDEO_EXT = /\.(?:wmv|avi|mp4|flv|mkv|mov|mpe?g)$/i;
/** A catalogue number: letters then digits, as "SK032", "DCRPS069", "LUCE SIA 043". */
const CATNO_WORDS = /^[A-Z][A-Z0-9]*(?:[ .-][A-Z0-9]+)*$/;
/**
 * True for a catalogue number: words of capitals and digits, ending in 2+ digits and an optional letter.
 * Two linear tests; the single regex with nested quantifiers that did this took seconds on a long
 * bracket of capitals (untrusted input must never cost that).
 */
function isCatno(text: string): boolean {
  return text.length <= 20 && CATNO_WORDS.test(text) && /\d{2,}[A-Z]?$/.test(text);
}
const AUDIO_EXT = /\.(?:mp3|flac|ogg|oga|opus|m4a|mp4|aac|wav|aiff?|wma|alac|ape|wv|webm|mka|dsf)$/i;
const YTDLP_ID = /\s*\[([A-Za-z0-9_-]{11})\]$/;

interface Bracket {
  text: string;
  start: number;
  length: number;
}

/** Applies a regex group by group; returns the first pattern that splits the text. */
function splitByPatterns(text: string): { artist: string; title: string; pattern: SplitPattern } | null {
  for (const pattern of FILENAME_PATTERNS) {
    const m = pattern.regex.exec(text);
    const g = m?.groups;
    if (!g) continue;
    const artist = (g.artist ?? g.artist2 ?? "").replace(/\u241f/g, " ").trim();
    const title = (g.title ?? g.title2 ?? "").replace(/\u241f/g, " ").trim();
    if (artist && title && (pattern.accept?.(artist, title) ?? true)) return { artist, title, pattern };
  }
  return null;
}

/** Strips directories and a known audio extension (or any short one). */
function baseName(filename: string): string {
  const name = filename.split(/[\\/]/).pop() ?? filename;
  return name.replace(AUDIO_EXT, "");
}

/**
 * Scene release names: "artist_-_title-(mix)-web-2004" or "01-artist_-_title-grp".
 * Returns the name in plain form, and the year its tail carries.
 */
function unscene(name: string, hints: TrackHints): string {
  if (/\s/.test(name) || !/_/.test(name)) return name;
  let s = name;
  const tail =
    /-(?:web|cd|cdm|cdr|cds|vinyl|vls|ep|promo|sat|fm|dab|bootleg|retail|dvd|tape|(?:\d)?cd)?-?((?:19|20)\d{2})(?:-[a-z0-9]+)?$/i.exec(
      s,
    );
  if (tail) {
    hints.year ??= Number(tail[1]);
    s = s.slice(0, tail.index);
  } else {
    s = s.replace(/-[a-z0-9]{2,8}$/i, (grp) => (s.includes("_-_") ? "" : grp));
  }
  return s
    .replace(/^(\d{1,3})-/, "$1 - ")
    .replace(/_-_/g, " - ")
    .replace(/-\(/g, " (")
    .replace(/_/g, " ");
}

/** Lists bracketed groups (round, square, curly), outermost only. */
function findBrackets(text: string): Bracket[] {
  const out: Bracket[] = [];
  const re = /\(([^()]*)\)|\[([^[\]]*)\]|\{([^{}]*)\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ text: (m[1] ?? m[2] ?? m[3] ?? "").trim(), start: m.index, length: m[0].length });
  }
  return out;
}

/** Reads label and catalogue number from "[LABEL CATNO]" or "[CATNO]" or "[Label, 2017]". */
function readLabelBracket(inner: string, hints: TrackHints): boolean {
  const parts = inner.split(/\s*,\s*/);
  const rest = parts[0] ?? "";
  const year = parts
    .slice(1)
    .map((p) => parseYear(p))
    .find((y) => y !== undefined);
  if (parts.length > 2 || (parts.length === 2 && year === undefined)) return false;
  // "LABEL CAT001": a last word of letters and digits is the catno and the words before it the label;
  // "LUCE SIA 043": a last word of digits only belongs to a catno with spaces.
  const labelled = /^(.+?)\s+([A-Z]+[.-]?\d{2,}[A-Z]{0,4})$/.exec(rest);
  if (labelled && /^[\p{Lu}\d]/u.test(labelled[1] ?? "")) {
    hints.label ??= labelled[1];
    hints.catno ??= labelled[2];
  } else if (isCatno(rest)) {
    hints.catno ??= rest;
  } else if (year !== undefined && /^[\p{L}\d][\p{L}\d .&'-]{1,40}$/u.test(rest)) {
    hints.label ??= rest;
  } else {
    return false;
  }
  if (year !== undefined) hints.year ??= year;
  return true;
}

type BracketKind = "noise" | "hint" | "mix" | "edition" | "feat" | "keep";

/** Decides what a bracketed phrase is, filling hints as a side effect. */
function classifyBracket(inner: string, hints: TrackHints, square: boolean): BracketKind {
  if (!inner || NOISE.test(inner)) return "noise";
  // "(Remastered 2010)", "[2013 Remaster]": the same recording, newly mastered; its year is not the
  // track's, and it is no mix, though it closes the title as a mix does.
  if (REMASTER.test(inner)) return "edition";
  if (/^(?:feat\.?|ft\.?|featuring|with)\s/i.test(inner)) return "feat";
  const year = /^(?:19|20)\d{2}$/.test(inner) ? Number(inner) : undefined;
  if (year !== undefined) {
    hints.year ??= year;
    return "hint";
  }
  const country = lookupCountry(inner);
  if (country) {
    hints.country ??= country;
    return "hint";
  }
  const genre = lookupGenre(inner) ?? lookupStyle(inner);
  if (genre && !MIX_WORDS.test(inner)) {
    hints.genre ??= genre;
    return "hint";
  }
  if (MIX_WORDS.test(inner)) return "mix";
  if (square && readLabelBracket(inner, hints)) return "hint";
  // A bracket naming a year or a date with other words is where or when it was filmed or aired
  // ("(The Tube 1984)", "(28-12-72)", "(1967 5ème album)"): a year hint, not part of the title.
  const dated = /\b((?:19|20)\d{2})\b/.exec(inner);
  if (dated || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(inner)) {
    if (dated) hints.year ??= Number(dated[1]);
    return "hint";
  }
  return "keep";
}

/**
 * Strips the brackets that are not part of the title: noise, hints, mix and featuring.
 * A bare genre word right after a hint bracket ("[Nigeria] Soul (1979)") is a hint too.
 */
function stripBrackets(
  text: string,
  hints: TrackHints,
): { text: string; mix: string | null; featuring: string[] } {
  let mix: string | null = null;
  const featuring: string[] = [];
  let out = text;
  let firstHintAt = -1;
  const brackets = findBrackets(text);
  const kinds = brackets.map((b) => classifyBracket(b.text, hints, text[b.start] === "["));
  const mixAt =
    brackets.find((_b, i) => kinds[i] === "mix" || kinds[i] === "edition")?.start ?? Number.POSITIVE_INFINITY;
  for (let i = brackets.length - 1; i >= 0; i--) {
    const b = brackets[i]!;
    const kind = kinds[i]!;
    // An unknown bracket after the mix is trailing junk ("(Secret Mix) (DMC Publishing)").
    if (kind === "keep" && b.start < mixAt) continue;
    if (kind === "mix") mix ??= b.text;
    if (kind === "feat") featuring.unshift(...extractFeaturing(`(${b.text})`).featuring);
    if (kind === "hint") firstHintAt = b.start;
    out = `${out.slice(0, b.start)} ${out.slice(b.start + b.length)}`;
  }
  if (firstHintAt >= 0) {
    const after = collapseWhitespace(out.slice(firstHintAt));
    const genre = after && (lookupGenre(after) ?? lookupStyle(after));
    if (genre) {
      hints.genre ??= genre;
      out = out.slice(0, firstHintAt);
    }
  }
  return { text: collapseWhitespace(out), mix, featuring };
}

/** A mix or version written after a dash: "Title - Extended Mix", "Title - Remastered 2009". */
const DASHED_MIX = /^(?<title>.+?\S)\s+-\s+(?<mix>[^-]+)$/;

/** Splits a dashed mix off a title: at most five words, with a mix word among them. */
function dashedMix(title: string): { title: string; mix: string | null } {
  const m = DASHED_MIX.exec(title)?.groups;
  if (m?.title && m.mix && MIX_WORDS.test(m.mix) && m.mix.trim().split(/\s+/).length <= 5)
    return { title: m.title, mix: m.mix.trim() };
  return { title, mix: null };
}

/**
 * Reads the dashes left in a title after the split: a bare number is the track number and what
 * follows is the title, what precedes it the album ("Budgie - 04 - Guts"); a last part that is a mix
 * is the mix; a last part "Vinyl" is noise.
 */
function readDashedTitle(title: string, hints: TrackHints): { title: string; mix: string | null } {
  let text = title.replace(/\s+-\s+vinyl$/i, "");
  const numbered = /^(?:(?<album>.+?)\s+-\s+)?(?<n>\d{1,3})\s+-\s+(?<rest>\S.*)$/.exec(text)?.groups;
  if (numbered?.n && numbered.rest) {
    hints.trackNumber ??= Number(numbered.n);
    if (numbered.album) hints.album ??= numbered.album;
    text = numbered.rest;
  }
  return dashedMix(text);
}

/**
 * Cleans a title that came alone (from a tag): brackets become mix, featuring and hints.
 * "Say A Prayer (Extended Mix) [feat. X]" -> title "Say A Prayer", mix "Extended Mix", featuring [X].
 */
export function parseTitleText(
  title: string,
  hints: TrackHints = {},
): { title: string | null; mix: string | null; featuring: string[] } {
  const stripped = stripBrackets(cleanText(title).replace(TRAILING_NOISE, ""), hints);
  const dashed = dashedMix(stripped.text);
  const feat = extractFeaturing(dashed.title);
  return {
    title: feat.text ? normalizeTitle(feat.text) : null,
    mix: normalizeMix(stripped.mix ?? dashed.mix),
    featuring: [...feat.featuring, ...stripped.featuring].map((n) => normalizeName(n)),
  };
}

/** Strips a leading track number only when a separator follows it ("10 Years Today" survives). */
export function stripTrackNumber(text: string, hints: TrackHints): string {
  const patterns: RegExp[] = [
    /^(\d{1,3})\s*[-.)_]\s+(?=\S)/, // "01 - ", "01. ", "1) "
    /^(\d{1,3})\.(?=\S)/, // "01.Title"
    /^\d-(\d{2})\s+(?=\S)/, // "1-01 "
    /^[A-Da-d](\d{1,2})\s*[-.]?\s+(?=\S.* - )/, // "A1 " before "Artist - Title"
    /^(0\d|\d{2,3})\s+(?=\S.* - )/, // "01 Artist - Title"
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) {
      hints.trackNumber ??= Number(m[1]);
      return text.slice(m[0].length);
    }
  }
  return text;
}

/** Marks wide gaps (3+ spaces) before whitespace is collapsed; they separate artist and title. */
function markWideGaps(text: string): string {
  if (/\s-\s/.test(text)) return text;
  return text.replace(/(\S)\s{3,}(?=\S)/, "$1 \u241f ");
}

/**
 * Parses a filename into artist, title, mix, featuring and hints.
 * Never throws; a name it cannot split gives a title only, with `pattern: "none"`.
 */
export function parseFilename(filename: string): ParsedFilename {
  const hints: TrackHints = {};
  let text = unifyPunctuation(baseName(filename)).trim();
  const videoId = YTDLP_ID.exec(text);
  // yt-dlp's default name ends in the video id; an all-letters or all-digits bracket is something else.
  if (videoId && /[0-9_-]/.test(videoId[1]!) && /[A-Za-z]/.test(videoId[1]!)) hints.youtubeId = videoId[1]!;
  text = text.replace(YTDLP_ID, "");
  text = unscene(text, hints);
  text = markWideGaps(text);
  text = cleanText(text).replace(/\s+-\s+Topic$/i, "");
  text = text.replace(TRAILING_NOISE, "").replace(BPM_NOISE, "");
  const catno = LEADING_CATNO.exec(text);
  if (catno) {
    hints.catno ??= catno[1];
    text = text.slice(catno[0].length);
  }
  const stripped = stripBrackets(text, hints);
  text = stripTrackNumber(
    stripped.text.replace(TRAILING_NOISE, "").replace(VIDEO_EXT, "").replace(LEADING_NOISE, ""),
    hints,
  );
  // A trailing year after the title: "In My Soul - 1999", "Motivi dell'America latina 1969".
  const tailYear = /(?:\s+-\s+|\s+)((?:19|20)\d{2})$/.exec(text);
  if (tailYear && / - |\u241f/.test(text.slice(0, tailYear.index))) {
    hints.year ??= Number(tailYear[1]);
    text = text.slice(0, tailYear.index);
  }
  const split = splitByPatterns(text);
  if (!split) {
    // "Blue Hour, from Night Moves": a playlist's name for a track of an album.
    const from = FROM_ALBUM.exec(text);
    if (from) {
      hints.album ??= from[2]!.trim();
      text = from[1]!;
    }
    const solo = extractFeaturing(text.replace(/\u241f/g, " "));
    const title = solo.text ? normalizeTitle(solo.text) : null;
    return {
      artist: null,
      title,
      mix: normalizeMix(stripped.mix),
      featuring: [...stripped.featuring, ...solo.featuring],
      hints,
      pattern: "none",
      orderUncertain: false,
    };
  }
  // "Artist ｜ Album EP - Title": a bar in the artist part sets the album apart.
  const barred = ARTIST_BAR_ALBUM.exec(split.artist);
  if (barred) {
    hints.album ??= barred[2]!.trim();
    split.artist = barred[1]!.trim();
  }
  // Brackets left in the artist part are asides ("Phil Lynott (Thin Lizzy)"), not the name.
  const a = extractFeaturing(split.artist.replace(/\s*[([][^)\]]*[)\]]/g, "").trim() || split.artist);
  const parts = readDashedTitle(split.title, hints);
  const t = extractFeaturing(parts.title);
  // Re-case a name written in one case throughout, and shouting; lower case beside mixed case is a choice.
  const recase = isSingleCase(text);
  const shouting = (s: string) => isSingleCase(s) && s === s.toUpperCase();
  return {
    artist: a.text ? normalizeName(a.text, recase || shouting(a.text)) : null,
    title: t.text ? normalizeTitle(t.text, recase || shouting(t.text)) : null,
    mix: normalizeMix(stripped.mix ?? parts.mix),
    featuring: [...a.featuring, ...t.featuring, ...stripped.featuring].map((n) => normalizeName(n)),
    hints,
    pattern: split.pattern.name,
    orderUncertain: split.pattern.orderUncertain === true,
  };
}
