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

/** One playable row of a tracklist (index tracks are flattened into their sub-tracks). */
export interface ReleaseTrack {
  position: string;
  title: string;
  durationSec: number | null;
  /** Track-level artists (compilations), empty when the release artists apply. */
  artists: ArtistCredit[];
  extraArtists: ArtistCredit[];
  /** The heading or index title this row sits under, if any. */
  group: string | null;
  /**
   * The title parsed once, where the release is converted (never per ranking): the title without its
   * mix, the mix ("Original Mix" = null), and the title without any bracketed part.
   */
  parsed?: ParsedRowTitle;
}

/** A tracklist row's title, parsed by the filename grammar. */
export interface ParsedRowTitle {
  title: string;
  mix: string | null;
  base: string;
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
