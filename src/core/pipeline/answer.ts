/**
 * The one answer path. Every answer the pipeline gives (a single track's, a file an album placed, a file
 * on a release the user chose, a cached one) is built, checked, scrubbed, cached and observed here, so
 * the three ways of matching cannot drift apart in what an answer holds or where it is kept.
 */
import { mapRelease, matchInfo } from "../map-release.js";
import type { Policy } from "../policy.js";
import { type StageRecord, type TrackMetadata, TrackMetadataSchema } from "../schema.js";
import { calibratedConfidence, type Recommendation, recommend, type Scored } from "../score/index.js";
import type { Mode, TrackQuery } from "../types.js";
import { writeCacheEntry } from "./cache-policy.js";
import type { PipelineDeps } from "./deps.js";
import { blankMetadata } from "./simple.js";

/** How a match on a release row was chosen and how sure it is. */
export interface MatchVerdict {
  recommendation: Recommendation;
  margin: number | null;
  confidence: number;
  selectedBy: "scorer" | "llm" | "user";
}

/**
 * The verdict of a file on a row, judged as a track candidate is: its own recommendation and confidence.
 * An artist the file does not name (borrowed from its folder, or a bare title) is judged by the album:
 * `albumArtistPenalty` stands in for it, so the recommendation means what it says for this file.
 */
export function trackVerdict(
  scored: Scored,
  margin: number | null,
  policy: Policy,
  albumArtistPenalty?: number,
): { recommendation: Recommendation; confidence: number } {
  const judged =
    scored.penalties.artist === undefined && albumArtistPenalty !== undefined
      ? { ...scored, penalties: { ...scored.penalties, artist: albumArtistPenalty } }
      : scored;
  return {
    recommendation: recommend(judged, policy),
    confidence: calibratedConfidence(judged, margin, policy),
  };
}

/** The answer of a match: the release's facts on the row (map-release.ts), with its verdict. */
export function matchedAnswer(
  query: TrackQuery,
  mode: Mode,
  best: Scored,
  verdict: MatchVerdict,
): TrackMetadata {
  const result = mapRelease(blankMetadata(query, mode), query, best, best.candidate.masterYear);
  result.confidence = verdict.confidence;
  result.match = matchInfo(best, verdict.recommendation, verdict.margin, verdict.selectedBy);
  return result;
}

/** What finishing an answer needs besides the answer. */
export interface FinishOptions {
  /** The stage records, observed once each. Omitted for an answer read from the cache. */
  records?: readonly StageRecord[];
  mode: Mode;
  /** Where to keep it, when it may be kept; null to keep nothing. */
  cacheKey: string | null;
}

/**
 * Finishes an answer: secrets are scrubbed from every text that came from outside, the answer is checked
 * against the schema, kept in the cache when allowed, and observed (stages and result) once.
 */
export async function finishAnswer(
  deps: PipelineDeps,
  result: TrackMetadata,
  options: FinishOptions,
): Promise<TrackMetadata> {
  if (deps.redact) scrub(result, deps.redact);
  const valid = TrackMetadataSchema.parse(result);
  for (const rec of options.records ?? []) deps.observer?.stage?.(rec, options.mode);
  // A match cached while it lacks its descriptions is kept marked pending, not as degraded: the next
  // request completes it instead of searching the catalogue again.
  if (options.cacheKey)
    await writeCacheEntry(
      deps,
      options.cacheKey,
      valid.pending.length > 0 ? { ...valid, degraded: null, cached: false } : valid,
    );
  deps.observer?.result?.(valid);
  return valid;
}

/**
 * An answer read from the cache, as this run gives it: marked cached, and reporting what this run spent
 * on it (no request, no lookup, no LLM call, no stage time), not what the run that made it spent.
 */
export function fromCache(result: TrackMetadata): TrackMetadata {
  return {
    ...result,
    cached: true,
    diagnostics: {
      ...result.diagnostics,
      stages: result.diagnostics.stages.map((r) => ({ ...r, ms: 0 })),
      discogsRequests: 0,
      indexLookups: 0,
      llmCalls: 0,
      llmTasks: [],
    },
  };
}

/** Scrubs secrets out of every free text of an answer that comes from outside (warnings, reasons). */
export function scrub(result: TrackMetadata, redact: (text: string) => string): void {
  result.warnings = result.warnings.map((w) => ({ ...w, message: redact(w.message) }));
  for (const stage of result.diagnostics.stages) if (stage.reason) stage.reason = redact(stage.reason);
}
