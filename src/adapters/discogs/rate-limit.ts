/**
 * Rate limiting for Discogs: a moving window (60 requests a minute with a token, 25 without), kept in
 * step with the x-discogs-ratelimit-* headers, which also count other clients sharing the token.
 */

/** What a limiter learns from a response. */
export interface RateLimitHeaders {
  limit?: number;
  used?: number;
  remaining?: number;
}

/**
 * The limiter port; a Redis-backed limiter shared by many workers can implement it later.
 */
export interface RateLimiter {
  /**
   * Waits until one more request fits the window, then counts it. Call the returned function when the
   * response arrives: the slot is then dated by the response, which is never earlier than the server's
   * own arrival time, so network delay cannot squeeze more requests into the server's window.
   */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Reconciles the local count with the server's headers. */
  update(headers: RateLimitHeaders): void;
  /** After a 429: treat the window as full. */
  saturate(): void;
}

/** Clock and sleep, injected for tests. */
export interface Timing {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Real time. */
export const REAL_TIMING: Timing = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Reads rate-limit headers case-insensitively (Headers already folds case). */
export function readRateLimitHeaders(headers: Headers): RateLimitHeaders {
  const n = (name: string) => {
    const v = headers.get(name);
    const x = v === null ? Number.NaN : Number(v);
    return Number.isFinite(x) ? x : undefined;
  };
  const out: RateLimitHeaders = {};
  const limit = n("x-discogs-ratelimit");
  const used = n("x-discogs-ratelimit-used");
  const remaining = n("x-discogs-ratelimit-remaining");
  if (limit !== undefined) out.limit = limit;
  if (used !== undefined) out.used = used;
  if (remaining !== undefined) out.remaining = remaining;
  return out;
}

/**
 * An in-process moving-window limiter. It keeps the send times of the last window; when the server
 * reports more usage than we counted (another worker on the same token), it adds phantom entries.
 */
export function createWindowLimiter(options: {
  limit: number;
  windowMs?: number;
  timing?: Timing;
}): RateLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const timing = options.timing ?? REAL_TIMING;
  let limit = options.limit;
  // Send times, ascending; an entry is an object so that its time can move to the response time.
  const sent: { t: number }[] = [];
  // Requests run one after another through this chain so that waits are computed in order.
  let queue: Promise<void> = Promise.resolve();

  const prune = (now: number) => {
    while (sent.length > 0 && sent[0]!.t <= now - windowMs) sent.shift();
  };

  const take = async (signal?: AbortSignal): Promise<() => void> => {
    for (;;) {
      const now = timing.now();
      prune(now);
      if (sent.length < limit) {
        const entry = { t: now };
        sent.push(entry);
        return () => {
          entry.t = Math.max(entry.t, timing.now());
          sent.sort((a, b) => a.t - b.t);
        };
      }
      await timing.sleep(Math.max(1, sent[0]!.t + windowMs - now), signal);
    }
  };

  return {
    acquire(signal) {
      const turn = queue.then(() => take(signal));
      queue = turn.then(
        () => undefined,
        () => undefined,
      );
      return turn;
    },
    update(h) {
      // The server knows its own limit better than our default does.
      if (h.limit !== undefined && h.limit > 0) limit = h.limit;
      const now = timing.now();
      prune(now);
      const serverUsed = h.used ?? (h.remaining !== undefined && h.limit ? h.limit - h.remaining : undefined);
      // Only ever add: the server may count requests we did not make, never fewer than we did.
      if (serverUsed === undefined || sent.length >= Math.min(serverUsed, limit)) return;
      while (sent.length < Math.min(serverUsed, limit)) sent.push({ t: now });
      sent.sort((a, b) => a.t - b.t);
    },
    saturate() {
      // Full, with slots freeing at the steady rate (one per windowMs/limit), so sending resumes paced.
      const now = timing.now();
      const step = windowMs / limit;
      sent.length = 0;
      for (let i = 0; i < limit; i++) sent.push({ t: now - windowMs + (i + 1) * step });
    },
  };
}
