/**
 * Musical keys and the notations DJ software reads: standard ("A minor", tagged "Am"), Camelot ("8A")
 * and Open Key ("1m"). Pure.
 */

export type Mode = "major" | "minor";
/** A key: its tonic as a pitch class (C = 0 … B = 11) and its mode. */
export interface MusicalKey {
  tonic: number;
  mode: Mode;
}
export type KeyNotation = "standard" | "camelot" | "openkey";
export const KEY_NOTATIONS: readonly KeyNotation[] = ["standard", "camelot", "openkey"];

// The spellings DJ software shows: flats for the keys usually written with flats, F# and C#/G# minor.
const MAJOR_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
const MINOR_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"];

const mod12 = (n: number) => ((n % 12) + 12) % 12;

/** "A minor", "Db major". */
export function keyName(k: MusicalKey): string {
  return `${(k.mode === "major" ? MAJOR_NAMES : MINOR_NAMES)[mod12(k.tonic)]} ${k.mode}`;
}

/** The key's position on the circle of fifths, counted from C major / A minor (0) clockwise. */
function fifths(k: MusicalKey): number {
  const relativeMajor = k.mode === "major" ? k.tonic : k.tonic + 3;
  return mod12(relativeMajor * 7);
}

/** Camelot: C major is 8B, A minor 8A; one step clockwise is a fifth up. */
export function camelot(k: MusicalKey): string {
  return `${mod12(fifths(k) + 7) + 1}${k.mode === "major" ? "B" : "A"}`;
}

/** Open Key (Traktor): C major is 1d, A minor 1m. */
export function openKey(k: MusicalKey): string {
  return `${fifths(k) + 1}${k.mode === "major" ? "d" : "m"}`;
}

/** A key's name in the three notations an answer gives: "A minor", Camelot "8A", Open Key "1m". */
export function keyNotations(k: MusicalKey): { value: string; camelot: string; openKey: string } {
  return { value: keyName(k), camelot: camelot(k), openKey: openKey(k) };
}

/** The key as a tag holds it: ID3's TKEY form ("Am", "Db", "F#m"), Camelot or Open Key. */
export function tagKey(k: MusicalKey, notation: KeyNotation): string {
  if (notation === "camelot") return camelot(k);
  if (notation === "openkey") return openKey(k);
  return `${(k.mode === "major" ? MAJOR_NAMES : MINOR_NAMES)[mod12(k.tonic)]}${k.mode === "minor" ? "m" : ""}`;
}

const LETTER: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/**
 * Reads a key written in any of the three notations ("A minor", "Am", "a min", "F#", "Bbm", "8A",
 * "1m"); null for anything else. Untrusted text (an LLM's answer, a tag) goes through here.
 */
export function parseKey(text: string): MusicalKey | null {
  const s = text.trim();
  if (s.length > 16) return null;
  const wheel = /^(1[0-2]|[1-9])\s*([ABab]|[dDmM])$/.exec(s);
  if (wheel) {
    const n = Number(wheel[1]) - 1;
    const letter = wheel[2]!.toLowerCase();
    const minor = letter === "a" || letter === "m";
    // Camelot counts from 8 (C major), Open Key from 1.
    const steps = letter === "a" || letter === "b" ? n - 7 : n;
    const relativeMajor = mod12(steps * 7);
    return minor
      ? { tonic: mod12(relativeMajor - 3), mode: "minor" }
      : { tonic: relativeMajor, mode: "major" };
  }
  const named = /^([A-Ga-g])\s*([#♯b♭]?)\s*(major|maj|minor|min|m|)$/i.exec(s);
  if (!named) return null;
  const base = LETTER[named[1]!.toUpperCase()]!;
  const accidental = named[2] === "#" || named[2] === "♯" ? 1 : named[2] ? -1 : 0;
  const suffix = named[3]!;
  // "m" alone is minor, "M" alone is major only as part of maj/major.
  const minor = /^(?:minor|min)$/i.test(suffix) || suffix === "m";
  if (suffix === "M") return null;
  return { tonic: mod12(base + accidental), mode: minor ? "minor" : "major" };
}
