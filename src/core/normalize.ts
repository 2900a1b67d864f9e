/**
 * Normalisation: tables plus pure functions. Output text keeps its script and accents
 * (Japanese, Cyrillic and accented names are kept as written); only keys and comparisons fold.
 */

/** Invisible marks that YouTube titles and Discogs copy-paste carry (LRM, RLM, ZWSP, BOM). */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;
const DASHES = /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201a\u201b\u2032\u00b4`]/g;
const DOUBLE_QUOTES = /[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g;

/** Printable ASCII but the backtick: nothing for unifyPunctuation to change. */
const PLAIN_ASCII = /^[\x20-\x5f\x61-\x7e]*$/;

/** Unicode-normalises, drops invisible marks, unifies dashes and quotes. Keeps whitespace runs. */
export function unifyPunctuation(text: string): string {
  if (PLAIN_ASCII.test(text)) return text;
  return text
    .normalize("NFC")
    .replace(INVISIBLE, "")
    .replace(DASHES, "-")
    .replace(/[\u29f8\u2215\uff0f]/g, "/")
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(/[\t\r\n\f\v\u00a0\u3000]/g, " ");
}

/** Collapses whitespace and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** `unifyPunctuation` then `collapseWhitespace`. */
export function cleanText(text: string): string {
  return collapseWhitespace(unifyPunctuation(text));
}

/** Removes diacritics: "Södermalm" -> "Sodermalm". Non-Latin scripts are left as they are. */
export function foldAscii(text: string): string {
  if (/^\p{ASCII}*$/u.test(text)) return text;
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/ß/g, "ss")
    .replace(/æ/g, "ae")
    .replace(/Æ/g, "AE")
    .replace(/ø/g, "o")
    .replace(/Ø/g, "O")
    .replace(/ł/g, "l")
    .replace(/Ł/g, "L")
    .normalize("NFC");
}

/** Discogs disambiguation suffix: "Bad Company (3)". */
const DISCOGS_SUFFIX = /\s*\(\d+\)$/;

/** Strips the Discogs "(2)" suffix from an artist or label name. */
export function stripDiscogsSuffix(name: string): string {
  return name.replace(DISCOGS_SUFFIX, "");
}

/** "Beatles, The" -> "The Beatles". */
export function moveTrailingArticle(name: string): string {
  const m = /^(.+),\s*(The|A|An|Die|Der|Das|Le|La|Les|El|Los|Il)$/i.exec(name);
  return m ? `${m[2]} ${m[1]}` : name;
}

/** Drops a leading "The " for comparison. */
export function stripLeadingThe(name: string): string {
  return name.replace(/^the\s+/i, "");
}

/**
 * The comparison key: folds case, accents, punctuation and whitespace, so that
 * "T-Fire - Say a Prayer" and "t-fire – say a prayer " share a key. Letters of every script survive.
 */
export function normalizeKey(text: string): string {
  return foldAscii(unifyPunctuation(text))
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/['"]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** Words kept upper case by smart title case. */
const KEEP_UPPER = new Set([
  "DJ",
  "MC",
  "UK",
  "USA",
  "US",
  "EP",
  "LP",
  "VIP",
  "NYC",
  "LA",
  "TV",
  "OK",
  "UFO",
  "BBC",
  "ABBA",
  "AC",
  "DC",
  "EMF",
  "KLF",
  "INXS",
  "REM",
  "ELO",
  "UB40",
  "R&B",
  "II",
  "III",
  "IV",
  "VI",
  "VII",
  "VIII",
  "IX",
  "XI",
  "XII",
  "XIII",
  "XIV",
  "XV",
  "XX",
  "ID",
  "AM",
  "PM",
  "BPM",
  "CD",
  "DVD",
  "HD",
  "TLC",
  "DMX",
  "NWA",
  "RZA",
  "GZA",
]);
/** Words kept lower case by smart title case (but never at the start). */
const KEEP_LOWER = new Set(["feat.", "ft.", "vs.", "vs", "x", "w/"]);

function titleCaseWord(word: string, index: number): string {
  const upper = word.toUpperCase();
  const bare = upper.replace(/[^\p{L}\p{N}&]/gu, "");
  if (KEEP_UPPER.has(bare)) return word.replace(/[\p{L}]+/gu, (w) => w.toUpperCase());
  if (index > 0 && KEEP_LOWER.has(word.toLowerCase())) return word.toLowerCase();
  // Capitalise the first letter of each hyphen or slash part: "t-fire" -> "T-Fire".
  return word
    .toLowerCase()
    .replace(/(^|[-/(."])(\p{L})/gu, (_m, pre: string, ch: string) => pre + ch.toUpperCase());
}

/** True when a text's cased letters are all upper or all lower case (caseless scripts are not). */
export function isSingleCase(text: string): boolean {
  const letters = text.replace(/[^\p{Lu}\p{Ll}]/gu, "");
  if (!letters) return false;
  return letters === letters.toLowerCase() || letters === letters.toUpperCase();
}

/**
 * Smart title case, as Discogs writes titles ("Set The Controls For The Heart Of The Sun").
 * Applied only to text that is all upper or all lower case: mixed case is intentional and kept,
 * so "deadmau5 - Strobe" keeps its lower-case artist and "MGMT" stays.
 */
export function smartTitleCase(text: string): string {
  if (!isSingleCase(text)) return text;
  // A lone short upper-case word is an acronym: "MGMT", "ABBA".
  if (/^\p{Lu}{2,4}$/u.test(text)) return text;
  return text
    .split(" ")
    .map((w, i) => titleCaseWord(w, i))
    .join(" ");
}

/** Featured-artist markers. */
const FEAT_MARKER = /\s*\b(?:feat\.?|ft\.?|featuring)\s+/i;
const FEAT_IN_BRACKETS = /\s*[([]\s*(?:feat\.?|ft\.?|featuring|with)\s+([^)\]]+)[)\]]/i;

/** Splits a list of artists joined by "&", ",", "x", "vs", "and", "/" or "+". */
export function splitArtists(text: string): string[] {
  return text
    .split(/\s*[,&+/]\s*|\s+(?:x|vs\.?|and|und|et|feat\.?|ft\.?|featuring)\s+/i)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Pulls featured artists out of a text: "Song (feat. X & Y)" -> {text: "Song", featuring: [X, Y]}.
 * "(with X)" counts only inside brackets, where it cannot be part of a title.
 */
export function extractFeaturing(text: string): { text: string; featuring: string[] } {
  let rest = text;
  const featuring: string[] = [];
  const bracket = FEAT_IN_BRACKETS.exec(rest);
  if (bracket) {
    featuring.push(...splitArtists(bracket[1] ?? ""));
    rest = rest.replace(bracket[0], "");
  }
  const marker = FEAT_MARKER.exec(rest);
  if (marker && marker.index > 0) {
    // Whatever follows the marker up to a bracket is the featured artist list.
    const after = rest.slice(marker.index + marker[0].length);
    const end = after.search(/\s*[([]/);
    const names = end >= 0 ? after.slice(0, end) : after;
    featuring.push(...splitArtists(names));
    rest = rest.slice(0, marker.index) + (end >= 0 ? ` ${after.slice(end).trim()}` : "");
  }
  return { text: collapseWhitespace(rest), featuring: dedupe(featuring) };
}

/** Words that make a bracketed phrase a mix or version. */
export const MIX_WORDS =
  /\b(?:mix|remix|rmx|edit|re-?edit|dub|version|vocal|instrumental|inst\.?|live|remaster(?:ed)?|re-?recorded|rework|bootleg|vip|extended|radio|club|acoustic|demo|reprise|acapella|a cappella|unplugged|mono|stereo|cut)\b/i;

/** Is this mix the same as no mix at all? */
export function isOriginalMix(mix: string | null | undefined): boolean {
  if (!mix) return true;
  return /^(?:original(?: mix| version)?|album version|main mix|original version)$/i.test(mix.trim());
}

/** Normalises a mix name; "Original Mix" and friends become null. */
export function normalizeMix(mix: string | null | undefined): string | null {
  if (!mix) return null;
  const cleaned = collapseWhitespace(mix.replace(/^[([]|[)\]]$/g, ""));
  if (isOriginalMix(cleaned)) return null;
  return smartTitleCase(cleaned);
}

/**
 * Cleans a display name: whitespace, "(2)" suffix, "X, The", and smart case unless `recase` is false
 * (the caller saw mixed case around it, so lower case is intentional: "deadmau5 - Strobe").
 */
export function normalizeName(name: string, recase = true): string {
  const n = moveTrailingArticle(stripDiscogsSuffix(cleanText(name)));
  return recase ? smartTitleCase(n) : n;
}

/** Cleans a display title: whitespace, stray outer quotes, and smart case unless `recase` is false. */
export function normalizeTitle(title: string, recase = true): string {
  const t = collapseWhitespace(cleanText(title).replace(/^["']+|["']+$/g, ""));
  return recase ? smartTitleCase(t) : t;
}

/** Removes duplicates, keeping order, comparing by `normalizeKey`. */
export function dedupe(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const k = normalizeKey(v);
    if (!k || seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}

/** Parses "4:45", "1:02:03" or "285" into seconds. */
export function parseDuration(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const m = /^(?:(\d+):)?(\d{1,3}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const total = Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return total > 0 ? total : undefined;
}

/** Parses a year out of "1999", "1999-03-00" or 1999; only 1900..2099. */
export function parseYear(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const m = /(?:^|\D)(19\d{2}|20\d{2})(?:\D|$)/.exec(String(value));
  return m ? Number(m[1]) : undefined;
}
