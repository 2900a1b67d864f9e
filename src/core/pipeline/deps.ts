/**
 * What every part of the pipeline shares: its settings, its observer hooks and its dependencies (the
 * ports the container wires in). Nothing here runs; it is the pipeline's vocabulary.
 */
import type { Cluster } from "../match/cluster.js";
import { DEFAULT_POLICY, type Policy } from "../policy.js";
import type { Cache, LlmClient, MetadataSource } from "../ports.js";
import type { StageRecord, TrackMetadata } from "../schema.js";
import type { AlbumScored } from "../score/index.js";
import type { Mode } from "../types.js";
import type { ReasonCode } from "../warnings.js";
import type { Breaker } from "./breaker.js";
import type { DiscogsBudget } from "./cache-policy.js";
import type { CatalogKind } from "./catalog-source.js";
import type { Stage, StageContext } from "./stages.js";

/** Settings the pipeline needs, already validated by config. */
export interface PipelineSettings {
  mode: Mode;
  /** Null when Stage 2 may run, else why not. */
  discogsDisabled: string | null;
  /** Null when the LLM may be called, else why not. */
  llmDisabled: string | null;
  useLlmFallback: boolean;
  useLlmSelection: boolean;
  maxResults: number;
  minConfidence: number;
  /** Overall deadline per request in ms; 0 for none. */
  timeoutMs: number;
  cacheTtlSeconds: number;
  /** Share (0..100) of inputs for which Stage 2 runs, by a stable hash. */
  discogsRolloutPercent: number;
  /** Thresholds, caps, margins, budgets and TTL ratios (core/policy.ts). */
  policy: Policy;
}

/** Defaults for settings: no Discogs, no LLM, balanced. */
export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  mode: "balanced",
  discogsDisabled: "no Discogs source configured",
  llmDisabled: "no LLM configured",
  useLlmFallback: true,
  useLlmSelection: true,
  maxResults: 10,
  minConfidence: 0.7,
  timeoutMs: 8000,
  cacheTtlSeconds: 24 * 3600,
  discogsRolloutPercent: 100,
  policy: DEFAULT_POLICY,
};

/** Hooks for logs and metrics; every one is optional. */
export interface PipelineObserver {
  stage?(record: StageRecord, mode: Mode): void;
  cache?(outcome: "hit" | "miss" | "error"): void;
  /** A stage that fell through to the next, with the bounded code of why. */
  fallback?(stage: string, code: ReasonCode): void;
  /** One LLM call (retries and repair included): its latency and tokens. */
  llm?(
    task: string,
    outcome: "ok" | "error",
    usage: { seconds: number; inputTokens: number; outputTokens: number },
  ): void;
  /** Every answer, as it leaves the pipeline (cached or not). */
  result?(result: TrackMetadata): void;
  log?(level: "debug" | "info" | "warn", msg: string, data?: Record<string, unknown>): void;
}

/** Everything the pipeline depends on; adapters are wired in by the container. */
export interface PipelineDeps {
  settings: PipelineSettings;
  source?: MetadataSource | null;
  /** What `source` is: the API (costs budget) or an offline index. Default "api". */
  sourceKind?: CatalogKind;
  /** The API behind an index, for what the index lacks. */
  fallbackSource?: MetadataSource | null;
  /** Opens after a run of Discogs faults, so requests skip it at once until a probe succeeds. */
  breaker?: Breaker | null;
  /** The Discogs API budget, to refuse at once what cannot be served before the deadline. */
  budget?: DiscogsBudget | null;
  /**
   * Scrubs every configured secret out of text that leaves the process (warnings, stage reasons): an
   * upstream's error text may repeat a key. Defaults to none.
   */
  redact?: (text: string) => string;
  /** Where API release and master bodies are kept by id, and for how long. */
  bodyCache?: { cache: Cache; ttlSeconds: number } | null;
  llm?: LlmClient | null;
  cache?: Cache | null;
  observer?: PipelineObserver;
  /** The stages after Stage 1, in order; defaults to the simple stage alone. */
  stages?: readonly Stage[];
  /**
   * Album mode: may choose among close album candidates (the LLM, once per album, never per track);
   * returns the index of the chosen candidate, or null to keep the scorer's.
   */
  albumSelect?: (
    ctx: StageContext,
    cluster: Cluster,
    ranked: readonly AlbumScored[],
  ) => Promise<number | null>;
  /**
   * Completes a cached Discogs match that lacks what its mode promises (its descriptions): it sets
   * `ctx.pending` again when it fails.
   */
  complete?: (ctx: StageContext, result: TrackMetadata) => Promise<void>;
  /** Steps that may refine Stage 1's result before the cache lookup (the LLM split fallback). */
  refine?: readonly ((ctx: StageContext) => Promise<void>)[];
  now?: () => number;
}
