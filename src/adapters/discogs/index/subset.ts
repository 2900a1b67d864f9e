/**
 * Subsets for small disks: which releases of a dump an index keeps (by genre, style, format, year, or
 * the artists of a music folder). The filter reads the dump's own record, before anything is stored.
 */
import {
  moveTrailingArticle,
  normalizeKey,
  stripDiscogsSuffix,
  stripLeadingThe,
} from "../../../core/normalize.js";
import type { Json } from "./fields.js";

/** What a subset index keeps; every filter given must hold (genres OR'ed within, and so on). */
export interface IndexSubset {
  genres?: string[];
  styles?: string[];
  /** Format names ("Vinyl", "CD", "File"). */
  formats?: string[];
  /** Releases of this year or later (undated ones are kept: they may be anything). */
  since?: number;
  /** Artist names (as a folder's tags and names give them); compared by their key. */
  artists?: string[];
}

/** An artist's comparison key: case, accents, punctuation, "The" and Discogs' "(2)" set aside. */
export function artistKey(name: string): string {
  return normalizeKey(stripLeadingThe(moveTrailingArticle(stripDiscogsSuffix(name.trim()))));
}

const lower = (xs: readonly string[] | undefined) => new Set((xs ?? []).map((x) => x.trim().toLowerCase()));

/** True when the subset has any filter. */
export function isSubset(subset: IndexSubset | undefined): subset is IndexSubset {
  return (
    subset !== undefined &&
    Boolean(
      subset.genres?.length ||
        subset.styles?.length ||
        subset.formats?.length ||
        subset.since ||
        subset.artists?.length,
    )
  );
}

function names(list: unknown): string[] {
  return ((list as { name?: string }[] | undefined) ?? []).map((a) => String(a.name ?? ""));
}

function trackArtists(list: unknown): string[] {
  const out: string[] = [];
  for (const t of (list as { artists?: unknown; sub_tracks?: unknown }[] | undefined) ?? []) {
    out.push(...names(t.artists), ...trackArtists(t.sub_tracks));
  }
  return out;
}

/** Builds the predicate a build applies to each release record (API-shaped JSON). */
export function subsetFilter(subset: IndexSubset | undefined): ((r: Json) => boolean) | null {
  if (!isSubset(subset)) return null;
  const genres = lower(subset.genres);
  const styles = lower(subset.styles);
  const formats = lower(subset.formats);
  const artists = new Set((subset.artists ?? []).map(artistKey).filter(Boolean));
  const anyOf = (want: Set<string>, have: unknown) =>
    want.size === 0 || ((have as string[] | undefined) ?? []).some((x) => want.has(String(x).toLowerCase()));
  return (r) => {
    if (!anyOf(genres, r.genres) || !anyOf(styles, r.styles)) return false;
    if (formats.size > 0 && !names(r.formats).some((f) => formats.has(f.toLowerCase()))) return false;
    if (subset.since) {
      const year = Number(r.year) || Number(String(r.released ?? "").slice(0, 4)) || 0;
      if (year > 0 && year < subset.since) return false;
    }
    if (artists.size > 0) {
      const credited = [...names(r.artists), ...names(r.extraartists), ...trackArtists(r.tracklist)];
      if (!credited.some((a) => artists.has(artistKey(a)))) return false;
    }
    return true;
  };
}

/** The subset in words, for `index info` and diagnostics: "genres Electronic; since 1990". */
export function describeSubset(subset: IndexSubset | undefined): string | null {
  if (!isSubset(subset)) return null;
  const parts: string[] = [];
  if (subset.genres?.length) parts.push(`genres ${subset.genres.join(", ")}`);
  if (subset.styles?.length) parts.push(`styles ${subset.styles.join(", ")}`);
  if (subset.formats?.length) parts.push(`formats ${subset.formats.join(", ")}`);
  if (subset.since) parts.push(`since ${subset.since}`);
  if (subset.artists?.length) parts.push(`${subset.artists.length} artists of a music folder`);
  return parts.join("; ");
}
