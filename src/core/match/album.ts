/**
 * Album matching, after beets' tag_album: candidate releases for a cluster (by album artist and title,
 * or from the items' own per-track evidence), an optimal assignment of files to tracklist rows
 * (Munkres, with the track penalties as the cost), and an album distance made of album-level penalties
 * plus the assigned tracks' distances. One search and one release fetch per album, not per track.
 */
import munkres from "munkres";
import type { Release, ReleaseTrack, SearchHit } from "../catalog.js";
import { NotFoundError } from "../errors.js";
import { findRelease } from "../match/find.js";
import { DEFAULT_POLICY, type Policy } from "../policy.js";
import type { MetadataSource } from "../ports.js";
import {
  type Candidate,
  distanceOf,
  type Recommendation,
  releasePenalties,
  type ScoreWeights,
  trackPenalties,
} from "../score.js";
import { artistSimilarity, isVarious, textSimilarity } from "../similarity.js";
import { type Cluster, type ClusterItem, trackQueryOf } from "./cluster.js";

/** An item that could not be placed costs this much; a placement above it is no placement. */
export const UNPLACED_COST = 0.45;

/** Album-level penalty weights: the assigned tracks weigh most, missing tracks little (partial folders). */
export const ALBUM_WEIGHTS = {
  tracks: 4,
  unmatched: 3,
  missing: 0.3,
  album: 1.5,
  artist: 1.5,
  year: 0.5,
  kind: 0.5,
  original: 0.5,
} as const;
/** One album-level penalty. */
export type AlbumPenalty = keyof typeof ALBUM_WEIGHTS;

/** One file placed on a row. */
export interface Placement {
  item: ClusterItem;
  row: ReleaseTrack;
  /** The track distance of the placement (its assignment cost). */
  cost: number;
}

/** A candidate release scored as an album for a cluster. */
export interface AlbumScored {
  release: Release;
  /** Every penalty: ranks candidates (kind and originality prefer the original when two fit alike). */
  distance: number;
  /** How well the files fit the release, kind and originality left out: the verdict's measure. */
  fit: number;
  penalties: Partial<Record<AlbumPenalty, number>>;
  placements: Placement[];
  unplaced: ClusterItem[];
}

/** The outcome of matching a cluster. */
export interface AlbumOutcome {
  best: AlbumScored | null;
  /** Every candidate scored, best first. */
  ranked: AlbumScored[];
  recommendation: Recommendation;
  margin: number | null;
  /** Catalogue calls made for the album. */
  requests: number;
  /** How the candidates were found. */
  strategy: "album-search" | "track-votes" | "release-id" | "none";
  /** Original years the search rows told (master id -> year), so no master fetch is needed. */
  masterYears: Map<number, number>;
}

/** Options of album matching. */
export interface AlbumMatchOptions {
  weights: ScoreWeights;
  signal?: AbortSignal;
  /** Releases fetched per album, at most. Default 2. */
  maxReleases?: number;
  /** Items matched alone to find the release when the cluster names no album. Default 3. */
  sampleSize?: number;
  /** Fetch every candidate even after a strong one (so close rivals can be compared). Default false. */
  compare?: boolean;
  /** Thresholds of the album recommendation; default DEFAULT_POLICY. */
  policy?: Policy;
}

const clamp = (x: number) => Math.min(1, Math.max(0, x));

const candidateOf = (release: Release): Candidate => ({
  releaseId: release.id,
  masterId: release.masterId,
  hit: null,
  release,
  masterYear: null,
  strategies: ["album"],
});

/** Builds the candidate of a release fetched for an album. */
export function albumCandidate(release: Release, masterYear: number | null): Candidate {
  return { ...candidateOf(release), masterYear };
}

/** The cost of placing an item on a row: its track penalties' weighted mean. */
export function placementCost(
  item: ClusterItem,
  row: ReleaseTrack,
  release: Release,
  weights: ScoreWeights,
): number {
  if (!item.query.title) return 1;
  return distanceOf(trackPenalties(candidateOf(release), trackQueryOf(item), row), weights);
}

/**
 * Places items on rows optimally (Munkres); placements costlier than UNPLACED_COST are dropped. A file
 * left over may then share a row with an equally good file (duplicates), never take a row alone.
 */
export function assignItems(
  items: readonly ClusterItem[],
  release: Release,
  weights: ScoreWeights,
): { placements: Placement[]; unplaced: ClusterItem[] } {
  const rows = release.tracklist;
  if (items.length === 0 || rows.length === 0) return { placements: [], unplaced: [...items] };
  const cost = items.map((item) => rows.map((row) => placementCost(item, row, release, weights)));
  const placements: Placement[] = [];
  const placed = new Set<number>();
  const bestCost = cost.map((row) => Math.min(...row));
  for (const [i, j] of munkres(cost)) {
    const c = cost[i]![j]!;
    // A row far worse than the file's best is a forced pairing ("Östermalm" pushed onto "Södermalm"
    // because its own row was taken): no placement; the file may still share its best row below.
    if (c > UNPLACED_COST || c > bestCost[i]! + 0.1) continue;
    placements.push({ item: items[i]!, row: rows[j]!, cost: c });
    placed.add(i);
  }
  // More files than rows for one track (a playlist's several videos of one song, two rips of one
  // track): after the one-to-one assignment, a file left over may share the row it fits best.
  items.forEach((item, i) => {
    if (placed.has(i)) return;
    const row = cost[i]!;
    const c = bestCost[i]!;
    const j = row.indexOf(c);
    if (c > UNPLACED_COST || !placements.some((p) => p.row === rows[j] && p.cost <= c + 0.05)) return;
    placements.push({ item, row: rows[j]!, cost: c });
    placed.add(i);
  });
  return { placements, unplaced: items.filter((_, i) => !placed.has(i)) };
}

/** Scores a release as the cluster's album. */
export function scoreAlbum(cluster: Cluster, release: Release, weights: ScoreWeights): AlbumScored {
  const { placements, unplaced } = assignItems(cluster.items, release, weights);
  const p: AlbumScored["penalties"] = {};
  const n = cluster.items.length;
  p.tracks = placements.length > 0 ? placements.reduce((s, x) => s + x.cost, 0) / placements.length : 1;
  p.unmatched = unplaced.length / n;
  p.missing =
    release.tracklist.length > 0
      ? clamp((release.tracklist.length - placements.length) / release.tracklist.length)
      : 1;
  if (cluster.album) p.album = clamp((1 - textSimilarity(cluster.album, release.title)) * 1.5);
  if (cluster.artist && !isVarious(release.artists))
    p.artist = clamp((1 - artistSimilarity(cluster.artist, release.artists)) * 1.2);
  const rel = releasePenalties(candidateOf(release), {
    title: null,
    hints: {
      ...(cluster.year ? { year: cluster.year } : {}),
      ...(cluster.album ? { album: cluster.album } : {}),
    },
  });
  if (rel.year !== undefined) p.year = rel.year;
  p.kind = rel.kind ?? 0;
  p.original = rel.original ?? 0;
  const weighted = (keep: (k: AlbumPenalty) => boolean) => {
    let sum = 0;
    let total = 0;
    for (const [k, v] of Object.entries(p) as [AlbumPenalty, number][]) {
      if (!keep(k)) continue;
      sum += ALBUM_WEIGHTS[k] * v;
      total += ALBUM_WEIGHTS[k];
    }
    return total > 0 ? sum / total : 1;
  };
  const distance = weighted(() => true);
  const fit = weighted((k) => k !== "kind" && k !== "original");
  return { release, distance, fit, penalties: p, placements, unplaced };
}

/** The album recommendation: the distance thresholds, and most files placed. */
export function recommendAlbum(
  best: AlbumScored | null,
  items: number,
  policy: Policy = DEFAULT_POLICY,
): Recommendation {
  if (!best || best.placements.length === 0) return "none";
  const placedShare = best.placements.length / Math.max(1, items);
  const identity = Math.max(best.penalties.artist ?? 0, best.penalties.album ?? 0);
  const { thresholds: t } = policy;
  const { strongFitFactor, placed, identity: cap } = policy.album;
  // A compilation the files fit perfectly is still their album: the verdict reads the fit.
  if (best.fit <= t.strong * strongFitFactor && placedShare >= placed.strong && identity <= cap.strong)
    return "strong";
  if (best.fit <= t.medium && placedShare >= placed.medium && identity <= cap.medium) return "medium";
  if (best.fit <= t.low && placedShare >= placed.low) return "low";
  return "none";
}

const isCompilation = (h: SearchHit) => h.formats.some((f) => /compilation/i.test(f));

/** Release ids from search hits, best first, one per master: its earliest version, compilations last. */
function releasesFromHits(hits: readonly SearchHit[], limit: number): number[] {
  const byMaster = new Map<string, SearchHit>();
  const better = (h: SearchHit, prev: SearchHit) =>
    isCompilation(h) !== isCompilation(prev) ? !isCompilation(h) : (h.year ?? 9999) < (prev.year ?? 9999);
  for (const h of hits) {
    if (h.kind !== "release") continue;
    const k = h.masterId ? `m${h.masterId}` : `r${h.id}`;
    const prev = byMaster.get(k);
    if (!prev || better(h, prev)) byMaster.set(k, h);
  }
  return [...byMaster.values()].slice(0, limit).map((h) => h.id);
}

/** A release by id, or null when the catalogue has none (any other fault is thrown). */
async function fetchRelease(
  id: number,
  source: MetadataSource,
  signal?: AbortSignal,
): Promise<Release | null> {
  try {
    return await source.getRelease(id, signal);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/**
 * Candidates by album artist and title: one search, then releases fetched one at a time, best first,
 * stopping at the first that is a strong album match (most albums cost a search and one fetch).
 */
async function searchAlbum(cluster: Cluster, source: MetadataSource, opts: AlbumMatchOptions) {
  let requests = 1;
  let hits = await source.search(
    { ...(cluster.artist ? { artist: cluster.artist } : {}), release_title: cluster.album!, per_page: 50 },
    opts.signal,
  );
  if (hits.length === 0 && cluster.artist) {
    requests++;
    hits = await source.search({ q: `${cluster.artist} ${cluster.album}`, per_page: 50 }, opts.signal);
  }
  const masterYears = new Map<number, number>();
  for (const h of hits) if (h.kind === "master" && h.year) masterYears.set(h.id, h.year);
  const scored: AlbumScored[] = [];
  for (const id of releasesFromHits(hits, opts.maxReleases ?? 2)) {
    requests++;
    const release = await fetchRelease(id, source, opts.signal);
    if (!release) continue;
    const album = scoreAlbum(cluster, release, opts.weights);
    scored.push(album);
    if (!opts.compare && recommendAlbum(album, cluster.items.length, opts.policy) === "strong") break;
  }
  return { scored, requests, masterYears };
}

/**
 * Candidates from the items' own evidence, when the cluster names no album (a YouTube playlist): a few
 * items are matched alone, and the release most of them land on is the candidate.
 */
async function voteAlbum(cluster: Cluster, source: MetadataSource, opts: AlbumMatchOptions) {
  const sample = cluster.items.filter((i) => i.query.artist && i.query.title).slice(0, opts.sampleSize ?? 4);
  const votes = new Map<string, { release: Release; n: number }>();
  let requests = 0;
  for (const item of sample) {
    const out = await findRelease(item.query, source, {
      weights: opts.weights,
      maxResults: 10,
      maxRequests: 4,
      signal: opts.signal,
      policy: opts.policy,
    });
    requests += out.requests;
    const best = out.best;
    if (!best?.candidate.release || out.recommendation === "none") continue;
    const k = best.candidate.masterId ? `m${best.candidate.masterId}` : `r${best.candidate.releaseId}`;
    const v = votes.get(k) ?? { release: best.candidate.release, n: 0 };
    v.n++;
    votes.set(k, v);
    // Two items on one release is enough to try it: the assignment of every file then judges it.
    if (v.n >= 2) break;
  }
  // Even one vote is a candidate: a wrong release places few files and is refused as an album.
  const ranked = [...votes.values()].sort((a, b) => b.n - a.n);
  return {
    scored: ranked.slice(0, opts.maxReleases ?? 2).map((w) => scoreAlbum(cluster, w.release, opts.weights)),
    requests,
    masterYears: new Map<number, number>(),
  };
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

/**
 * Candidates from the release the files name: one fetch, no search. The master's year comes from the
 * files too when they carry it.
 */
async function namedAlbum(cluster: Cluster, id: number, source: MetadataSource, opts: AlbumMatchOptions) {
  const release = await fetchRelease(id, source, opts.signal);
  const masterYears = new Map<number, number>();
  const hints = cluster.items.find((i) => i.query.hints.discogsMasterId)?.query.hints;
  if (release?.masterId && hints?.discogsMasterId === release.masterId && hints.originalYear)
    masterYears.set(release.masterId, hints.originalYear);
  return { scored: release ? [scoreAlbum(cluster, release, opts.weights)] : [], requests: 1, masterYears };
}

/** Matches a cluster as an album. */
export async function matchAlbum(
  cluster: Cluster,
  source: MetadataSource,
  opts: AlbumMatchOptions,
): Promise<AlbumOutcome> {
  const named = namedRelease(cluster);
  if (named !== null) {
    const found = await namedAlbum(cluster, named, source, opts);
    const best = found.scored[0] ?? null;
    const recommendation = recommendAlbum(best, cluster.items.length, opts.policy);
    // The files' own word holds when the release places them; otherwise search as for any album.
    if (best && recommendation !== "none")
      return {
        best,
        ranked: found.scored,
        recommendation,
        margin: null,
        requests: found.requests,
        strategy: "release-id",
        masterYears: found.masterYears,
      };
  }
  const strategy = cluster.album ? "album-search" : "track-votes";
  const found = cluster.album
    ? await searchAlbum(cluster, source, opts)
    : await voteAlbum(cluster, source, opts);
  const scored = [...found.scored].sort((a, b) => a.distance - b.distance);
  const best = scored[0] ?? null;
  const margin = scored.length > 1 ? scored[1]!.distance - scored[0]!.distance : null;
  return {
    best,
    ranked: scored,
    recommendation: recommendAlbum(best, cluster.items.length, opts.policy),
    margin,
    requests: found.requests,
    strategy: scored.length > 0 ? strategy : "none",
    masterYears: found.masterYears,
  };
}
