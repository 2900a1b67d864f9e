/**
 * The cache policy: keys, lifetimes, which cached answers may be used, what may be stored, and what an
 * answer that was cut short says about itself. Only a settled answer is kept: a Discogs match, or "the
 * catalogue answered and had nothing". An answer cut short by the deadline, the Discogs budget or an
 * upstream fault is marked `degraded` and never cached, so asking again later can do better.
 */
import { describeError } from "../errors.js";
import { normalizeKey } from "../normalize.js";
import type { Policy } from "../policy.js";
import { type StageRecord, type TrackMetadata, TrackMetadataSchema } from "../schema.js";
import type { Mode, TrackQuery } from "../types.js";
import { warning } from "../warnings.js";
import type { PipelineDeps } from "./deps.js";
import type { StageContext } from "./stages.js";

/** The Discogs budget as the pipeline sees it. */
export interface DiscogsBudget {
  /** How long `requests` more requests would wait, in ms. */
  waitMs(requests: number): number;
  /**
   * Admits a track with `requests` reserved when they can all be served within `maxWaitMs` (its work
   * then runs inside `run`, and `release` returns what it did not use); else how long until they could
   * be, a time promised to `key` so that the same track asking again then is admitted.
   */
  admit?(requests: number, maxWaitMs: number, key: string): BudgetAdmission;
}

/** A track's admission to the budget. */
export type BudgetAdmission =
  | { admitted: true; run<T>(fn: () => Promise<T>): Promise<T>; release(): void }
  | { admitted: false; waitMs: number };

/** Why an answer was cut short, from its stage records' codes; null when it was not. */
export function degradedOf(
  records: readonly StageRecord[],
  now: { budgetWaitMs: number; circuitRetrySeconds: number | null },
): TrackMetadata["degraded"] {
  // A retry time is whole seconds, rounded up: asked again then, the budget has room.
  const retry = Math.max(1, Math.ceil(now.budgetWaitMs / 1000));
  for (const r of records) {
    if (r.outcome === "timeout" || (r.outcome === "skipped" && r.code === "deadline"))
      return { reason: "deadline", retryAfterSeconds: retry };
    if (r.outcome === "skipped" && r.code === "budget") return { reason: "budget", retryAfterSeconds: retry };
    if (r.outcome === "skipped" && r.code === "circuit-open")
      return { reason: "upstream", retryAfterSeconds: now.circuitRetrySeconds ?? 30 };
  }
  for (const r of records) {
    if (r.outcome !== "error") continue;
    if (r.code === "rate-limited") return { reason: "budget", retryAfterSeconds: retry };
    return { reason: "upstream", retryAfterSeconds: null };
  }
  return null;
}

/**
 * True when an answer may be cached: not degraded, and either a Discogs match or a miss that the
 * catalogue itself gave (a Discogs stage that ran and found nothing). An answer made with Discogs
 * switched off or skipped says nothing about the catalogue, so it is not kept.
 */
export function isCacheable(result: TrackMetadata, records: readonly StageRecord[]): boolean {
  if (result.degraded) return false;
  if (!result.artist && !result.title) return false;
  if (result.source === "discogs") return true;
  return records.some((r) => r.stage === "discogs" && r.outcome === "miss");
}

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
function ttlFor(result: TrackMetadata, base: number, policy: Policy): number {
  const t = policy.ttl;
  if (result.source === "discogs") return base;
  if (result.source === "llm") return Math.max(t.minSeconds, Math.round(base * t.llmShare));
  return Math.max(t.minSeconds, Math.min(t.simpleMaxSeconds, Math.round(base * t.simpleShare)));
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

export async function readCache(ctx: StageContext, key: string): Promise<TrackMetadata | undefined> {
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

/** Keeps an answer under its key, for as long as its source deserves; a cache fault costs only that. */
export async function writeCacheEntry(deps: PipelineDeps, key: string, result: TrackMetadata): Promise<void> {
  const { cache } = deps;
  if (!cache) return;
  try {
    await cache.set(key, result, ttlFor(result, deps.settings.cacheTtlSeconds, deps.settings.policy));
  } catch (err) {
    deps.observer?.log?.("warn", "cache store failed", { reason: describeError(err) });
  }
}
