/**
 * A circuit breaker for an upstream (Discogs): after a run of consecutive faults it opens, and requests
 * skip the upstream at once instead of each waiting out its deadline. After a cool-down one request
 * probes it (half-open); a success closes the circuit, a fault opens it again.
 */

/** The breaker's state, as /ready and /metrics show it. */
export type BreakerState = "closed" | "open" | "half-open";

/** A circuit breaker. */
export interface Breaker {
  /** Null when a request may go through (the probe included), else why not. */
  refusal(): string | null;
  success(): void;
  failure(): void;
  /** The request that was let through gave no verdict (our own deadline struck): the next one may probe. */
  abandon(): void;
  state(): BreakerState;
  /** Seconds until the next probe, when open. */
  retryAfterSeconds(): number;
}

/** Creates a breaker: `threshold` consecutive faults open it for `coolDownMs`. */
export function createBreaker(
  options: { threshold?: number; coolDownMs?: number; now?: () => number } = {},
): Breaker {
  const threshold = options.threshold ?? 5;
  const coolDownMs = options.coolDownMs ?? 30_000;
  const now = options.now ?? Date.now;
  let faults = 0;
  let openedAt: number | null = null;
  let probing = false;
  const state = (): BreakerState =>
    openedAt === null ? "closed" : now() - openedAt >= coolDownMs ? "half-open" : "open";
  return {
    refusal() {
      const s = state();
      if (s === "closed") return null;
      if (s === "half-open" && !probing) {
        probing = true;
        return null;
      }
      return `circuit open after ${threshold} consecutive faults; next try in ${this.retryAfterSeconds()} s`;
    },
    success() {
      faults = 0;
      openedAt = null;
      probing = false;
    },
    failure() {
      faults++;
      if (probing || faults >= threshold) openedAt = now();
      probing = false;
    },
    abandon() {
      probing = false;
    },
    state,
    retryAfterSeconds: () =>
      openedAt === null ? 0 : Math.max(1, Math.ceil((openedAt + coolDownMs - now()) / 1000)),
  };
}
