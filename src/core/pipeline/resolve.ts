/**
 * The pipeline for one track: Stage 1, the cache, the stages (stages.ts), then the one answer path
 * (answer.ts), under one deadline.
 */
import { extractTrack } from "../extract.js";
import type { StageRecord, TrackMetadata } from "../schema.js";
import type { Mode, TrackInput, TrackQuery } from "../types.js";
import { warning } from "../warnings.js";
import { finishAnswer, fromCache } from "./answer.js";
import { cacheKey, degradedOf, isCacheable, readCache } from "./cache-policy.js";
import { catalogOf } from "./catalog-source.js";
import type { PipelineDeps } from "./deps.js";
import { simpleExtraction } from "./simple.js";
import { runStages, SIMPLE_STAGE, type StageContext } from "./stages.js";

export type { PipelineDeps, PipelineObserver, PipelineSettings } from "./deps.js";
export { DEFAULT_PIPELINE_SETTINGS } from "./deps.js";

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
    return finishAnswer(
      deps,
      fromCache({
        ...fresh,
        // What the catalogue offered stays on offer (a review item needs its candidates).
        candidates: cached.candidates,
        warnings: [...ctx.warnings, ...skipped, ...fresh.warnings],
        diagnostics: { ...cached.diagnostics, extraction: fresh.diagnostics.extraction },
      }),
      { mode, cacheKey: null },
    );
  }
  if (cached?.pending.includes("descriptions") && mode !== "fast" && deps.complete && deps.llm)
    return completeCached(ctx, cached, key);
  if (cached)
    return finishAnswer(deps, fromCache({ ...cached, warnings: [...ctx.warnings, ...cached.warnings] }), {
      mode,
      cacheKey: null,
    });

  const records: StageRecord[] = [];
  const stages = deps.stages ?? [SIMPLE_STAGE];
  const result = await runStages(ctx, stages, records);
  for (const rec of records) {
    const stage = rec.stage as (typeof stages)[number]["name"];
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
    budgetWaitMs: ctx.budgetWaitMs ?? deps.budget?.waitMs(1) ?? 0,
    circuitRetrySeconds: deps.breaker?.retryAfterSeconds() ?? null,
  });
  const cacheable = isCacheable(result, records);
  if (!cacheable && result.degraded)
    deps.observer?.log?.("debug", "degraded answer not cached", { ...result.degraded });
  // A match without the descriptions its mode promises is degraded, and cached only as pending.
  if (ctx.pending && result.source === "discogs") {
    result.pending = ["descriptions"];
    result.degraded ??= { reason: ctx.pending.descriptions, retryAfterSeconds: null };
  }
  return finishAnswer(deps, result, { records, mode, cacheKey: cacheable ? key : null });
}

/**
 * A cached match that lacks its descriptions, completed now: one describe call on the cached facts.
 * Completed, it replaces the cached entry; failed again, the answer is degraded and the entry stays.
 */
async function completeCached(ctx: StageContext, cached: TrackMetadata, key: string): Promise<TrackMetadata> {
  const { deps, mode } = ctx;
  const result = structuredClone(fromCache(cached));
  await deps.complete!(ctx, result);
  result.warnings = [...ctx.warnings, ...result.warnings];
  result.diagnostics = {
    ...result.diagnostics,
    llmCalls: ctx.counters.llmCalls,
    llmTasks: ctx.counters.llmTasks,
  };
  if (ctx.pending) {
    result.degraded = { reason: ctx.pending.descriptions, retryAfterSeconds: null };
    return finishAnswer(deps, result, { mode, cacheKey: null });
  }
  result.pending = [];
  result.degraded = null;
  return finishAnswer(deps, result, { mode, cacheKey: key });
}
