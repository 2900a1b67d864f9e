/**
 * Scoring: weighted, named penalties -> a distance and a recommendation, as beets' autotag/distance.py.
 */

/** The weight of each named penalty. Overridable with DISCOGS_SCORE_WEIGHTS. */
export const DEFAULT_SCORE_WEIGHTS = {
  artist: 3,
  title: 3,
  mix: 1.5,
  duration: 1,
  year: 0.5,
  country: 0.3,
  label: 0.5,
  catno: 1,
  kind: 1,
  original: 0.8,
  unverified: 1,
} as const satisfies Record<string, number>;

/** Weights by penalty name. */
export type ScoreWeights = { [K in keyof typeof DEFAULT_SCORE_WEIGHTS]: number };
