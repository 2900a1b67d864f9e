/**
 * Stage 4: simple extraction. Maps Stage 1's result to the output schema. Never throws.
 */
import type { StageRecord, TrackMetadata } from "../schema.js";
import type { Mode, TrackQuery } from "../types.js";
import { warning } from "../warnings.js";

/** An empty diagnostics block for a mode. */
export function emptyDiagnostics(
  mode: Mode,
  query: TrackQuery & { pattern?: string },
): TrackMetadata["diagnostics"] {
  return {
    mode,
    extraction: {
      source: query.source,
      confidence: query.confidence,
      pattern: query.pattern ?? query.source,
    },
    stages: [] as StageRecord[],
    discogsRequests: 0,
    indexLookups: 0,
    catalog: null,
    llmCalls: 0,
    llmTasks: [],
  };
}

/** A result with every descriptive field empty; the base every stage fills in. */
export function blankMetadata(query: TrackQuery, mode: Mode): TrackMetadata {
  return {
    artist: query.artist,
    title: query.title,
    mix: query.mix,
    featuring: [...query.featuring],
    album: query.hints.album ?? null,
    year: query.hints.year ?? null,
    originalYear: null,
    country: query.hints.country ?? null,
    label: query.hints.label ?? null,
    catalogNumber: query.hints.catno ?? null,
    trackPosition: null,
    genre: query.hints.genre ? [query.hints.genre] : [],
    style: [],
    audioFeatures: { bpm: null, key: null, vocals: null, atmosphere: [], estimated: false },
    pending: [],
    guessed: [],
    context: { background: null, impact: null },
    description: null,
    tags: [],
    source: "simple",
    confidence: 0,
    cached: false,
    discogs: null,
    match: null,
    release: null,
    candidates: [],
    albumMatch: null,
    degraded: null,
    warnings: [],
    diagnostics: emptyDiagnostics(mode, query),
  };
}

/**
 * Stage 4: the input's own facts (tags and filename) in the output schema, `source: "simple"`.
 * Its confidence is Stage 1's, since nothing confirmed it.
 */
export function simpleExtraction(query: TrackQuery, mode: Mode): TrackMetadata {
  const result = blankMetadata(query, mode);
  result.confidence = query.confidence;
  if (!query.artist)
    result.warnings.push(warning("no-artist", "simple", "no artist found in tags or filename"));
  if (!query.title) result.warnings.push(warning("no-title", "simple", "no title found in tags or filename"));
  return result;
}
