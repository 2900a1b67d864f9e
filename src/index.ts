/**
 * discmeta as a library: the enricher, the output schema and its types, and the pure helpers of
 * Stage 1 (filename grammar and normalisation) that callers may want on their own.
 */
export { type AppConfig, loadConfig } from "./config.js";
export {
  AbortedError,
  ConfigError,
  InvalidInputError,
  LlmError,
  MetadataError,
  NotFoundError,
  UpstreamError,
} from "./core/errors.js";
export { extractTrack } from "./core/extract.js";
export { parseFilename } from "./core/filename.js";
export { normalizeKey } from "./core/normalize.js";
export { type TrackMetadata, TrackMetadataSchema } from "./core/schema.js";
export type { Mode, RawTags, TrackInput } from "./core/types.js";
export { createEnricher, type Enricher, type EnricherOptions, type EnrichOptions } from "./enricher.js";
