/**
 * Catalogue types: what a MetadataSource (Discogs) returns, already converted from raw API shapes.
 * Adapters convert once at the edge; the core never sees raw JSON.
 */

/** An artist credit on a release or track. */
export interface ArtistCredit {
  id: number | null;
  name: string;
  /** Artist name variation as printed on this release, or null. */
  anv: string | null;
  join: string;
  role: string;
  /** Which tracks an extra-artist credit of a release covers ("A1, B2", "1 to 3"); null for all. */
  tracks?: string | null;
}

/**
 * One playable track of a release, parsed once where the release is converted (core/release.ts): its
 * position as printed, its medium and number by count within the medium, and its parsed title. Parts of
 * one track (sub-tracks) are one track; an index suite of parts is one track titled by the index.
 */
export interface ReleaseTrack {
  position: string;
  title: string;
  durationSec: number | null;
  /** Track-level artists (compilations), empty when the release artists apply. */
  artists: ArtistCredit[];
  extraArtists: ArtistCredit[];
  /** The heading or index title this track sits under, if any. */
  group: string | null;
  /** The medium it is on (1-based), or null when the release does not say (a 2 × CD numbered 1..20). */
  disc: number | null;
  /** Its number by count within its medium (or within the release when the medium is unknown). */
  number: number;
  /** The titles of its parts, when it is made of sub-tracks or an index suite; else empty. */
  parts: string[];
  /** The title parsed once: without its mix, the mix ("Original Mix" = null), the base, featuring. */
  parsed: ParsedRowTitle;
}

/** A tracklist row's title, parsed by the filename grammar. */
export interface ParsedRowTitle {
  title: string;
  mix: string | null;
  base: string;
  featuring: string[];
}

/** One medium of a release: a disc, a record, a cassette, a DVD. */
export interface Medium {
  /** 1-based, in tracklist order. */
  disc: number;
  /** The medium's format when the positions or formats say it ("CD", "DVD", "Vinyl"); else null. */
  format: string | null;
  /** The medium's title: a heading before its first track. */
  title: string | null;
  /** Playable tracks on it. */
  trackCount: number;
}

/** A release's format entry. */
export interface ReleaseFormat {
  name: string;
  qty: number;
  descriptions: string[];
  text: string | null;
}

/** An image of a release, as the API lists it (the dumps carry none of their addresses). */
export interface ReleaseImage {
  type: "primary" | "secondary";
  uri: string;
  width: number | null;
  height: number | null;
}

/** A full release. */
export interface Release {
  id: number;
  masterId: number | null;
  title: string;
  artists: ArtistCredit[];
  year: number | null;
  released: string | null;
  country: string | null;
  labels: { name: string; catno: string | null }[];
  formats: ReleaseFormat[];
  genres: string[];
  styles: string[];
  tracklist: ReleaseTrack[];
  /** The media the tracks are on; empty when the release does not say (one count, several discs). */
  media: Medium[];
  /** Track-independent credits (e.g. "Featuring"). */
  extraArtists: ArtistCredit[];
  url: string;
  status: string | null;
  community: { have: number; want: number } | null;
  /** Images with an address, the primary first; empty offline. */
  images?: ReleaseImage[];
}

/** A master release: the group of all versions of one record. */
export interface Master {
  id: number;
  mainReleaseId: number | null;
  title: string;
  artists: ArtistCredit[];
  year: number | null;
  genres: string[];
  styles: string[];
  url: string;
}

/** One version of a master. */
export interface MasterVersion {
  id: number;
  title: string;
  country: string | null;
  year: number | null;
  format: string;
  majorFormats: string[];
  label: string | null;
  catno: string | null;
}

/** One search result, with the facts the search row carries (used to rank cheaply). */
export interface SearchHit {
  kind: "release" | "master";
  id: number;
  masterId: number | null;
  /** The artist part of "Artist - Title". */
  artist: string;
  /** The release title part of "Artist - Title". */
  title: string;
  year: number | null;
  country: string | null;
  /** Flattened format words: "Vinyl", "12\"", "Album", "Compilation". */
  formats: string[];
  labels: string[];
  catno: string | null;
  genres: string[];
  styles: string[];
  community: { have: number; want: number } | null;
}
