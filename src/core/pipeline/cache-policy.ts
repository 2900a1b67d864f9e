/**
 * What may be cached, and what an answer that was cut short says about itself. Only a settled answer is
 * kept: a Discogs match, or "the catalogue answered and had nothing". An answer cut short by the deadline,
 * the Discogs budget or an upstream fault is marked `degraded` and never cached, so asking again later
 * can do better.
 */
import type { StageRecord, TrackMetadata } from "../schema.js";

/** The reason a skipped Discogs stage gives when the budget cannot serve the request in time. */
export const BUDGET_SKIP = "Discogs budget exhausted";
/** The reason a skipped Discogs stage gives while its circuit breaker is open. */
export const CIRCUIT_OPEN = "Discogs unavailable";
/** The reason a stage records when the request's deadline struck. */
export const DEADLINE_REACHED = "request deadline reached";

/** The Discogs budget as the pipeline sees it: how long `requests` more requests would wait, in ms. */
export interface DiscogsBudget {
  waitMs(requests: number): number;
}

/** Why an answer was cut short, from its stage records; null when it was not. */
export function degradedOf(records: readonly StageRecord[], budgetWaitMs: number): TrackMetadata["degraded"] {
  const retry = Math.max(1, Math.ceil(budgetWaitMs / 1000));
  for (const r of records) {
    if (r.outcome === "timeout" || (r.outcome === "skipped" && r.reason === DEADLINE_REACHED))
      return { reason: "deadline", retryAfterSeconds: retry };
    if (r.outcome === "skipped" && r.reason?.startsWith(BUDGET_SKIP))
      return { reason: "budget", retryAfterSeconds: retry };
    if (r.outcome === "skipped" && r.reason?.startsWith(CIRCUIT_OPEN)) {
      const secs = Number(/next try in (\d+) s/.exec(r.reason)?.[1] ?? 30);
      return { reason: "upstream", retryAfterSeconds: secs };
    }
  }
  for (const r of records) {
    if (r.outcome !== "error") continue;
    if (/RateLimit|\(429\)/.test(r.reason ?? "")) return { reason: "budget", retryAfterSeconds: retry };
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
