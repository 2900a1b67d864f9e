/**
 * From a distance to a verdict, for tracks and albums alike: the ranking, the recommendation (beets'
 * strong/medium/low/none, with its max_rec cap on a plainly different artist), the one margin to the
 * best rival record (Picard's), and the confidence curve. Every number comes from the policy table.
 */
import { DEFAULT_POLICY, type Policy } from "../policy.js";
import { clamp01 as clamp, round3 } from "./distance.js";
import type { Scored } from "./track.js";

/** Recommendation levels, best first. */
export type Recommendation = "strong" | "medium" | "low" | "none";

/** Recommendations from best to worst, for comparisons. */
export const RECOMMENDATIONS: readonly Recommendation[] = ["strong", "medium", "low", "none"];

/** The weaker of two recommendations. */
export function weakerOf(a: Recommendation, b: Recommendation): Recommendation {
  return RECOMMENDATIONS.indexOf(a) >= RECOMMENDATIONS.indexOf(b) ? a : b;
}

/** Orders scored candidates: distance, then the earlier release (the original), popularity, lower id. */
export function rankScored(list: Scored[]): Scored[] {
  const have = (s: Scored) => s.candidate.release?.community?.have ?? s.candidate.hit?.community?.have ?? 0;
  const year = (s: Scored) => s.candidate.release?.year ?? s.candidate.hit?.year ?? 9999;
  return [...list].sort(
    (a, b) =>
      a.distance - b.distance ||
      year(a) - year(b) ||
      have(b) - have(a) ||
      a.candidate.releaseId - b.candidate.releaseId,
  );
}

/** The recommendation for a best candidate, from thresholds and sanity checks on artist and title. */
export function recommend(best: Scored | undefined, policy: Policy = DEFAULT_POLICY): Recommendation {
  if (!best) return "none";
  const { distance, penalties } = best;
  const { thresholds: t, identity: cap } = policy;
  const identity = Math.max(penalties.artist ?? 1, penalties.title ?? 1);
  // As beets' max_rec: an artist that plainly differs ("Dance Nation" for "Double Nation") caps the
  // recommendation at low, however close the rest.
  const artistCap = (penalties.artist ?? 0) > cap.artistCap;
  if (!artistCap && distance <= t.strong && best.row && identity <= cap.strong) return "strong";
  if (!artistCap && distance <= t.medium && identity <= cap.medium) return "medium";
  // Low: within the low distance, with both identities plausible, or the artist exact and the title
  // what a video title adds to it (a full-album upload, a live clip): measured right on the dev set.
  if (distance <= t.low && (identity <= cap.low || (penalties.artist ?? 1) <= cap.strong)) return "low";
  return "none";
}

/**
 * The confidence of a best candidate: the distance curve with the margin's discount, and never above
 * `noneMaxConfidence` for a candidate the scorer does not recommend, so that "none" cannot clear a
 * sane DISCOGS_MIN_CONFIDENCE however close its distance.
 */
export function calibratedConfidence(
  best: Scored,
  margin: number | null,
  policy: Policy = DEFAULT_POLICY,
): number {
  const conf = confidenceOf(best.distance, margin, policy);
  return recommend(best, policy) === "none" ? Math.min(conf, policy.noneMaxConfidence) : conf;
}

/** The record a release belongs to: its master, or the release alone when it has none. */
export const recordOf = (releaseId: number, masterId: number | null): number => masterId ?? -releaseId;

/**
 * The one margin, for tracks and albums alike: how much farther the best candidate of another record
 * is than the best (versions of one record are not rivals); null when there is no rival record.
 */
export function marginOf<T extends { distance: number }>(
  ranked: readonly T[],
  record: (x: T) => number,
): number | null {
  const best = ranked[0];
  if (!best) return null;
  const rival = ranked.find((s) => record(s) !== record(best));
  return rival ? rival.distance - best.distance : null;
}

/** The margin of ranked track candidates. */
export const trackMargin = (ranked: readonly Scored[]): number | null =>
  marginOf(ranked, (s) => recordOf(s.candidate.releaseId, s.candidate.masterId));

/**
 * Maps a distance to a confidence in [0, 1]: piecewise linear through the policy's curve, measured on
 * the dev evaluation (docs/benchmarks.md, "calibration"). A small margin to a rival record lowers it.
 */
export function confidenceOf(
  distance: number,
  margin: number | null,
  policy: Policy = DEFAULT_POLICY,
): number {
  const points = policy.confidenceCurve;
  let conf = 0;
  for (let i = 1; i < points.length; i++) {
    const [d0, c0] = points[i - 1]!;
    const [d1, c1] = points[i]!;
    if (distance <= d1) {
      conf = c0 + ((distance - d0) / (d1 - d0)) * (c1 - c0);
      break;
    }
  }
  // A rival record scoring the same is a coin toss between two answers, whatever the distance.
  const m = policy.margins;
  if (margin !== null && margin < m.tie) conf *= m.tieFactor;
  else if (margin !== null && margin < m.close) conf *= m.closeFactor;
  return round3(clamp(conf));
}
