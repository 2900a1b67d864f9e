/**
 * The release details a tagger writes besides the track's identity: the format, the album artist, track
 * and disc numbers with their totals, the credits that apply to the track, a short tracklist and the
 * cover's address. Facts only, all from the Discogs release; pure functions.
 */
import type { ArtistCredit, Release, ReleaseFormat, ReleaseTrack } from "./catalog.js";
import { stripDiscogsSuffix } from "./normalize.js";
import type { ReleaseDetails } from "./schema.js";
import { isVarious, joinCredits } from "./similarity.js";

/** Credits kept in an answer, at most (a big box set credits hundreds). */
const MAX_CREDITS = 40;
/** Tracklist rows kept in an answer, at most. */
const MAX_TRACKLIST = 100;

/**
 * The format as Discogs prints it: `Vinyl, 12", 33 ⅓ RPM`; several formats are joined with " + " and a
 * quantity above one is written `2 × CD`.
 */
export function formatText(formats: readonly ReleaseFormat[]): string | null {
  const parts = formats.map((f) => {
    const name = f.qty > 1 ? `${f.qty} × ${f.name}` : f.name;
    return [name, ...f.descriptions, ...(f.text ? [f.text] : [])].filter((x) => x.trim() !== "").join(", ");
  });
  const text = parts.filter(Boolean).join(" + ");
  return text === "" ? null : text;
}

/**
 * Track and disc numbers of a track, and its disc's title, as the release's parsed tracklist says them
 * (core/release.ts): the track's number by count within its medium, of the medium's tracks; the medium
 * of the media. A release whose positions and formats leave the disc unknown (a 2 × CD numbered 1..20)
 * numbers tracks across the release and gives no disc.
 */
export function numbering(
  release: Release,
  row: ReleaseTrack,
): Pick<ReleaseDetails, "trackNumber" | "trackTotal" | "discNumber" | "discTotal" | "discTitle"> {
  const medium = row.disc !== null ? release.media.find((m) => m.disc === row.disc) : undefined;
  if (!medium)
    return {
      trackNumber: row.number,
      trackTotal: release.tracklist.length > 0 ? release.tracklist.length : null,
      discNumber: null,
      discTotal: null,
      discTitle: null,
    };
  return {
    trackNumber: row.number,
    trackTotal: medium.trackCount,
    discNumber: medium.disc,
    discTotal: release.media.length,
    discTitle: medium.title,
  };
}

/**
 * Whether a release-level credit's `tracks` ("A1, B2", "A1 to A3", "1-1 to 1-4") covers a row. Ranges
 * run in tracklist order; an empty or unreadable list covers every row.
 */
export function creditCovers(
  tracks: string | null | undefined,
  row: ReleaseTrack,
  release: Release,
): boolean {
  if (!tracks || tracks.trim() === "") return true;
  const order = release.tracklist.map((r) => r.position.trim().toUpperCase());
  const at = order.indexOf(row.position.trim().toUpperCase());
  for (const part of tracks.split(",")) {
    const range = /^\s*(.+?)\s+to\s+(.+?)\s*$/i.exec(part);
    if (range) {
      const from = order.indexOf(range[1]!.toUpperCase());
      const to = order.indexOf(range[2]!.toUpperCase());
      if (from < 0 || to < 0) return true;
      if (at >= Math.min(from, to) && at <= Math.max(from, to)) return true;
    } else if (part.trim().toUpperCase() === row.position.trim().toUpperCase()) {
      return true;
    }
  }
  return false;
}

const creditOf = (c: ArtistCredit, scope: "track" | "release") => ({
  role: c.role.trim(),
  name: stripDiscogsSuffix(c.name),
  scope,
});

/** The credits of a row: its own extra artists, then the release's that cover it. Deduplicated. */
export function trackCredits(release: Release, row: ReleaseTrack): ReleaseDetails["credits"] {
  const all = [
    ...row.extraArtists.map((c) => creditOf(c, "track")),
    ...release.extraArtists
      .filter((c) => creditCovers(c.tracks, row, release))
      .map((c) => creditOf(c, "release")),
  ].filter((c) => c.role !== "" && c.name !== "");
  const seen = new Set<string>();
  return all
    .filter((c) => {
      const k = `${c.role.toLowerCase()}|${c.name.toLowerCase()}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .slice(0, MAX_CREDITS);
}

/** The release's primary image, else its first; null offline (the dumps carry no addresses). */
export function coverUrl(release: Release): string | null {
  const images = release.images ?? [];
  return (images.find((i) => i.type === "primary") ?? images[0])?.uri ?? null;
}

/** The tracklist in short form: "A1 Title", one row each. */
export function shortTracklist(release: Release): string[] {
  return release.tracklist
    .slice(0, MAX_TRACKLIST)
    .map((r) => `${r.position} ${r.title}`.trim())
    .filter(Boolean);
}

/** The album artist: the release's credits; "Various Artists" for a compilation. */
export function albumArtistOf(release: Release): string | null {
  if (release.artists.length === 0) return null;
  if (isVarious(release.artists)) return "Various Artists";
  return joinCredits(release.artists);
}

/** Every detail of a release for one of its rows. */
export function releaseDetails(release: Release, row: ReleaseTrack): ReleaseDetails {
  return {
    format: formatText(release.formats),
    albumArtist: albumArtistOf(release),
    trackTitle: row.title.trim() || null,
    ...numbering(release, row),
    credits: trackCredits(release, row),
    tracklist: shortTracklist(release),
    coverUrl: coverUrl(release),
  };
}
