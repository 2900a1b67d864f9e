/**
 * The domain's tracklist: a release's rows, as Discogs lists them, parsed once (by the adapters, where
 * they convert a release) into media and playable tracks. Positions follow Discogs' tracklist
 * guidelines:
 *
 * - a hyphen separates the disc from the track ("1-3", "CD2-4"); a medium prefix alone names a medium
 *   of its own ("DVD1", "BD2");
 * - vinyl and cassette sides are letters ("A1", "B2"), and sides pair into records (A and B are the
 *   first record, C and D the second);
 * - a dot or a lowercase letter marks a sub-track, a part of one track ("2.1", "A2a", "A2.b"): the parts
 *   are one track, one file;
 * - an index track holds a titled suite: with sub-track positions it is one track, titled by the index
 *   track; with full positions of their own, its rows are tracks under its title;
 * - a heading titles the tracks after it, and a heading before a medium's first track titles the medium.
 *
 * Tracks are numbered by count within their medium, so a track number never exceeds its total.
 */
import type { ArtistCredit, Medium, ParsedRowTitle, ReleaseFormat, ReleaseTrack } from "./catalog.js";
import { parseTitleText } from "./filename.js";

/** One row of a tracklist as a source lists it, its credits converted already. */
export interface TracklistRow {
  position: string;
  type: "track" | "heading" | "index";
  title: string;
  durationSec: number | null;
  artists: ArtistCredit[];
  extraArtists: ArtistCredit[];
  subTracks: TracklistRow[];
}

/** A release's tracklist parsed once: its media and playable tracks. */
export interface ParsedTracklist {
  media: Medium[];
  tracks: ReleaseTrack[];
}

/** What a position says, before numbering. */
interface Place {
  /** The medium it names: a number, a side's record, or a prefixed medium ("DVD"); null for none. */
  medium: string | null;
  /** The track it names on that medium, when the position says; for ordering only. */
  track: number | null;
  /** The position of the whole track, a sub-track's suffix removed ("A2a" -> "A2", "2.1" -> "2"). */
  parent: string;
  /** True for a part of a track ("2.1", "A2a", "A2.b"). */
  sub: boolean;
  /** A medium format the position names ("CD", "DVD"). */
  format: string | null;
}

const MEDIUM_PREFIX = /^(CD|DVD|BD|LP|MC|SACD|VHS|DISC|DISK|CASS)\s*/i;
const FORMAT_OF: Record<string, string> = {
  CD: "CD",
  DVD: "DVD",
  BD: "Blu-ray",
  LP: "Vinyl",
  MC: "Cassette",
  CASS: "Cassette",
  SACD: "SACD",
  VHS: "VHS",
};

/**
 * Reads a position by Discogs' guidelines. With `dotDiscs`, a dot separates the disc as a hyphen does
 * (older entries wrote "1.01" for disc 1, track 1; parseTracklist decides when).
 */
export function parsePosition(position: string, dotDiscs = false): Place {
  const raw = position.trim().replace(/\s+/g, "");
  const p = dotDiscs ? raw.replace(/^(\d{1,3})\.(\d{1,3})$/, "$1-$2") : raw;
  const prefix = MEDIUM_PREFIX.exec(p);
  const format = prefix ? (FORMAT_OF[prefix[1]!.toUpperCase()] ?? null) : null;
  const rest = prefix ? p.slice(prefix[0].length) : p;
  // "1-3", "CD2-4", "2-05.1": disc, hyphen, track (and maybe a sub-track).
  let m = /^(\d{1,3})-(\d{1,3})(?:[.]?([a-z]|\.\d{1,2}))?$/i.exec(rest);
  if (m) {
    const sub = Boolean(m[3]);
    return {
      medium: m[1]!,
      track: Number(m[2]),
      parent: sub ? p.slice(0, p.length - m[3]!.length) : p,
      sub,
      format,
    };
  }
  // "DVD1", "BD2", "CD-3": a prefixed medium of its own, numbered within it.
  const own = prefix ? /^-?(\d{1,3})(\.\d{1,2}|[a-z])?$/.exec(rest) : null;
  if (own) {
    const sub = Boolean(own[2]);
    return {
      medium: prefix![1]!.toUpperCase(),
      track: Number(own[1]),
      parent: sub ? p.slice(0, p.length - own[2]!.length) : p,
      sub,
      format,
    };
  }
  // "A1", "B2", "A2a", "A2.b", "AA": a side, its track, maybe a sub-track.
  m = /^([A-Z]{1,2})(\d{1,3})?(\.?[a-z]|\.\d{1,2})?$/.exec(rest);
  if (m && (m[1]!.length === 1 || m[1]![0] === m[1]![1])) {
    const sub = Boolean(m[3]);
    return {
      medium: `side:${m[1]}`,
      track: m[2] ? Number(m[2]) : null,
      parent: sub ? p.slice(0, p.length - m[3]!.length) : p,
      sub,
      format,
    };
  }
  // "3", "12.34" (track 12, part 34), "2a".
  m = /^(\d{1,3})(\.\d{1,3}|[a-z])?$/.exec(rest);
  if (m) {
    const sub = Boolean(m[2]);
    return {
      medium: null,
      track: Number(m[1]),
      parent: sub ? p.slice(0, p.length - m[2]!.length) : p,
      sub,
      format,
    };
  }
  return { medium: null, track: null, parent: p, sub: false, format };
}

/** A title without any bracketed part: "Rosalita (Come Out Tonight)" -> "Rosalita". */
export function baseTitle(title: string): string {
  return (
    title
      .replace(/\s*[([{][^)\]}]*[)\]}]/g, " ")
      .replace(/\s+/g, " ")
      .trim() || title
  );
}

/** A row title parsed once: its title without the mix, the mix ("Original Mix" = null), and its base. */
export function parseRowTitle(title: string): ParsedRowTitle {
  const parsed = parseTitleText(title);
  return {
    title: parsed.title ?? title,
    mix: parsed.mix,
    base: baseTitle(title),
    featuring: parsed.featuring,
  };
}

/**
 * A side's medium: sides pair into records and cassettes (A and B are the first, C and D the second);
 * an 8-track cartridge holds four programs. "AA" is the B side.
 */
function sideMedium(side: string, perMedium: number): number {
  const letter = side.length === 2 ? String.fromCharCode(side.charCodeAt(0) + 1) : side;
  return Math.floor((letter.charCodeAt(0) - 65) / perMedium) + 1;
}

/** Format entries that are no medium of their own: the box holding the media, or a note on all of them. */
const NOT_A_MEDIUM = /^(?:box set|all media)$/i;

/** The media the physical formats count: their quantities (one when a quantity is missing). */
function mediaQuantity(physical: readonly ReleaseFormat[]): number {
  return physical.reduce((n, f) => n + (Number.isFinite(f.qty) && f.qty > 0 ? f.qty : 1), 0);
}

/** A track before numbering: its rows, its place, its heading. */
interface Pending {
  rows: TracklistRow[];
  place: Place;
  heading: string | null;
  /** The index track's title, when it titles the whole track (a suite of parts). */
  title: string | null;
  /** True when its rows are parts of a track (sub-track positions). */
  part: boolean;
}

/** Playable tracks, sub-tracks merged into their track, index suites resolved. */
function collect(rows: readonly TracklistRow[], dotDiscs: boolean): Pending[] {
  const out: Pending[] = [];
  let heading: string | null = null;
  const push = (row: TracklistRow, title: string | null, group: string | null) => {
    const place = parsePosition(row.position, dotDiscs);
    const last = out.at(-1);
    // A part of the track before it ("A2a" after "A2", or "A2b" after "A2a") joins it.
    if (place.sub && last && last.place.parent === place.parent && row.position.trim() !== "") {
      last.rows.push(row);
      return;
    }
    // A track's first part stands for the whole track: it takes the track's position ("2.1" -> "2").
    out.push({ rows: [row], place: { ...place, sub: false }, heading: group, title, part: place.sub });
  };
  for (const row of rows) {
    if (row.type === "heading") {
      heading = row.title.trim() || null;
      continue;
    }
    if (row.type === "index" && row.subTracks.length > 0) {
      const parts = row.subTracks.map((s) => parsePosition(s.position));
      const suite = parts.every((p) => p.sub || p.parent === "");
      if (suite) {
        // One track of parts: titled by the index track, placed where its parts are.
        const first = row.subTracks.find((s) => s.position.trim() !== "");
        const place = first ? { ...parsePosition(first.position), sub: false } : parsePosition(row.position);
        const parent = row.position.trim() || place.parent;
        out.push({
          rows: row.subTracks,
          place: { ...place, parent },
          heading,
          title: row.title.trim() || null,
          part: true,
        });
      } else {
        for (const s of row.subTracks) push(s, null, row.title.trim() || heading);
      }
      continue;
    }
    push(row, null, heading);
  }
  return out;
}

/** The medium key of each pending track: named by its position, else carried from the track before. */
function mediumKeys(pending: readonly Pending[], sidesPerMedium: number): string[] {
  let current = "1";
  return pending.map((t) => {
    const m = t.place.medium;
    if (m === null) return current;
    current = m.startsWith("side:") ? `rec:${sideMedium(m.slice(5), sidesPerMedium)}` : m;
    return current;
  });
}

/**
 * True when every position is "N.M" and the Ns are no more than the media: the dot then separates discs
 * ("1.1 … 1.20" on one CD, "1.01 … 2.12" on two), as older entries wrote them. Otherwise a dot marks a
 * part of a track ("1, 2.1, 2.2, 3"; "1.1 1.2 2.1" on one CD).
 */
function dotsAreDiscs(rows: readonly TracklistRow[], media: number): boolean {
  const positions = rows.filter((r) => r.type === "track").map((r) => r.position.trim());
  if (positions.length === 0 || !positions.every((p) => /^\d{1,3}\.\d{1,3}$/.test(p))) return false;
  const discs = new Set(positions.map((p) => p.split(".")[0]));
  return discs.size <= Math.max(1, media);
}

/**
 * Parses a tracklist into media and playable tracks. `formats` says how many media the release has when
 * the positions do not (a 2 × CD numbered 1..20 stays one count, with no disc known).
 */
export function parseTracklist(
  rows: readonly TracklistRow[],
  formats: readonly ReleaseFormat[],
): ParsedTracklist {
  // Boxes and notes on all media are no media of their own.
  const physical = formats.filter((f) => !NOT_A_MEDIUM.test(f.name));
  const qty = mediaQuantity(physical);
  const pending = collect(rows, dotsAreDiscs(rows, qty));
  const media8 = formats.some((f) => /8-track/i.test(f.name));
  const keys = mediumKeys(pending, media8 ? 4 : 2);
  const order = [...new Set(keys)];
  const named = pending.some((t) => t.place.medium !== null && !t.place.medium.startsWith("side:"));
  const sides = pending.some((t) => t.place.medium?.startsWith("side:"));
  // Discs are known when positions name them, or sides pair into records, or there is one medium.
  const known = named || sides || qty <= 1 || order.length > 1;
  const formatWord = physical.length === 1 ? physical[0]!.name : null;
  const media: Medium[] = known
    ? order.map((key, i) => {
        const first = pending[keys.indexOf(key)]!;
        const format = first.place.format ?? formatWord;
        return { disc: i + 1, format, title: null, trackCount: keys.filter((k) => k === key).length };
      })
    : [];
  const counters = new Map<string, number>();
  const tracks = pending.map((t, i): ReleaseTrack => {
    const key = keys[i]!;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    const medium = known ? media[order.indexOf(key)]! : null;
    // A heading before a medium's first track titles the medium.
    if (medium && n === 1 && t.heading && medium.title === null) medium.title = t.heading;
    return toTrack(t, medium ? medium.disc : null, known ? n : i + 1);
  });
  return { media, tracks };
}

/** One playable track from its rows: a part's credits and durations add up to the track's. */
function toTrack(t: Pending, disc: number | null, number: number): ReleaseTrack {
  const [first] = t.rows;
  const names = t.rows.map((r) => r.title.trim()).filter(Boolean);
  const title = t.title ?? (t.rows.length > 1 ? names.join(" / ") : first!.title);
  const durations = t.rows.map((r) => r.durationSec);
  const duration = durations.every((d) => d !== null) ? durations.reduce((s, d) => s + d!, 0) : null;
  const parts = t.rows.length > 1 || t.title ? names : [];
  return {
    position: t.part ? t.place.parent : first!.position,
    title,
    durationSec: duration,
    artists: first!.artists,
    extraArtists: t.rows.flatMap((r) => r.extraArtists),
    group: t.heading,
    disc,
    number,
    parts,
    parsed: parseRowTitle(title),
  };
}
