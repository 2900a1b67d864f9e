/**
 * Album matching: the candidate releases of a cluster, scored by the scoring package (score/album.ts)
 * on the same release-level penalties a track candidate has, originality included. Candidates come from
 * the release the files name, an album search, or the releases the files' own single-track matches
 * landed on (the caller's evidence, so a folder that is no album costs nothing extra).
 */
import type { Master, Release, SearchHit } from "../catalog.js";
import { nullIfNotFound } from "../errors.js";
import { DEFAULT_POLICY, type Policy } from "../policy.js";
import type { MetadataSource } from "../ports.js";
import {
  type AlbumScored,
  marginOf,
  type Recommendation,
  recommendAlbum,
  recordOf,
  releasePenalties,
  scoreAlbum,
} from "../score/index.js";
import { type Cluster, type ClusterItem, trackQueryOf } from "./cluster.js";

/** A file of a cluster as the album scorer places it: with the query it is scored with. */
export type AlbumItem = ClusterItem;

/** The outcome of matching a cluster. */
export interface AlbumOutcome {
  best: AlbumScored<ClusterItem> | null;
  /** Every candidate scored, best first. */
  ranked: AlbumScored<ClusterItem>[];
  recommendation: Recommendation;
  /** The one margin: to the best candidate of another record. */
  margin: number | null;
  /** Catalogue calls made for the album. */
  requests: number;
  /** How the candidates were found. */
  strategy: "album-search" | "track-votes" | "release-id" | "none";
}

/** Options of album matching. */
export interface AlbumMatchOptions {
  signal?: AbortSignal | undefined;
  /** Fetch every candidate even after a strong one (so close rivals can be compared). Default false. */
  compare?: boolean;
  policy?: Policy;
}

/** The cluster's files as the scorer places them: a borrowed folder artist is left to the album. */
function placeables(cluster: Cluster): ClusterItem[] {
  return cluster.items.map((item) => ({ ...item, query: trackQueryOf(item) }));
}

/** Scores a release in hand as the cluster's album. */
export function scoreClusterOn(
  cluster: Cluster,
  release: Release,
  masterYear: number | null,
  policy: Policy = DEFAULT_POLICY,
): AlbumScored<ClusterItem> {
  return scoreAlbum(placeables(cluster), cluster, release, masterYear, policy);
}

/** The original year of a master: known from a search row or the files, else one fetch. */
export async function masterYearOf(
  masterId: number | null,
  known: ReadonlyMap<number, number>,
  source: MetadataSource,
  signal: AbortSignal | undefined,
): Promise<{ year: number | null; requests: number }> {
  if (!masterId) return { year: null, requests: 0 };
  const year = known.get(masterId);
  if (year !== undefined) return { year, requests: 0 };
  const master: Master | null = await nullIfNotFound(() => source.getMaster(masterId, signal));
  return { year: master?.year ?? null, requests: 1 };
}

/**
 * One release per record from search hits, best record first: within a record, the version the
 * release-level penalties prefer (the original, not a compilation, reissue or later pressing), as a
 * track candidate would be ranked, then the earlier, the more owned, the lower id.
 */
export function versionsToFetch(
  hits: readonly SearchHit[],
  masterYears: ReadonlyMap<number, number>,
  hints: Cluster["hints"],
  limit: number,
): number[] {
  const groups = new Map<number, { hit: SearchHit; cost: number }>();
  const earliest = new Map<number, number>();
  for (const h of hits)
    if (h.kind === "release" && h.masterId && h.year)
      earliest.set(h.masterId, Math.min(earliest.get(h.masterId) ?? h.year, h.year));
  for (const h of hits) {
    if (h.kind !== "release") continue;
    const masterYear = h.masterId ? (masterYears.get(h.masterId) ?? earliest.get(h.masterId) ?? null) : null;
    const p = releasePenalties(
      { releaseId: h.id, masterId: h.masterId, hit: h, release: null, masterYear, strategies: [] },
      hints,
    );
    const cost = (p.kind ?? 0) + (p.original ?? 0) + (p.year ?? 0) * 0.5;
    const key = recordOf(h.id, h.masterId);
    const prev = groups.get(key);
    if (!prev || cost < prev.cost || (cost === prev.cost && better(h, prev.hit)))
      groups.set(key, { hit: h, cost });
  }
  return [...groups.values()].slice(0, limit).map((g) => g.hit.id);
}

function better(a: SearchHit, b: SearchHit): boolean {
  const ya = a.year ?? 9999;
  const yb = b.year ?? 9999;
  if (ya !== yb) return ya < yb;
  const ha = a.community?.have ?? 0;
  const hb = b.community?.have ?? 0;
  if (ha !== hb) return ha > hb;
  return a.id < b.id;
}

/** The search rows' original years by master. */
function masterYearsOf(hits: readonly SearchHit[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const h of hits) if (h.kind === "master" && h.year) out.set(h.id, h.year);
  return out;
}

/**
 * Scores releases in turn, best first, stopping at the first strong album unless `compare` asks for
 * every one. Each costs its fetch and, when no row told it, its master's year.
 */
async function scoreFetched(
  cluster: Cluster,
  ids: readonly number[],
  masterYears: Map<number, number>,
  source: MetadataSource,
  opts: AlbumMatchOptions,
): Promise<{ scored: AlbumScored<ClusterItem>[]; requests: number }> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const scored: AlbumScored<ClusterItem>[] = [];
  let requests = 0;
  for (const id of ids) {
    requests++;
    const release = await nullIfNotFound(() => source.getRelease(id, opts.signal));
    if (!release) continue;
    const year = await masterYearOf(release.masterId, masterYears, source, opts.signal);
    requests += year.requests;
    if (release.masterId && year.year) masterYears.set(release.masterId, year.year);
    const album = scoreClusterOn(cluster, release, year.year, policy);
    scored.push(album);
    if (!opts.compare && recommendAlbum(album, cluster.items.length, policy) === "strong") break;
  }
  return { scored, requests };
}

/** Candidates by album artist and title: one search (a looser one if it finds nothing). */
async function searchAlbum(cluster: Cluster, source: MetadataSource, opts: AlbumMatchOptions) {
  const policy = opts.policy ?? DEFAULT_POLICY;
  let requests = 0;
  let hits: SearchHit[] = [];
  // The looser search only when the first found nothing.
  for await (const batch of source.findAlbumCandidates(
    { artist: cluster.artist, album: cluster.album! },
    opts.signal,
  )) {
    requests++;
    hits = batch.hits;
    if (hits.length > 0) break;
  }
  const masterYears = masterYearsOf(hits);
  const ids = versionsToFetch(hits, masterYears, cluster.hints, policy.album.maxReleases);
  const found = await scoreFetched(cluster, ids, masterYears, source, opts);
  return { scored: found.scored, requests: requests + found.requests };
}

/**
 * The release the cluster's files name (DISCOGS_RELEASE_ID, as a tagger or a review choice wrote it),
 * when at least half of them name one and none names another.
 */
export function namedRelease(cluster: Cluster): number | null {
  const ids = cluster.items.map((i) => i.query.hints.discogsReleaseId).filter((x) => x !== undefined);
  const unique = new Set(ids);
  return unique.size === 1 && ids.length * 2 >= cluster.items.length ? ids[0]! : null;
}

/** The master years the files carry with their release id (a tagger wrote them): no master fetch. */
function taggedMasterYears(cluster: Cluster): Map<number, number> {
  const out = new Map<number, number>();
  for (const i of cluster.items) {
    const h = i.query.hints;
    if (h.discogsMasterId && h.originalYear) out.set(h.discogsMasterId, h.originalYear);
  }
  return out;
}

/** Ranks scored albums and reads the verdict. */
function outcomeOf(
  scored: AlbumScored<ClusterItem>[],
  cluster: Cluster,
  requests: number,
  strategy: AlbumOutcome["strategy"],
  policy: Policy,
): AlbumOutcome {
  const ranked = [...scored].sort((a, b) => a.distance - b.distance || a.release.id - b.release.id);
  const best = ranked[0] ?? null;
  return {
    best,
    ranked,
    recommendation: recommendAlbum(best, cluster.items.length, policy),
    margin: marginOf(ranked, (a) => recordOf(a.release.id, a.release.masterId)),
    requests,
    strategy: ranked.length > 0 ? strategy : "none",
  };
}

/**
 * Matches a cluster as an album: the release its files name, else an album search when the cluster
 * names an album, else the releases in `evidence` (where the files' own matches landed, most first).
 */
export async function matchAlbum(
  cluster: Cluster,
  source: MetadataSource,
  opts: AlbumMatchOptions & { evidence?: readonly Release[] } = {},
): Promise<AlbumOutcome> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const named = namedRelease(cluster);
  let requests = 0;
  if (named !== null) {
    const found = await scoreFetched(cluster, [named], taggedMasterYears(cluster), source, opts);
    const out = outcomeOf(found.scored, cluster, found.requests, "release-id", policy);
    // The files' own word holds when the release places them; otherwise match as for any album.
    if (out.best && out.recommendation !== "none") return out;
    requests += found.requests;
  }
  if (cluster.album) {
    const found = await searchAlbum(cluster, source, opts);
    return outcomeOf(found.scored, cluster, requests + found.requests, "album-search", policy);
  }
  const masterYears = new Map<number, number>();
  const scored: AlbumScored<ClusterItem>[] = [];
  for (const release of opts.evidence ?? []) {
    const year = await masterYearOf(release.masterId, masterYears, source, opts.signal);
    requests += year.requests;
    scored.push(scoreClusterOn(cluster, release, year.year, policy));
  }
  return outcomeOf(scored, cluster, requests, "track-votes", policy);
}
