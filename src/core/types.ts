/**
 * Core types: the input we receive, what Stage 1 extracts, the candidates Stage 2 scores,
 * and the output schema (see `schema.ts` for its zod form).
 */

/** How much LLM help a request may use. */
export type Mode = "fast" | "balanced" | "accurate";
/** The modes, in order. */
export const MODES = ["fast", "balanced", "accurate"] as const;

/** Where Stage 1 found artist and title. */
export type ExtractionSource = "tags" | "filename" | "llm" | "fallback";

/** Where the final answer came from; returned as `source`. */
export type ResultSource = "discogs" | "llm" | "simple";

/** Tags as read from a file or sent by a client. Every field is untrusted text. */
export interface RawTags {
  artist?: string | undefined;
  /** Several artists, when the container has a multi-value field. */
  artists?: string[] | undefined;
  albumArtist?: string | undefined;
  title?: string | undefined;
  album?: string | undefined;
  year?: number | string | undefined;
  genre?: string | undefined;
  label?: string | undefined;
  catno?: string | undefined;
  barcode?: string | undefined;
  /** Track number, as a number or text such as "3/12" or "A1". */
  track?: number | string | undefined;
  /** Duration in seconds, or text such as "4:45". */
  duration?: number | string | undefined;
  /** A Discogs release id, when a tagger wrote one (e.g. DISCOGS_RELEASE_ID). */
  discogsReleaseId?: number | string | undefined;
  /** The Discogs master id a tagger wrote with it (DISCOGS_MASTER_ID). */
  discogsMasterId?: number | string | undefined;
  /** The original release year a tagger wrote (ORIGINALDATE), e.g. 1999 or "1999-05-03". */
  originalYear?: number | string | undefined;
}

/** Facts the input carries besides artist and title; used as scoring hints. */
export interface TrackHints {
  year?: number;
  country?: string;
  genre?: string;
  label?: string;
  catno?: string;
  barcode?: string;
  album?: string;
  trackNumber?: number;
  durationSec?: number;
  discogsReleaseId?: number;
  /** The master id and original year a tagger wrote with the release id (read only with it). */
  discogsMasterId?: number;
  originalYear?: number;
  /** A YouTube video id from a yt-dlp file name ("Title [MpmbntGDyNE].opus"). */
  youtubeId?: string;
}

/** Stage 1's result: the normalised identity of a track. */
export interface TrackQuery {
  artist: string | null;
  title: string | null;
  /** The mix or version, e.g. "Extended Mix"; null for none or "Original Mix". */
  mix: string | null;
  featuring: string[];
  confidence: number;
  source: ExtractionSource;
  hints: TrackHints;
  /** True when artist and title might be the other way round (no tags to confirm the order). */
  orderUncertain?: boolean;
}

/** What a caller hands to the pipeline. */
export interface TrackInput {
  filename: string;
  /**
   * The path relative to the folder a batch was given ("Artist - Album (1999)/01 - Title.flac"); its
   * folder groups items into albums. Untrusted text, never opened.
   */
  path?: string | undefined;
  tags?: RawTags | undefined;
  mode?: Mode | undefined;
  /** BPM and key are measured from the file's audio: the LLM is not asked for them. */
  audioMeasured?: boolean | undefined;
}

/** Confidence of each Stage 1 source, as in the plan. */
export const EXTRACTION_CONFIDENCE: Record<ExtractionSource, number> = {
  tags: 0.95,
  filename: 0.75,
  llm: 0.85,
  fallback: 0.3,
};
