/**
 * What may be cached, and what an answer that was cut short says about itself. Only a settled answer is
 * kept: a Discogs match, or "the catalogue answered and had nothing". An answer cut short by the deadline,
 * the Discogs budget or an upstream fault is marked `degraded` and never cached, so asking again later
 * can do better.
 */
import type { StageRecord, TrackMetadata } from "../schema.js";
import type { Reason } from "../warnings.js";

/** The reason a stage records when the request's deadline struck. */
export const DEADLINE_REACHED: Reason = { code: "deadline", reason: "request deadline reached" };

/** The Discogs budget as the pipeline sees it: how long `requests` more requests would wait, in ms. */
export interface DiscogsBudget {
  waitMs(requests: number): number;
}

/** Why an answer was cut short, from its stage records' codes; null when it was not. */
export function degradedOf(
  records: readonly StageRecord[],
  now: { budgetWaitMs: number; circuitRetrySeconds: number | null },
): TrackMetadata["degraded"] {
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
