/**
 * The pipeline: Stage 1, cache lookup, then an ordered list of stages run by one generic loop
 * (as Navidrome's callAgentMethod), then cache store. Each stage records {stage, outcome, reason, ms}.
 */

import type { Cluster } from "../album/cluster.js";
import type { AlbumScored } from "../album/match.js";
import { describeError } from "../errors.js";
import { extractTrack } from "../extract.js";
import { normalizeKey } from "../normalize.js";
import type { Cache, LlmClient, MetadataSource } from "../ports.js";
import { type Candidate, type StageRecord, type TrackMetadata, TrackMetadataSchema } from "../schema.js";
import { DEFAULT_SCORE_WEIGHTS, type ScoreWeights } from "../score.js";
import type { Mode, TrackInput, TrackQuery } from "../types.js";
import { errorCode, type Reason, type ReasonCode, type Warning, warning } from "../warnings.js";
import type { Breaker } from "./breaker.js";
import { DEADLINE_REACHED, type DiscogsBudget, degradedOf, isCacheable } from "./cache-policy.js";
import { type CatalogCounters, type CatalogKind, catalogOf } from "./catalog-source.js";
import { simpleExtraction } from "./simple.js";

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

/** Per-request state shared by the stages. */
export interface StageContext {
  input: TrackInput;
  query: TrackQuery & { pattern: string };
  mode: Mode;
  deps: PipelineDeps;
  signal: AbortSignal;
  /** When the request's deadline strikes (ms since the epoch), or null for none (batch work). */
  deadlineAt: number | null;
  warnings: Warning[];
  /** The catalogue's best candidates, when its match was not strong (kept even when it was refused). */
  candidates?: Candidate[];
  /** Counters the stages bump, reported in diagnostics. */
  counters: CatalogCounters & { llmCalls: number; llmTasks: string[] };
}

/** A stage returns a result, or null to let the next stage try, with the reason. */
export type StageOutcome = { result: TrackMetadata } | ({ result: null } & Reason);

/** A stage of the fallback chain. */
export interface Stage {
  readonly name: "discogs" | "llm" | "simple";
  /** Why the stage cannot run for this request, or null when it can. */
  skipReason(ctx: StageContext): Reason | null;
  run(ctx: StageContext): Promise<StageOutcome>;
}

/** The last resort; it never fails. */
export const SIMPLE_STAGE: Stage = {
  name: "simple",
  skipReason: () => null,
  run: async (ctx) => ({ result: simpleExtraction(ctx.query, ctx.mode) }),
};

/**
 * The cache key: `metadata:{artist}:{title}:{mix}`, normalised as in Stage 1, plus `:r{id}` when the
 * file names its Discogs release (the user's choice must not be answered by another release's entry).
 */
export function cacheKey(
  query: Pick<TrackQuery, "artist" | "title" | "mix"> & {
    hints?: Pick<TrackQuery["hints"], "discogsReleaseId">;
  },
): string {
  const part = (s: string | null) => normalizeKey(s ?? "").replace(/:/g, " ");
  const base = `metadata:${part(query.artist)}:${part(query.title)}:${part(query.mix)}`;
  const id = query.hints?.discogsReleaseId;
  return id ? `${base}:r${id}` : base;
}

const MODE_RANK: Record<Mode, number> = { fast: 0, balanced: 1, accurate: 2 };

/** A fallback result lives shorter than a Discogs match; a miss shorter still. */
function ttlFor(result: TrackMetadata, base: number): number {
  if (result.source === "discogs") return base;
  if (result.source === "llm") return Math.max(60, Math.round(base / 4));
  return Math.max(60, Math.min(3600, Math.round(base / 24)));
}

function record(
  ctx: StageContext,
  stage: string,
  outcome: StageRecord["outcome"],
  why: Reason | null,
  t0: number,
): StageRecord {
  const now = ctx.deps.now ?? Date.now;
  return {
    stage,
    outcome,
    code: why?.code ?? null,
    reason: why?.reason ?? null,
    ms: Math.max(0, now() - t0),
  };
}

/**
 * A cached value as an answer for `mode`: valid against the schema and made in this mode or a richer
 * one (a result made in a cheaper mode lacks what a richer mode adds); else undefined.
 */
export function usableCached(hit: unknown, mode: Mode): TrackMetadata | undefined {
  const parsed = hit ? TrackMetadataSchema.safeParse(hit) : undefined;
  if (!parsed?.success || MODE_RANK[parsed.data.diagnostics.mode] < MODE_RANK[mode]) return undefined;
  // A match cached before answers carried release details is made again, once.
  if (parsed.data.source === "discogs" && parsed.data.release === null) return undefined;
  return parsed.data;
}

async function readCache(ctx: StageContext, key: string): Promise<TrackMetadata | undefined> {
  const { cache, observer } = ctx.deps;
  if (!cache) return undefined;
  try {
    const usable = usableCached(await cache.get<TrackMetadata>(key), ctx.mode);
    observer?.cache?.(usable ? "hit" : "miss");
    return usable;
  } catch (err) {
    observer?.cache?.("error");
    ctx.warnings.push(warning("cache-unavailable", "cache", `cache unavailable: ${describeError(err)}`));
    return undefined;
  }
}

async function writeCache(ctx: StageContext, key: string, result: TrackMetadata): Promise<void> {
  const { cache } = ctx.deps;
  if (!cache) return;
  try {
    await cache.set(key, result, ttlFor(result, ctx.deps.settings.cacheTtlSeconds));
  } catch (err) {
    ctx.deps.observer?.log?.("warn", "cache store failed", { reason: describeError(err) });
  }
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

/** Runs the stages in order until one answers. The simple stage always does. */
async function runStages(ctx: StageContext, stages: readonly Stage[], records: StageRecord[]) {
  const now = ctx.deps.now ?? Date.now;
  for (const stage of stages) {
    const t0 = now();
    const last = stage.name === "simple";
    const skip = last ? null : ctx.signal.aborted ? DEADLINE_REACHED : stage.skipReason(ctx);
    if (skip) {
      records.push(record(ctx, stage.name, "skipped", skip, t0));
      continue;
    }
    try {
      const out = await stage.run(ctx);
      if (out.result) {
        records.push(record(ctx, stage.name, "hit", null, t0));
        return out.result;
      }
      records.push(record(ctx, stage.name, "miss", out, t0));
      ctx.deps.observer?.fallback?.(stage.name, out.code);
    } catch (err) {
      const timedOut = ctx.signal.aborted;
      const why: Reason = timedOut ? DEADLINE_REACHED : { code: errorCode(err), reason: describeError(err) };
      records.push(record(ctx, stage.name, timedOut ? "timeout" : "error", why, t0));
      ctx.deps.observer?.fallback?.(stage.name, why.code);
      if (timedOut)
        ctx.warnings.push(
          warning(
            "deadline",
            stage.name,
            `deadline of ${ctx.deps.settings.timeoutMs} ms reached in ${stage.name}`,
          ),
        );
    }
  }
  return simpleExtraction(ctx.query, ctx.mode);
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

/** A resolve function that coalesces identical requests in flight into one (single-flight). */
export type Resolver = (
  input: TrackInput,
  options?: { signal?: AbortSignal; query?: TrackQuery & { pattern: string } },
) => Promise<TrackMetadata>;

/**
 * Creates a resolver over fixed dependencies. A burst of identical inputs (same cache key, mode and hints)
 * makes one lookup; every caller gets its own copy of the answer.
 */
export function createResolver(deps: PipelineDeps): Resolver {
  const inflight = new Map<string, { promise: Promise<TrackMetadata>; callers: number }>();
  const stage1 = createStage1Memo(STAGE1_MEMO_SIZE);
  return async (input, options = {}) => {
    const { query, identity } = options.query
      ? { query: options.query, identity: identityOf(options.query) }
      : stage1(input);
    const mode = input.mode ?? deps.settings.mode;
    const key = `${identity}|${mode}`;
    let entry = inflight.get(key);
    if (entry) entry.callers++;
    else {
      // The shared lookup must not die with the first caller's signal: it runs under the deadline only.
      const promise = resolveMetadata(input, deps, { query }).finally(() => inflight.delete(key));
      entry = { promise, callers: 1 };
      inflight.set(key, entry);
    }
    const result = options.signal ? await raceAbort(entry.promise, options.signal) : await entry.promise;
    // Once settled no one else can join, so a sole caller may keep the object; shared ones get copies.
    return entry.callers === 1 ? result : structuredClone(result);
  };
}

/** What makes two Stage 1 results the same lookup: the cache key and the hints. */
function identityOf(query: TrackQuery): string {
  return `${cacheKey(query)}|${JSON.stringify(query.hints)}`;
}

/** Inputs whose Stage 1 result is kept: repeated inputs (the warm path) skip the grammar. */
const STAGE1_MEMO_SIZE = 2000;

/**
 * Stage 1 is pure, so its result for an input (filename and tags) can be kept: a small LRU of frozen
 * results, with each one's identity (cache key and hints) for coalescing.
 */
function createStage1Memo(size: number) {
  const memo = new Map<string, { query: TrackQuery & { pattern: string }; identity: string }>();
  return (input: TrackInput) => {
    const id = JSON.stringify([input.filename, input.tags ?? null, input.path ?? null]);
    let hit = memo.get(id);
    if (hit) memo.delete(id);
    else {
      const query = extractTrack(input);
      Object.freeze(query.hints);
      Object.freeze(query.featuring);
      hit = { query: Object.freeze(query), identity: identityOf(query) };
      if (memo.size >= size) memo.delete(memo.keys().next().value as string);
    }
    memo.set(id, hit);
    return hit;
  };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
