/**
 * The library face: one object that enriches tracks, from plain input or from an audio file, over the
 * same container the HTTP API and the CLI use.
 *
 *   const enricher = createEnricher({ env: { DISCOGS_USER_TOKEN: "...", METADATA_MODE: "fast" } });
 *   const meta = await enricher.enrichFile("music/T-Fire - Say A Prayer.flac");
 *   await enricher.dispose();
 */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { type AppConfig, loadConfig } from "./config.js";
import { type Container, createContainer } from "./container.js";
import type { AudioEvidence } from "./core/audio/analyzer.js";
import { answerWithAudio, stylesOf } from "./core/audio/features.js";
import { InvalidInputError, MetadataError } from "./core/errors.js";
import type { TrackMetadata } from "./core/schema.js";
import type { Mode, RawTags, TrackInput } from "./core/types.js";
import { unreadableTags } from "./core/warnings.js";

/** Per-call options. */
export interface EnrichOptions {
  mode?: Mode;
  signal?: AbortSignal;
  /** The file's path relative to the folder a batch was given ("Artist - Album/01 - Title.flac"). */
  relative?: string;
  /**
   * Measure BPM and key from the file's audio (enrichFile only; needs ffmpeg). The measured values
   * win over any LLM estimate, and the LLM is not asked for them.
   */
  analyze?: boolean;
}

/** Enriches tracks; create one and reuse it, then dispose() it. */
export interface Enricher {
  readonly config: AppConfig;
  /** Stage 1 to Stage 4 on a filename and optional tags. Never throws for upstream faults. */
  enrich(input: TrackInput, options?: EnrichOptions): Promise<TrackMetadata>;
  /**
   * Reads the file's tags, then enriches it. Unreadable or corrupt audio falls back to the filename
   * with a warning; a missing file is an InvalidInputError.
   */
  enrichFile(path: string, options?: EnrichOptions): Promise<TrackMetadata>;
  /**
   * A batch, answers in item order. Items that share a folder (`path`) or album tags are matched as one
   * album; pass `albums: false` to match each alone.
   */
  enrichBatch(
    inputs: readonly TrackInput[],
    options?: EnrichOptions & { albums?: boolean },
  ): Promise<TrackMetadata[]>;
  /** Releases caches and connections. */
  dispose(): Promise<void>;
}

/** Configuration comes from `env` (default: process.env; .env is not read here) or a loaded config. */
export interface EnricherOptions {
  env?: Record<string, string | undefined>;
  config?: AppConfig;
}

/** Reads a file's tags; a file whose tags cannot be read yields none, and says why. */
export async function readFileTags(container: Container, path: string, signal?: AbortSignal) {
  try {
    return { tags: await container.tagReader.read(path, signal), warning: undefined };
  } catch (err) {
    if (err instanceof MetadataError) return { tags: {} as RawTags, warning: err.message };
    throw err;
  }
}

/**
 * The audio's evidence, or why there is none: a file that cannot be decoded, or no decoder, costs
 * only the BPM and key.
 */
export async function audioEvidence(
  container: Container,
  path: string,
  signal?: AbortSignal,
): Promise<AudioEvidence | { error: string }> {
  try {
    return await container.audio.collect(path, signal);
  } catch (err) {
    if (err instanceof MetadataError) return { error: err.message };
    throw err;
  }
}

/** An answer with the audio's BPM and key, judged with the answer's style. */
export function withEvidence(
  container: Container,
  answer: TrackMetadata,
  evidence: AudioEvidence | { error: string },
): TrackMetadata {
  return answerWithAudio(
    answer,
    "error" in evidence ? evidence : container.audio.measure(evidence, stylesOf(answer)),
  );
}

/** Resolves one audio file over a container; shared by the library and the CLI. */
export async function resolveFile(container: Container, path: string, options: EnrichOptions = {}) {
  const { tags, warning } = await readFileTags(container, path, options.signal);
  const input = {
    filename: basename(path),
    tags,
    mode: options.mode,
    audioMeasured: options.analyze === true,
  };
  // The audio is decoded while the catalogue is searched.
  const [resolved, evidence] = await Promise.all([
    container.resolve(input, options),
    options.analyze ? audioEvidence(container, path, options.signal) : undefined,
  ]);
  const result = evidence ? withEvidence(container, resolved, evidence) : resolved;
  if (warning) result.warnings.unshift(unreadableTags(warning));
  return { result, tagWarning: warning };
}

/** Creates an enricher from the environment or a config. Throws ConfigError on bad settings. */
export function createEnricher(options: EnricherOptions = {}): Enricher {
  const config = options.config ?? loadConfig(options.env ?? process.env);
  const container = createContainer(config);
  return {
    config,
    enrich: (input, o = {}) => container.resolve({ ...input, mode: o.mode ?? input.mode }, o),
    enrichBatch: (inputs, o = {}) => container.resolveBatch(inputs, o),
    async enrichFile(path, o) {
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw new InvalidInputError(`"${path}" is not a readable file`, { field: "file" });
      return (await resolveFile(container, path, o)).result;
    },
    dispose: () => container.dispose(),
  };
}
