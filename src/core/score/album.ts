/**
 * Album scoring, after beets' tag_album: an optimal assignment of files to tracklist rows (Munkres, with
 * each placement's track distance as its cost), and an album distance made of album-level penalties
 * (placed tracks, unmatched files, missing rows, album title, album artist) and the release-level ones
 * a track candidate has too (year, country, label, catalogue number, kind, originality), summed by the
 * one distance with the album weights.
 */
import munkres from "munkres";
import type { Release, ReleaseTrack } from "../catalog.js";
import { type AlbumWeights, DEFAULT_POLICY, type Policy } from "../policy.js";
import { isVarious, textSimilarity } from "../similarity.js";
import type { TrackHints, TrackQuery } from "../types.js";
import { clamp01, type Penalties, weightedDistance } from "./distance.js";
import type { Recommendation } from "./recommend.js";
import { type Candidate, releaseCandidate, releasePenalties } from "./release.js";
import { creditedSimilarity, trackPenalties } from "./track.js";

/** A file to place: its place in the batch and the query it is scored with. */
export interface Placeable {
  index: number;
  query: TrackQuery;
}

/** An album penalty's name. */
export type AlbumPenalty = keyof AlbumWeights;

/** One file placed on a row. */
export interface Placement<T extends Placeable = Placeable> {
  item: T;
  row: ReleaseTrack;
  /** The track distance of the placement (its assignment cost). */
  cost: number;
}

/** A release scored as an album for a group of files. */
export interface AlbumScored<T extends Placeable = Placeable> {
  release: Release;
  /** The candidate the release-level penalties judged (with the master's year when known). */
  candidate: Candidate;
  /** Every penalty: ranks candidates (kind and originality prefer the original when two fit alike). */
  distance: number;
  /** How well the files fit the release, kind and originality left out: the verdict's measure. */
  fit: number;
  penalties: Penalties<AlbumPenalty>;
  placements: Placement<T>[];
  unplaced: T[];
}

/** What a group of files says of its album. */
export interface AlbumFacts {
  artist: string | null;
  album: string | null;
  /** Hints the files agree on (year, country, label, catalogue number). */
  hints: TrackHints;
  /**
   * What named the album: tags, the folder's name, or only the files themselves (a playlist). Files
   * an album the files only imply leaves unplaced (a live video, an interview) weigh in its ranking but
   * not in its verdict, which the placed share gates already.
   */
  evidence?: "tags" | "folder" | "items";
}

/** The cost of placing a file on a row: its track penalties' weighted mean. */
export function placementCost(
  query: TrackQuery & { pattern?: string },
  row: ReleaseTrack,
  candidate: Candidate,
  policy: Policy = DEFAULT_POLICY,
): number {
  if (!query.title) return 1;
  const { cost } = bestReading(query, row, candidate, policy);
  // Among rows that fit alike ("Untitled" on an album of untitled tracks), the file's number decides.
  const n = query.hints.trackNumber;
  const numbered =
    n === undefined || n === row.number || n === (candidate.release?.tracklist.indexOf(row) ?? -2) + 1;
  return numbered ? cost : cost + policy.album.numberSlack;
}

/** Name patterns whose separator is as often inside a title: "Last Rites / Love To Death", "Nr. 1 C-Dur: Allegro". */
const UNSPLIT_JOIN: Readonly<Record<string, string>> = {
  "spaced-slash": " / ",
  ellipsis: "... ",
  colon: ": ",
};

/**
 * The readings a file is placed by: its own and, when its name was split on a separator that titles
 * also hold, the whole name as its title ("Last Rites ⧸ Loved to Deth" is one row, not an artist).
 */
function readingsOf<Q extends TrackQuery & { pattern?: string }>(query: Q): Q[] {
  const join = query.pattern ? UNSPLIT_JOIN[query.pattern] : undefined;
  return join && query.artist && query.title
    ? [query, { ...query, artist: null, title: `${query.artist}${join}${query.title}` }]
    : [query];
}

/** The reading of a file that fits a row best, with its track distance (ties: the file's own). */
function bestReading<Q extends TrackQuery & { pattern?: string }>(
  query: Q,
  row: ReleaseTrack,
  candidate: Candidate,
  policy: Policy,
): { reading: Q; cost: number } {
  let best: { reading: Q; cost: number } | null = null;
  for (const reading of readingsOf(query)) {
    const cost = weightedDistance(trackPenalties(candidate, reading, row), policy.weights.track);
    if (!best || cost < best.cost) best = { reading, cost };
  }
  return best!;
}

/** The reading of a file that fits a row best: the one its placement was judged by, and answers by. */
export function placedReading<Q extends TrackQuery & { pattern?: string }>(
  query: Q,
  row: ReleaseTrack,
  candidate: Candidate,
  policy: Policy = DEFAULT_POLICY,
): Q {
  return bestReading(query, row, candidate, policy).reading;
}

/**
 * Places files on rows optimally (Munkres); placements costlier than the policy's unplaced cost are
 * dropped. A file left over may then share a row with an equally good file (duplicates), never take a
 * row alone.
 */
export function assignItems<T extends Placeable>(
  items: readonly T[],
  candidate: Candidate & { release: Release },
  policy: Policy = DEFAULT_POLICY,
): { placements: Placement<T>[]; unplaced: T[] } {
  const rows = candidate.release.tracklist;
  if (items.length === 0 || rows.length === 0) return { placements: [], unplaced: [...items] };
  const { unplacedCost, forcedSlack, shareSlack } = policy.album;
  const cost = items.map((item) => rows.map((row) => placementCost(item.query, row, candidate, policy)));
  const placements: Placement<T>[] = [];
  const placed = new Set<number>();
  const bestCost = cost.map((row) => Math.min(...row));
  for (const [i, j] of munkres(cost)) {
    const c = cost[i]![j]!;
    // A row far worse than the file's best is a forced pairing ("Östermalm" pushed onto "Södermalm"
    // because its own row was taken): no placement; the file may still share its best row below.
    if (c > unplacedCost || c > bestCost[i]! + forcedSlack) continue;
    placements.push({ item: items[i]!, row: rows[j]!, cost: c });
    placed.add(i);
  }
  // More files than rows for one track (a playlist's several videos of one song, two rips of one
  // track): after the one-to-one assignment, a file left over may share the row it fits best.
  items.forEach((item, i) => {
    if (placed.has(i)) return;
    const c = bestCost[i]!;
    const j = cost[i]!.indexOf(c);
    if (c > unplacedCost || !placements.some((p) => p.row === rows[j] && p.cost <= c + shareSlack)) return;
    placements.push({ item, row: rows[j]!, cost: c });
    placed.add(i);
  });
  return { placements, unplaced: items.filter((_, i) => !placed.has(i)) };
}

/** Scores a release as the album of `items`, judging originality with the master's year when known. */
export function scoreAlbum<T extends Placeable>(
  items: readonly T[],
  facts: AlbumFacts,
  release: Release,
  masterYear: number | null,
  policy: Policy = DEFAULT_POLICY,
): AlbumScored<T> {
  const candidate = { ...releaseCandidate(release, masterYear, "album"), release };
  const { placements, unplaced } = assignItems(items, candidate, policy);
  const p: Penalties<AlbumPenalty> = {};
  p.tracks = placements.length > 0 ? placements.reduce((s, x) => s + x.cost, 0) / placements.length : 1;
  p.unmatched = unplaced.length / Math.max(1, items.length);
  const rows = release.tracklist.length;
  p.missing = rows > 0 ? clamp01((rows - new Set(placements.map((x) => x.row)).size) / rows) : 1;
  if (facts.album) p.album = clamp01((1 - textSimilarity(facts.album, release.title)) * 1.5);
  if (facts.artist && !isVarious(release.artists))
    p.artist = clamp01((1 - creditedSimilarity(facts.artist, release.artists, release.extraArtists)) * 1.2);
  const hints = { ...facts.hints, ...(facts.album ? { album: facts.album } : {}) };
  Object.assign(p, releasePenalties(candidate, hints));
  const weights = policy.weights.album;
  const distance = weightedDistance(p, weights, { empty: 1 });
  // The verdict's measure: an album the files only imply is not held to its files left unplaced.
  const judged = facts.evidence === "items" && p.unmatched ? { ...p, unmatched: 0 } : p;
  const fit = weightedDistance(judged, weights, {
    keep: (k) => k !== "kind" && k !== "original",
    empty: 1,
  });
  return { release, candidate, distance, fit, penalties: p, placements, unplaced };
}

/** The album recommendation: its fit within the thresholds, with most files placed. */
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
