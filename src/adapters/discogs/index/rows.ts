/**
 * API-shaped rows built from release bodies: the search row of GET /database/search and the version row
 * of GET /masters/{id}/versions. Shared by the offline index and the test simulator, so both answer in
 * the real shapes (see test/fixtures/discogs-api-samples) and go through the same converters. The index
 * builds its search hits straight from a body (searchHitOf): the hit the API's row converts to, without
 * the row.
 */
import type { SearchHit } from "../../../core/catalog.js";
import { parseYear } from "../../../core/normalize.js";
import { displayArtist, type Json } from "./fields.js";

type Label = { name?: string; catno?: string };
type Format = { name?: string; qty?: string; descriptions?: string[] };

/** What a master row needs beyond its main release's body. */
export interface MasterFacts {
  title: string;
  /** The earliest year of its versions, or 0. */
  year: number;
  /** Community "have" count, summed over versions; 0 offline. */
  have: number;
}

/** One search result row in the real shape; `year` is a string there. */
export function searchRowOf(kind: "release" | "master", id: number, r: Json, master?: MasterFacts): Json {
  const labels = (r.labels as Label[] | undefined) ?? [];
  const formats = (r.formats as Format[] | undefined) ?? [];
  const masterId = kind === "master" ? id : Number(r.master_id) || 0;
  const community = (r.community as { have?: number; want?: number } | undefined) ?? {};
  const have = kind === "master" ? (master?.have ?? 0) : (community.have ?? 0);
  const year = kind === "master" ? master?.year : r.year;
  const row: Json = {
    country: r.country ?? "",
    year: year ? String(year) : "",
    format: formats.flatMap((f) => [f.name ?? "", ...(f.descriptions ?? [])]),
    label: [...new Set(labels.map((l) => l.name ?? ""))],
    type: kind,
    genre: r.genres ?? [],
    style: r.styles ?? [],
    id,
    barcode: [],
    user_data: { in_wantlist: false, in_collection: false },
    master_id: masterId,
    master_url: masterId ? `https://api.discogs.com/masters/${masterId}` : null,
    uri: kind === "master" ? `/master/${id}` : `/release/${id}`,
    catno: labels[0]?.catno ?? "",
    title: `${displayArtist(r.artists as never)} - ${kind === "master" ? (master?.title ?? r.title) : r.title}`,
    thumb: "",
    cover_image: "",
    resource_url: `https://api.discogs.com/${kind}s/${id}`,
    community: { want: community.want ?? 0, have },
  };
  if (kind === "release") {
    row.format_quantity = formats.reduce((n, f) => n + (Number(f.qty) || 1), 0);
    row.formats = formats;
  }
  return row;
}

const trimmed = (s: unknown): string | null => {
  const t = typeof s === "string" ? s.trim() : "";
  return t === "" ? null : t;
};

/**
 * The search hit a body's search row converts to (convert.ts's toSearchHit of searchRowOf), built
 * without the row: the offline index reads it for every candidate of a search. "Artist - Title" is
 * split at its first " - ", as Discogs' own rows are.
 */
export function searchHitOf(
  kind: "release" | "master",
  id: number,
  r: Json,
  master?: MasterFacts,
): SearchHit {
  const labels = (r.labels as Label[] | undefined) ?? [];
  const formats = (r.formats as Format[] | undefined) ?? [];
  const masterId = kind === "master" ? id : Number(r.master_id) || 0;
  const community = (r.community as { have?: number; want?: number } | undefined) ?? {};
  const year = kind === "master" ? master?.year : r.year;
  const joined = `${displayArtist(r.artists as never)} - ${kind === "master" ? (master?.title ?? r.title) : r.title}`;
  const cut = joined.indexOf(" - ");
  return {
    kind,
    id,
    masterId: masterId > 0 ? masterId : null,
    artist: joined.slice(0, cut),
    title: joined.slice(cut + 3),
    year: year ? (parseYear(String(year)) ?? null) : null,
    country: trimmed(r.country),
    formats: [...new Set(formats.flatMap((f) => [f.name ?? "", ...(f.descriptions ?? [])]))],
    labels: [...new Set(labels.map((l) => l.name ?? ""))],
    catno: trimmed(labels[0]?.catno),
    genres: (r.genres as string[] | undefined) ?? [],
    styles: (r.styles as string[] | undefined) ?? [],
    community: {
      have: kind === "master" ? (master?.have ?? 0) : (community.have ?? 0),
      want: community.want ?? 0,
    },
  };
}

/** One row of GET /masters/{id}/versions. */
export function versionRowOf(id: number, r: Json): Json & { id: number; released: string; title: string } {
  const labels = (r.labels as Label[] | undefined) ?? [];
  const formats = (r.formats as Format[] | undefined) ?? [];
  return {
    id,
    label: labels[0]?.name ?? "",
    country: r.country ?? "",
    title: String(r.title ?? ""),
    major_formats: [...new Set(formats.map((f) => f.name ?? ""))],
    format: formats.flatMap((f) => f.descriptions ?? []).join(", "),
    catno: labels[0]?.catno ?? "",
    released: String(r.released ?? r.year ?? "").slice(0, 4),
    status: r.status ?? "Accepted",
    resource_url: `https://api.discogs.com/releases/${id}`,
    thumb: "",
    stats: { community: { in_wantlist: 0, in_collection: 0 }, user: { in_wantlist: 0, in_collection: 0 } },
  };
}

/**
 * A master body derived from its versions, when the dump has no <master> for it: the flagged main
 * release (else the earliest), the earliest year, and the main release's artists and tracklist.
 */
export function deriveMasterBody(masterId: number, main: Json, latestId: number, earliestYear: number): Json {
  return {
    id: masterId,
    main_release: main.id,
    most_recent_release: latestId,
    resource_url: `https://api.discogs.com/masters/${masterId}`,
    uri: `https://www.discogs.com/master/${masterId}`,
    versions_url: `https://api.discogs.com/masters/${masterId}/versions`,
    main_release_url: `https://api.discogs.com/releases/${main.id}`,
    genres: main.genres ?? [],
    styles: main.styles ?? [],
    year: earliestYear,
    tracklist: main.tracklist ?? [],
    artists: main.artists ?? [],
    title: main.title,
    data_quality: "Correct",
  };
}
