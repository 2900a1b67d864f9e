/**
 * Converts validated raw Discogs shapes to core catalogue types, once, at the edge.
 */
import type {
  ArtistCredit,
  Master,
  MasterVersion,
  Release,
  ReleaseFormat,
  ReleaseImage,
  SearchHit,
} from "../../core/catalog.js";
import { parseDuration, parseYear } from "../../core/normalize.js";
import { parseTracklist, type TracklistRow } from "../../core/release.js";
import type {
  RawArtistCredit,
  RawMaster,
  RawMasterVersions,
  RawRelease,
  RawSearchResult,
  RawTrack,
} from "./types.js";

const nonEmpty = (s: string | null | undefined): string | null => (s && s.trim() !== "" ? s.trim() : null);

/** An artist credit, with ANV as null when empty. */
export function toArtistCredit(a: RawArtistCredit): ArtistCredit {
  const credit: ArtistCredit = {
    id: a.id ?? null,
    name: a.name,
    anv: nonEmpty(a.anv),
    join: a.join ?? "",
    role: a.role ?? "",
  };
  const tracks = nonEmpty(a.tracks);
  if (tracks) credit.tracks = tracks;
  return credit;
}

/** A raw row, its credits converted, as the core's tracklist parser reads it. */
function toRow(row: RawTrack): TracklistRow {
  const type = row.type_ === "heading" || row.type_ === "index" ? row.type_ : "track";
  return {
    position: row.position ?? "",
    type,
    title: row.title ?? "",
    durationSec: parseDuration(row.duration ?? undefined) ?? null,
    artists: (row.artists ?? []).map(toArtistCredit),
    extraArtists: (row.extraartists ?? []).map(toArtistCredit),
    subTracks: (row.sub_tracks ?? []).map((sub) => {
      const converted = toRow(sub);
      // A part without artists of its own is the index track's.
      return converted.artists.length > 0
        ? converted
        : { ...converted, artists: (row.artists ?? []).map(toArtistCredit) };
    }),
  };
}

function toFormat(f: NonNullable<RawRelease["formats"]>[number]): ReleaseFormat {
  const qty = Number(f.qty ?? 1);
  return {
    name: f.name,
    qty: Number.isFinite(qty) ? qty : 1,
    descriptions: f.descriptions ?? [],
    text: nonEmpty(f.text),
  };
}

/** GET /releases/{id} -> Release. */
export function toRelease(r: RawRelease, webBase = "https://www.discogs.com"): Release {
  const formats = (r.formats ?? []).map(toFormat);
  const year = r.year && r.year > 0 ? r.year : (parseYear(r.released ?? undefined) ?? null);
  return {
    id: r.id,
    masterId: r.master_id && r.master_id > 0 ? r.master_id : null,
    title: r.title,
    artists: (r.artists ?? []).map(toArtistCredit),
    year,
    released: nonEmpty(r.released),
    country: nonEmpty(r.country),
    labels: (r.labels ?? []).map((l) => ({ name: l.name, catno: nonEmpty(l.catno) })),
    formats,
    genres: r.genres ?? [],
    styles: r.styles ?? [],
    ...tracklistOf(r.tracklist ?? [], formats),
    extraArtists: (r.extraartists ?? []).map(toArtistCredit),
    url: r.uri?.startsWith("http") ? r.uri : `${webBase}/release/${r.id}`,
    status: nonEmpty(r.status),
    community:
      r.community && (r.community.have != null || r.community.want != null)
        ? { have: r.community.have ?? 0, want: r.community.want ?? 0 }
        : null,
    images: toImages(r.images),
  };
}

/** The tracklist parsed once, here at the edge, into playable tracks and media (core/release.ts). */
function tracklistOf(
  rows: readonly RawTrack[],
  formats: ReleaseFormat[],
): Pick<Release, "tracklist" | "media"> {
  const parsed = parseTracklist(rows.map(toRow), formats);
  return { tracklist: parsed.tracks, media: parsed.media };
}

/** The images that have an address (the dumps blank them), the primary first. */
function toImages(images: RawRelease["images"]): ReleaseImage[] {
  const out: ReleaseImage[] = [];
  for (const i of images ?? []) {
    const uri = nonEmpty(i.uri);
    if (!uri || !/^https?:\/\//i.test(uri)) continue;
    out.push({
      type: i.type === "primary" ? "primary" : "secondary",
      uri,
      width: typeof i.width === "number" ? i.width : null,
      height: typeof i.height === "number" ? i.height : null,
    });
  }
  return out.sort((a, b) => (a.type === b.type ? 0 : a.type === "primary" ? -1 : 1));
}

/** GET /masters/{id} -> Master. */
export function toMaster(m: RawMaster, webBase = "https://www.discogs.com"): Master {
  return {
    id: m.id,
    mainReleaseId: m.main_release ?? null,
    title: m.title,
    artists: (m.artists ?? []).map(toArtistCredit),
    year: m.year && m.year > 0 ? m.year : null,
    genres: m.genres ?? [],
    styles: m.styles ?? [],
    url: m.uri?.startsWith("http") ? m.uri : `${webBase}/master/${m.id}`,
  };
}

/** GET /masters/{id}/versions -> MasterVersion[]. */
export function toMasterVersions(v: RawMasterVersions): MasterVersion[] {
  return v.versions.map((x) => ({
    id: x.id,
    title: x.title,
    country: nonEmpty(x.country),
    year: parseYear(x.released ?? undefined) ?? null,
    format: x.format ?? "",
    majorFormats: x.major_formats ?? [],
    label: nonEmpty(x.label),
    catno: nonEmpty(x.catno),
  }));
}

/** Splits a search row's "Artist - Title" at the first " - " (Discogs joins them so). */
function splitSearchTitle(title: string): { artist: string; title: string } {
  const i = title.indexOf(" - ");
  return i < 0 ? { artist: "", title } : { artist: title.slice(0, i), title: title.slice(i + 3) };
}

/** One search row -> SearchHit, or null for artist and label rows. */
export function toSearchHit(r: RawSearchResult): SearchHit | null {
  if (r.type !== "release" && r.type !== "master") return null;
  const { artist, title } = splitSearchTitle(r.title);
  const formats = [
    ...(r.format ?? []),
    ...(r.formats ?? []).flatMap((f) => [f.name, ...(f.descriptions ?? [])]),
  ];
  return {
    kind: r.type,
    id: r.id,
    masterId: r.type === "master" ? r.id : r.master_id && r.master_id > 0 ? r.master_id : null,
    artist,
    title,
    year: parseYear(r.year ?? undefined) ?? null,
    country: nonEmpty(r.country),
    formats: [...new Set(formats)],
    labels: r.label ?? [],
    catno: nonEmpty(r.catno),
    genres: r.genre ?? [],
    styles: r.style ?? [],
    community: r.community ? { have: r.community.have ?? 0, want: r.community.want ?? 0 } : null,
  };
}
