/**
 * Ports: the small interfaces the core owns. Adapters implement them and convert raw data first.
 */
import type { z } from "zod";
import type { Master, Release, SearchHit } from "./catalog.js";
import type { TrackMetadata } from "./schema.js";
import type { TagFormat, TagValues } from "./tagging/fields.js";
import type { Mode, RawTags, TrackInput } from "./types.js";

/** Reads tags from an audio file. Throws InvalidInputError for a missing, unreadable or corrupt file. */
export interface TagReader {
  read(path: string, signal?: AbortSignal): Promise<RawTags>;
  /**
   * Everything tag writing needs from one parse: the tags matching reads (as `read` gives them), the
   * current values of the fields discmeta manages (for a diff), the tag format, and whether the file
   * has a front cover already.
   */
  readValues(
    path: string,
  ): Promise<{ tags: RawTags; format: TagFormat; values: TagValues; hasCover: boolean }>;
}

/** A cover to embed: the image's bytes and MIME type. */
export interface CoverImage {
  data: Uint8Array;
  mimeType: string;
}

/**
 * Writes managed tags into an audio file, leaving its audio and every other tag untouched. Atomic: the
 * file is either as before or fully written. Throws InvalidInputError naming the file and the reason
 * (read-only, disk full, not an audio file it can write).
 */
export interface TagWriter {
  /** The formats it writes, by file extension (".mp3", ".flac", ...). */
  readonly extensions: readonly string[];
  /** Sets each field in `values` (others are kept); embeds `cover` as the front cover when given. */
  write(path: string, values: TagValues, options?: { cover?: CoverImage }): Promise<{ format: TagFormat }>;
}

/**
 * A track to find, in the domain's words. The source decides how to search for it (the Discogs API
 * adapter climbs its query ladder; the offline index reads its own tables).
 */
export interface TrackSearch {
  artist: string | null;
  title: string | null;
  /** Other artist/title readings of the same name, most likely first (a name with several dashes). */
  readings?: readonly { artist: string; title: string }[];
  /** A name no grammar could split, to be searched whole. */
  text?: string;
  album?: string;
  label?: string;
  catno?: string;
  barcode?: string;
  year?: number;
  /** True when artist and title may be the other way round. */
  orderUncertain?: boolean;
  /** Search once with exactly these facts, no variants (a query the LLM wrote). */
  exact?: boolean;
}

/** An album to find: its title, and its artist when known. */
export interface AlbumSearch {
  artist: string | null;
  album: string;
}

/** What one search found: the release (and master) rows, and the name of the search that found them. */
export interface CandidateBatch {
  strategy: string;
  hits: SearchHit[];
}

/**
 * Finds releases: candidates for a track or an album, and releases and masters by id. Throws
 * NotFoundError when an id does not exist, UpstreamError on faults.
 *
 * Candidates come batch by batch, from the most precise search to the loosest; each batch costs one
 * lookup (one API request), and the caller stops pulling once it has what it needs.
 */
export interface ReleaseSource {
  findTrackCandidates(query: TrackSearch, signal?: AbortSignal): AsyncIterable<CandidateBatch>;
  findAlbumCandidates(query: AlbumSearch, signal?: AbortSignal): AsyncIterable<CandidateBatch>;
  getRelease(id: number, signal?: AbortSignal): Promise<Release>;
  getMaster(id: number, signal?: AbortSignal): Promise<Master>;
}

/** Finds the releases a YouTube video is attached to, best first (a source built from the dumps can). */
export interface VideoLookup {
  findByVideoId(videoId: string, signal?: AbortSignal): Promise<number[]>;
}

/** Fetches a release image by the address its release gives (`release.images`), within the budget. */
export interface ImageSource {
  getImage(url: string, signal?: AbortSignal): Promise<CoverImage>;
}

/**
 * A catalogue that holds only part of Discogs (an offline index built as a subset for a small disk): what
 * it keeps, in words ("genres Electronic; since 1990"), so a miss can say the API may know more.
 */
export interface PartialCatalogue {
  readonly subset: string | null;
}

/** A catalogue: a release source with whichever optional capabilities it has. */
export type MetadataSource = ReleaseSource &
  Partial<VideoLookup> &
  Partial<ImageSource> &
  Partial<PartialCatalogue>;

/** The LLM tasks the pipeline may run. */
export type LlmTask = "query" | "select" | "describe" | "llm-only" | "split";

/** Usage of one LLM call. */
export interface LlmUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  /** Attempts made, including the repair retry. */
  attempts: number;
  /** Requests sent to the provider (retries and the repair included); each counts against the budget. */
  calls?: number;
}

/** Options of one LLM call. */
export interface LlmCallOptions {
  signal?: AbortSignal;
  /** Upper bound on the time this call may take, in ms. */
  timeoutMs?: number;
}

/** A language model that answers with JSON validated against a zod schema. Throws LlmError on failure. */
export interface LlmClient {
  generate<T>(
    task: LlmTask,
    schema: z.ZodType<T>,
    input: unknown,
    options?: LlmCallOptions,
  ): Promise<{ value: T; usage: LlmUsage }>;
}

/**
 * A key-value cache with TTLs. A call may throw UpstreamError when the backing server is down; the
 * pipeline then carries on uncached and reports it in `warnings`.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  dispose(): Promise<void>;
}

/** One item of a bulk job: what the single endpoint takes, plus the path that groups it into an album. */
export interface JobItem {
  filename: string;
  tags?: RawTags | undefined;
  /** "Artist - Album (Year)/01 - Title.flac": the folder groups items into albums. */
  path?: string | undefined;
}

/** An item's answer in a job: the metadata, or why it failed; null while pending. */
export type JobResult = TrackMetadata | { error: string } | null;

/** A job's progress and a page of its results, in item order. */
export interface JobStatus {
  id: string;
  state: "waiting" | "active" | "completed";
  mode: Mode | null;
  total: number;
  done: number;
  failed: number;
  /** Results of items offset..offset+results.length-1. */
  offset: number;
  results: JobResult[];
}

/** A chunk of a job that one worker answers: items with their index in the job. */
export interface JobChunk {
  jobId: string;
  mode: Mode | null;
  items: { index: number; input: TrackInput & { path?: string | undefined } }[];
}

/**
 * Bulk jobs: submitted once, answered by any number of workers, each item answered exactly once.
 * Throws UpstreamError when the backing service is down.
 */
export interface JobQueue {
  submit(items: JobItem[], mode?: Mode): Promise<string>;
  /** Null for an unknown (or expired) job. */
  status(id: string, page?: { offset?: number; limit?: number }): Promise<JobStatus | null>;
  dispose(): Promise<void>;
}

/**
 * Decodes an audio file to mono samples (−1…1) at a low rate, in chunks as they come: never the whole
 * file at once. Throws InvalidInputError for a file it cannot decode, and AudioUnavailableError when no
 * decoder is installed.
 */
export interface AudioDecoder {
  decode(
    path: string,
    options: { sampleRate: number; maxSeconds: number; signal?: AbortSignal | undefined },
  ): AsyncIterable<Float32Array>;
}
