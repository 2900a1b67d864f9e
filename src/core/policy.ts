/**
 * Every policy number of the pipeline in one table: what a recommendation needs, how distance maps to
 * confidence, what a close rival costs, how many requests and LLM calls a track may spend, and how long
 * fallback answers are cached. The container injects it (PipelineSettings.policy); the functions that
 * read it take it as their last argument, with this table as the default.
 *
 * The numbers are measured: docs/benchmarks.md ("calibration", "precision per recommendation") shows
 * the dev-set figures behind the thresholds and the confidence curve.
 */
import type { Mode } from "./types.js";

/** The weight of each named penalty of a track candidate. Overridable with DISCOGS_SCORE_WEIGHTS. */
export const TRACK_WEIGHTS = {
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

/**
 * The weight of each named penalty of an album candidate: the placed tracks weigh most, missing tracks
 * little (partial folders). Kind and originality weigh as much as a track's, so an album prefers the
 * original pressing exactly as a track does. Overridable with DISCOGS_ALBUM_WEIGHTS.
 */
export const ALBUM_WEIGHTS = {
  tracks: 4,
  unmatched: 3,
  missing: 0.3,
  album: 1.5,
  artist: 1.5,
  year: 0.5,
  country: 0.3,
  label: 0.5,
  catno: 1,
  kind: 0.5,
  original: 0.5,
} as const satisfies Record<string, number>;

/** Track weights by penalty name. */
export type TrackWeights = { [K in keyof typeof TRACK_WEIGHTS]: number };
/** Album weights by penalty name. */
export type AlbumWeights = { [K in keyof typeof ALBUM_WEIGHTS]: number };

/** The pipeline's policy. */
export interface Policy {
  /** The weights of the named penalties: one table for tracks and placements, one for albums. */
  weights: { track: TrackWeights; album: AlbumWeights };
  /** Largest distance of each recommendation. */
  thresholds: { strong: number; medium: number; low: number };
  /**
   * Largest artist or title penalty each recommendation allows. An artist penalty above `artistCap`
   * caps the recommendation at low, however close the rest (beets' max_rec).
   */
  identity: { strong: number; medium: number; low: number; artistCap: number };
  /** Distance -> confidence: the points of a piecewise-linear curve, distance ascending. */
  confidenceCurve: readonly (readonly [distance: number, confidence: number])[];
  /** Highest confidence of a candidate the scorer does not recommend ("none"): below any sane threshold. */
  noneMaxConfidence: number;
  /** A rival record within `tie` (or `close`) of the best multiplies its confidence by the factor. */
  margins: { tie: number; tieFactor: number; close: number; closeFactor: number };
  /** Discogs requests one track may spend, by mode. */
  discogsRequests: Record<Mode, number>;
  /** LLM calls one request may spend, by mode. */
  llmCalls: Record<Mode, number>;
  /** Highest confidence of facts the LLM proposed without Discogs. */
  llmOnlyMaxConfidence: number;
  /**
   * An album's recommendation: its fit within the thresholds (strong's times `strongFitFactor`), with at
   * least this share of its files placed on rows and at most this artist or album penalty.
   */
  album: {
    strongFitFactor: number;
    placed: { strong: number; medium: number; low: number };
    identity: { strong: number; medium: number };
    /** A file costs this much unplaced; a placement above it is no placement. */
    unplacedCost: number;
    /** A placement this much worse than the file's best row is a forced pairing, not a placement. */
    forcedSlack: number;
    /** A file left over may share a row with a file placed within this much of its own cost. */
    shareSlack: number;
    /** What a placement costs more on a row whose number is not the file's (a tie-breaker). */
    numberSlack: number;
    /** Files placed with a track distance above this are matched alone instead. */
    placementAccept: number;
    /** Releases fetched per album search, at most. */
    maxReleases: number;
    /** Album candidates closer than this let the LLM choose (balanced and accurate modes). */
    llmCloseMargin: number;
  };
  /** Discogs requests a track is expected to take at least (a search and a release fetch). */
  minRequestsPerTrack: number;
  /** A fallback answer's cache life as a share of a match's, within bounds (seconds). */
  ttl: { llmShare: number; simpleShare: number; minSeconds: number; simpleMaxSeconds: number };
}

const THRESHOLDS = { strong: 0.06, medium: 0.15, low: 0.3 } as const;

/** The measured defaults. */
export const DEFAULT_POLICY: Policy = {
  weights: { track: { ...TRACK_WEIGHTS }, album: { ...ALBUM_WEIGHTS } },
  thresholds: THRESHOLDS,
  identity: { strong: 0.15, medium: 0.35, low: 0.6, artistCap: 0.3 },
  // Master-level accuracy on the dev set: >= 99% below 0.08, 95% at 0.08-0.10, ~99% at 0.10-0.30 on
  // few answers. The curve stays below the measurement above 0.15, where samples are thin and the real
  // catalogue has far more look-alikes than the dev set.
  confidenceCurve: [
    [0, 0.99],
    [THRESHOLDS.strong, 0.96],
    [THRESHOLDS.medium, 0.9],
    [THRESHOLDS.low, 0.78],
    [0.5, 0.5],
    [1, 0],
  ],
  noneMaxConfidence: 0.5,
  margins: { tie: 0.01, tieFactor: 0.75, close: 0.03, closeFactor: 0.85 },
  discogsRequests: { fast: 5, balanced: 6, accurate: 8 },
  llmCalls: { fast: 0, balanced: 2, accurate: 3 },
  llmOnlyMaxConfidence: 0.6,
  album: {
    strongFitFactor: 1.5,
    placed: { strong: 0.8, medium: 0.6, low: 0.5 },
    identity: { strong: 0.2, medium: 0.4 },
    unplacedCost: 0.45,
    forcedSlack: 0.1,
    shareSlack: 0.05,
    numberSlack: 0.005,
    placementAccept: 0.3,
    maxReleases: 2,
    llmCloseMargin: 0.05,
  },
  minRequestsPerTrack: 2,
  ttl: { llmShare: 1 / 4, simpleShare: 1 / 24, minSeconds: 60, simpleMaxSeconds: 3600 },
};
