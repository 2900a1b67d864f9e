/**
 * The pipeline for one track: Stage 1, the cache, the stages (stages.ts), the cache store, under one
 * deadline. The settings, observer hooks and dependencies every part of the pipeline shares live here.
 */
import type { Cluster } from "../album/cluster.js";
import type { AlbumScored } from "../album/match.js";
import { extractTrack } from "../extract.js";
import { DEFAULT_POLICY, type Policy } from "../policy.js";
import type { Cache, LlmClient, MetadataSource } from "../ports.js";
import { type StageRecord, type TrackMetadata, TrackMetadataSchema } from "../schema.js";
import { DEFAULT_SCORE_WEIGHTS, type ScoreWeights } from "../score.js";
import type { Mode, TrackInput, TrackQuery } from "../types.js";
import { type ReasonCode, warning } from "../warnings.js";
import type { Breaker } from "./breaker.js";
import {
  cacheKey,
  type DiscogsBudget,
  degradedOf,
  isCacheable,
  readCache,
  writeCache,
} from "./cache-policy.js";
import { type CatalogKind, catalogOf } from "./catalog-source.js";
import { simpleExtraction } from "./simple.js";
import { runStages, SIMPLE_STAGE, type Stage, type StageContext } from "./stages.js";

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
  weights: ScoreWeights;
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
  weights: { ...DEFAULT_SCORE_WEIGHTS },
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
  /** Steps that may refine Stage 1's result before the cache lookup (the LLM split fallback). */
  refine?: readonly ((ctx: StageContext) => Promise<void>)[];
  now?: () => number;
}

/**
 * The request's deadline: one controller and one timer, joined with the caller's signal if any, made
 * only when a step first asks for the signal (a cache hit never does) and cleared when the request ends.
 * The timer counts from the request's start, not from that first use.
 */
function lazyDeadline(timeoutMs: number, outer: AbortSignal | undefined, now: () => number) {
  const start = now();
  let made: { signal: AbortSignal; timer: ReturnType<typeof setTimeout> | undefined } | undefined;
  const make = () => {
    const controller = new AbortController();
    const abort = () => controller.abort(new DOMException("deadline reached", "TimeoutError"));
    const left = timeoutMs - (now() - start);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeoutMs > 0 && left <= 0) abort();
    else if (timeoutMs > 0) timer = setTimeout(abort, left);
    const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
    return { signal, timer };
  };
  return {
    get signal(): AbortSignal {
      made ??= make();
      return made.signal;
    },
    done: () => clearTimeout(made?.timer),
  };
}

/**
 * Resolves one track: Stage 1, cache, stages, cache store. Never throws for upstream faults;
 * the worst case is Stage 4's simple extraction with warnings saying why.
 */
export async function resolveMetadata(
  input: TrackInput,
  deps: PipelineDeps,
  options: { signal?: AbortSignal; query?: TrackQuery & { pattern: string } } = {},
): Promise<TrackMetadata> {
  const mode = input.mode ?? deps.settings.mode;
  const now = deps.now ?? Date.now;
  const limit = lazyDeadline(deps.settings.timeoutMs, options.signal, now);
  const deadlineAt = deps.settings.timeoutMs > 0 ? now() + deps.settings.timeoutMs : null;
  try {
    return await resolveWithin(input, deps, mode, { ...limit, deadlineAt }, options.query);
  } finally {
    limit.done();
  }
}

async function resolveWithin(
  input: TrackInput,
  deps: PipelineDeps,
  mode: Mode,
  limit: { readonly signal: AbortSignal; deadlineAt: number | null },
  query?: TrackQuery & { pattern: string },
): Promise<TrackMetadata> {
  const ctx: StageContext = {
    input,
    query: query ?? extractTrack(input),
    mode,
    deps,
    get signal() {
      return limit.signal;
    },
    deadlineAt: limit.deadlineAt,
    warnings: [],
    counters: { discogsRequests: 0, indexLookups: 0, llmCalls: 0, llmTasks: [] },
  };
  for (const step of deps.refine ?? []) await step(ctx);
  const key = cacheKey(ctx.query);
  const cached = await readCache(ctx, key);
  if (cached?.source === "simple") {
    // A cached miss means "the catalogue had nothing for this track"; the simple answer itself is
    // rebuilt from this input, whose own hints (year, country) may differ from the first one's.
    const fresh = simpleExtraction(ctx.query, mode);
    const skipped = cached.warnings.filter((w) => w.code === "stage-skipped" || w.code === "stage-failed");
    return {
      ...fresh,
      cached: true,
      warnings: [...ctx.warnings, ...skipped, ...fresh.warnings],
      diagnostics: { ...cached.diagnostics, extraction: fresh.diagnostics.extraction },
    };
  }
  if (cached) return { ...cached, cached: true, warnings: [...ctx.warnings, ...cached.warnings] };

  const records: StageRecord[] = [];
  const stages = deps.stages ?? [SIMPLE_STAGE];
  const result = await runStages(ctx, stages, records);
  for (const rec of records) deps.observer?.stage?.(rec, mode);
  for (const rec of records) {
    const stage = rec.stage as Stage["name"];
    if (rec.outcome === "skipped" && rec.stage !== "simple")
      result.warnings.push(warning("stage-skipped", stage, `${rec.stage} skipped: ${rec.reason}`));
    if (rec.outcome === "error")
      result.warnings.push(warning("stage-failed", stage, `${rec.stage} failed: ${rec.reason}`));
  }
  result.warnings.unshift(...ctx.warnings);
  // A refused or uncertain match still offers what the catalogue had (a strong match needs no list).
  if (result.candidates.length === 0 && ctx.candidates?.length && result.match?.recommendation !== "strong")
    result.candidates = ctx.candidates;
  result.diagnostics = {
    ...result.diagnostics,
    mode,
    stages: records,
    discogsRequests: ctx.counters.discogsRequests,
    indexLookups: ctx.counters.indexLookups,
    catalog: catalogOf(ctx.counters),
    llmCalls: ctx.counters.llmCalls,
    llmTasks: ctx.counters.llmTasks,
  };
  result.degraded = degradedOf(records, {
    budgetWaitMs: deps.budget?.waitMs(1) ?? 0,
    circuitRetrySeconds: deps.breaker?.retryAfterSeconds() ?? null,
  });
  if (deps.redact) scrub(result, deps.redact);
  const valid = TrackMetadataSchema.parse(result);
  if (isCacheable(valid, records)) await writeCache(ctx, key, valid);
  else if (valid.degraded) deps.observer?.log?.("debug", "degraded answer not cached", { ...valid.degraded });
  return valid;
}

/** Scrubs secrets out of every free text of an answer that comes from outside (warnings, reasons). */
export function scrub(result: TrackMetadata, redact: (text: string) => string): void {
  result.warnings = result.warnings.map((w) => ({ ...w, message: redact(w.message) }));
  for (const stage of result.diagnostics.stages) if (stage.reason) stage.reason = redact(stage.reason);
}
