/**
 * The output schema: every response is validated against it. Unknown values are null or empty, never invented.
 */
import { z } from "zod";
import { keyNotations, parseKey } from "./audio/notation.js";
import { MODES } from "./types.js";
import { REASON_CODES, WarningSchema } from "./warnings.js";

/** One stage's record in the diagnostics. */
export const StageRecordSchema = z.object({
  stage: z.string(),
  outcome: z.enum(["hit", "miss", "skipped", "error", "timeout"]),
  /** Why it was skipped, missed or failed, as a bounded code (null on a hit); `reason` has the words. */
  code: z.enum(REASON_CODES).nullable().default(null),
  reason: z.string().nullable(),
  ms: z.number().nonnegative(),
});
export type StageRecord = z.infer<typeof StageRecordSchema>;

/** The score breakdown of the chosen Discogs candidate. */
export const MatchSchema = z.object({
  distance: z.number().nonnegative(),
  recommendation: z.enum(["strong", "medium", "low", "none"]),
  margin: z.number().nullable(),
  penalties: z.record(z.string(), z.number()),
  /** Who chose: the scorer, the LLM among close candidates, or the user (a review choice). */
  selectedBy: z.enum(["scorer", "llm", "user"]),
});
export type MatchInfo = z.infer<typeof MatchSchema>;

/** The release details a tagger writes (plan: get_release_details), for the matched row. */
export const ReleaseDetailsSchema = z.object({
  /** As Discogs prints it: `Vinyl, 12", 33 ⅓ RPM`. */
  format: z.string().nullable(),
  albumArtist: z.string().nullable(),
  /** The row's title as printed on the release, mix included. */
  trackTitle: z.string().nullable(),
  trackNumber: z.number().int().positive().nullable(),
  trackTotal: z.number().int().positive().nullable(),
  discNumber: z.number().int().positive().nullable(),
  discTotal: z.number().int().positive().nullable(),
  /** The disc's own title (a heading before its first track, or the medium's title), when it has one. */
  discTitle: z.string().nullable().default(null),
  /** Credits of the track and of the release that cover it (remixer, producer, writer, featuring...). */
  credits: z.array(z.object({ role: z.string(), name: z.string(), scope: z.enum(["track", "release"]) })),
  /** The tracklist, short form: "A1 Title". */
  tracklist: z.array(z.string()),
  /** The primary image's address, when the API gives one (the offline index has none). */
  coverUrl: z.string().nullable(),
});
export type ReleaseDetails = z.infer<typeof ReleaseDetailsSchema>;

/** A candidate a client or the review flow may offer instead of the answer. */
export const CandidateSchema = z.object({
  releaseId: z.number().int(),
  masterId: z.number().int().nullable(),
  artist: z.string(),
  /** The release's title. */
  album: z.string(),
  year: z.number().int().nullable(),
  country: z.string().nullable(),
  format: z.string().nullable(),
  /** The first label and its catalogue number (null in answers cached before they were listed). */
  label: z.string().nullable().default(null),
  catno: z.string().nullable().default(null),
  /** The tracklist row the track was found on, if any. */
  position: z.string().nullable(),
  track: z.string().nullable(),
  distance: z.number().nonnegative(),
  recommendation: z.enum(["strong", "medium", "low", "none"]),
  penalties: z.record(z.string(), z.number()),
});
export type Candidate = z.infer<typeof CandidateSchema>;

/** Where a BPM or key came from: measured from the audio, or the LLM's estimate (a guess). */
export const FeatureSourceSchema = z.enum(["audio", "llm"]);

/** A tempo, rounded to 0.1 BPM. */
export const BpmSchema = z.object({
  value: z.number().min(20).max(400),
  confidence: z.number().min(0).max(1),
  source: FeatureSourceSchema,
});
export type Bpm = z.infer<typeof BpmSchema>;

/** A key in the three notations DJ software reads: "A minor", Camelot "8A", Open Key "1m". */
export const KeySchema = z.object({
  value: z.string(),
  camelot: z.string(),
  openKey: z.string(),
  confidence: z.number().min(0).max(1),
  source: FeatureSourceSchema,
});
export type Key = z.infer<typeof KeySchema>;

/** Answers cached before BPM and key were objects held the LLM's bare estimate: read them as such. */
const LEGACY_ESTIMATE_CONFIDENCE = 0.8;
function legacyBpm(v: unknown): unknown {
  return typeof v === "number" ? { value: v, confidence: LEGACY_ESTIMATE_CONFIDENCE, source: "llm" } : v;
}
function legacyKey(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const k = parseKey(v);
  return k ? { ...keyNotations(k), confidence: LEGACY_ESTIMATE_CONFIDENCE, source: "llm" } : null;
}

/** The full response body. */
export const TrackMetadataSchema = z.object({
  artist: z.string().nullable(),
  title: z.string().nullable(),
  mix: z.string().nullable(),
  featuring: z.array(z.string()),
  album: z.string().nullable(),
  year: z.number().int().nullable(),
  originalYear: z.number().int().nullable(),
  country: z.string().nullable(),
  label: z.string().nullable(),
  catalogNumber: z.string().nullable(),
  trackPosition: z.string().nullable(),
  genre: z.array(z.string()),
  style: z.array(z.string()),
  audioFeatures: z.object({
    /** Measured from the audio when the file was analysed (`source: "audio"`), else an LLM estimate or null. */
    bpm: z.preprocess(legacyBpm, BpmSchema.nullable()),
    key: z.preprocess(legacyKey, KeySchema.nullable()),
    vocals: z.string().nullable(),
    atmosphere: z.array(z.string()),
    /** True when bpm or key are the LLM's estimate, not a measured fact. */
    estimated: z.boolean(),
  }),
  context: z.object({ background: z.string().nullable(), impact: z.string().nullable() }),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  source: z.enum(["discogs", "llm", "simple"]),
  confidence: z.number().min(0).max(1),
  cached: z.boolean(),
  discogs: z
    .object({ releaseId: z.number().int(), masterId: z.number().int().nullable(), url: z.string() })
    .nullable(),
  match: MatchSchema.nullable(),
  /** The release's format, numbering, credits, tracklist and cover, for a Discogs match. */
  release: ReleaseDetailsSchema.nullable().default(null),
  /**
   * The best candidates, nearest first, when the answer is not a strong match (below the threshold, or
   * low or medium): what a client or `discmeta tag --review` offers instead.
   */
  candidates: z.array(CandidateSchema).default([]),
  /** Set when the item was matched as part of an album (album mode): the album's release and verdict. */
  albumMatch: z
    .object({
      clusterId: z.string(),
      releaseId: z.number().int(),
      recommendation: z.enum(["strong", "medium", "low", "none"]),
      distance: z.number().nonnegative(),
      margin: z.number().nullable(),
      /** The tracklist position the file was assigned to; null when no row fits it (album facts only). */
      position: z.string().nullable(),
      /** Files in the cluster. */
      items: z.number().int().positive(),
      /**
       * How the album was found: a search for the album, its files' own matches, a release id, or (for a
       * file no row fits) its folder's other answers agreeing on one record.
       */
      strategy: z.enum(["album-search", "track-votes", "release-id", "folder-answers"]),
    })
    .nullable()
    .default(null),
  /**
   * Set when the answer was cut short (the deadline, the Discogs budget, or an upstream fault): it is not
   * cached, and asking again after `retryAfterSeconds` may give a better one.
   */
  degraded: z
    .object({
      reason: z.enum(["deadline", "budget", "upstream"]),
      retryAfterSeconds: z.number().int().nonnegative().nullable(),
    })
    .nullable()
    .default(null),
  /**
   * What this answer lacks that its mode promises, to be completed on a later request: "descriptions"
   * when the LLM failed or ran out of time after a Discogs match. Such a match is cached with this mark
   * (never as complete), and the next request in a mode that describes completes it.
   */
  pending: z.array(z.enum(["descriptions"])).default([]),
  /**
   * The fields of this answer that are the LLM's guesses, not facts from Discogs or the audio (Stage 3
   * answers): clients should show them as such, and `tag` writes them only with --allow-guesses.
   */
  guessed: z.array(z.enum(["album", "year", "country", "label", "genre", "style"])).default([]),
  /** What the answer should be read with: `{code, stage, message}` (codes in core/warnings.ts). */
  warnings: z.array(WarningSchema),
  diagnostics: z.object({
    mode: z.enum(MODES),
    extraction: z.object({ source: z.string(), confidence: z.number(), pattern: z.string() }),
    stages: z.array(StageRecordSchema),
    discogsRequests: z.number().int().nonnegative(),
    /** Offline index lookups (free, no budget). */
    indexLookups: z.number().int().nonnegative().default(0),
    /** Which catalogue answered: the API, the offline index, or both; null when none was asked. */
    catalog: z.enum(["api", "index", "index+api"]).nullable().default(null),
    llmCalls: z.number().int().nonnegative(),
    llmTasks: z.array(z.string()),
  }),
});
export type TrackMetadata = z.infer<typeof TrackMetadataSchema>;
