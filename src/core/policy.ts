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

/**
 * How much of an artist match a name credited as the music's maker (Written-By, Composed By, Producer)
 * is worth, when the release does not credit it as its artist: 0.75 leaves a penalty of 0.3 where the
 * credited artist has none, so the release of the artist named always ranks first.
 */
export const MAKER_SHARE = 0.75;

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
    /**
     * A folder's answers vouch for its unanswered files (pipeline/folder-answers.ts) when at least `min`
     * of them agree on one record and make up at least `share` of the folder's files.
     */
    folderAnswers: { min: number; share: number };
  };
  /** Discogs requests a track is expected to take at least (a search and a release fetch). */
  minRequestsPerTrack: number;
  /** A fallback answer's cache life as a share of a match's, within bounds (seconds). */
  ttl: { llmShare: number; simpleShare: number; minSeconds: number; simpleMaxSeconds: number };
  /** BPM and key measured from the audio (core/audio). */
  audio: AudioPolicy;
}

/** What audio analysis reports, and when it stays silent. */
export interface AudioPolicy {
  /** The range a tempo is moved into by octaves when no style says otherwise (AUDIO_BPM_RANGE). */
  bpmRange: readonly [number, number];
  /**
   * Where a style's tempo lies, for the octave choice when the match knows the style: drum and bass is
   * near 170, not 85. The first style of the answer found here wins; genres are looked up too.
   */
  styleTempo: Readonly<Record<string, readonly [number, number]>>;
  /** The windows' periods may spread this much (10th to 90th percentile) before the tempo drifts. */
  maxTempoSpread: number;
  /** At least this share of the windows with a beat must agree with the track's tempo. */
  minTempoAgreement: number;
  /** A BPM or key less sure than this is left out. */
  minBpmConfidence: number;
  minKeyConfidence: number;
  /** Seconds of audio decoded at most (a long DJ mix is judged on its start). */
  maxSeconds: number;
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
    folderAnswers: { min: 2, share: 1 / 3 },
  },
  minRequestsPerTrack: 2,
  ttl: { llmShare: 1 / 4, simpleShare: 1 / 24, minSeconds: 60, simpleMaxSeconds: 3600 },
  audio: {
    bpmRange: [70, 180],
    styleTempo: {
      "Drum n Bass": [160, 180],
      Jungle: [155, 180],
      Dubstep: [135, 150],
      Footwork: [155, 165],
      Juke: [155, 165],
      Hardcore: [150, 200],
      Gabber: [150, 220],
      Speedcore: [200, 300],
      Breakcore: [150, 200],
      Hardstyle: [140, 160],
      "Psy-Trance": [135, 150],
      "Goa Trance": [130, 150],
      Trance: [125, 145],
      Techno: [118, 150],
      "Deep House": [110, 130],
      House: [115, 135],
      "UK Garage": [125, 140],
      "Speed Garage": [125, 140],
      Disco: [100, 135],
      "Hi NRG": [120, 140],
      "Trip Hop": [65, 110],
      Downtempo: [65, 115],
      "Boom Bap": [80, 100],
      "Hip Hop": [70, 115],
      Dancehall: [80, 110],
      Reggae: [60, 100],
      Dub: [60, 95],
    },
    maxTempoSpread: 0.03,
    minTempoAgreement: 0.6,
    minBpmConfidence: 0.15,
    minKeyConfidence: 0.25,
    maxSeconds: 600,
  },
};
