/**
 * Rate limiting for Discogs: a moving window (60 requests a minute with a token, 25 without), kept in
 * step with the x-discogs-ratelimit-* headers, which also count other clients sharing the token.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** What a limiter learns from a response. */
export interface RateLimitHeaders {
  limit?: number;
  used?: number;
  remaining?: number;
}

/** The limiter port: in-process (one window per process) or shared through Redis by every process. */
export interface RateLimiter {
  /**
   * Waits until one more request fits the window, then counts it. Call the returned function when the
   * response arrives: the slot is then dated by the response, which is never earlier than the server's
   * own arrival time, so network delay cannot squeeze more requests into the server's window.
   * Waiting requests go in `priority` order (lower first; default: the request's turn in the process's
   * work, see `withPriority`), so the requests of the track that came first are served first.
   */
  acquire(signal?: AbortSignal, priority?: number): Promise<() => void>;
  /** Reconciles the local count with the server's headers. */
  update(headers: RateLimitHeaders): void;
  /** After a 429: treat the window as full. */
  saturate(): void;
  /** How long `requests` more requests, asked now behind those already waiting, would wait, ms. */
  waitMs(requests?: number): number;
  /**
   * Admits a track with its expected requests reserved, when all of them can be served within
   * `maxWaitMs`; the reservation counts against every later arrival until the track has made its
   * requests or releases it. Else says how long until they could be, and promises that time to `key`:
   * the same track asking again then is admitted, whatever has arrived since.
   */
  admit(requests: number, maxWaitMs: number, key: string): Admission;
  /** Requests allowed per window, as last learned. */
  readonly limit: number;
  /** Releases connections (the shared limiter's Redis). */
  dispose?(): Promise<void>;
}

/** A track's admission: run its work inside `run` (its requests draw on the reservation), then release. */
export type Admission =
  | { admitted: true; run<T>(fn: () => Promise<T>): Promise<T>; release(): void }
  | { admitted: false; waitMs: number };

/** The reservation of the track running in this async context, if any. */
interface Ticket {
  left: number;
  /** Admission order: a track's requests beyond its reservation go before later tracks' reservations. */
  seq: number;
}
const TICKET = new AsyncLocalStorage<Ticket>();

/** Batch work (jobs, the CLI) runs in this context; interactive requests (HTTP) do not. */
const BATCH = new AsyncLocalStorage<true>();

/** Runs `fn` as batch work: a shared budget keeps a share of itself for interactive requests. */
export function asBatch<T>(fn: () => T): T {
  return BATCH.run(true, fn);
}

/** True inside batch work. */
export function isBatch(): boolean {
  return BATCH.getStore() === true;
}

/** The priority of the work running in this async context (lower is served first), if any. */
const PRIORITY = new AsyncLocalStorage<number>();
let turns = 0;

/**
 * Runs `fn` with a priority for every Discogs request it makes: by default the next turn, so work that
 * started first (a track, an HTTP request) finishes first when the budget is short.
 */
export function withPriority<T>(fn: () => T, priority: number = turns++): T {
  return PRIORITY.run(priority, fn);
}

/** The priority of the current async context: its turn, or last in line. */
export function currentPriority(): number {
  return PRIORITY.getStore() ?? Number.MAX_SAFE_INTEGER;
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

/** Requests a promised retry holds beyond the expected ones. */
const PROMISE_HEADROOM = 2;

/** One waiting request. */
interface Waiter {
  priority: number;
  seq: number;
  grant: () => void;
}

/**
 * An in-process moving-window limiter. It keeps the send times of the last window; when the server
 * reports more usage than we counted (another worker on the same token), it adds phantom entries.
 * Waiting requests are served lowest priority first, then first come.
 */
export function createWindowLimiter(options: {
  limit: number;
  windowMs?: number;
  timing?: Timing;
  /**
   * A limit the user set (DISCOGS_RATE_LIMIT): the limit in force is then the lower of it and the
   * server's word. Without one, the server's word rules.
   */
  ceiling?: number | null;
  /**
   * Count the requests the server reports beyond ours (other processes on the token) as sent. Off in
   * front of the shared budget, whose Redis slots count every process's requests already: counting
   * them twice would leave interactive requests no room beside a job.
   */
  countOthers?: boolean;
}): RateLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const timing = options.timing ?? REAL_TIMING;
  let limit = options.limit;
  // Send times, ascending; an entry is an object so that its time can move to the response time.
  const sent: { t: number }[] = [];
  const waiters: Waiter[] = [];
  let seq = 0;
  let pumping = false;
  /** Requests reserved by admitted tracks and not yet asked for. */
  let reserved = 0;
  /** Retry times promised to refused tracks, by key, with the requests they will bring. */
  const promises = new Map<string, { at: number; n: number; expires: number }>();
  let promised = 0;

  const forget = (now: number) => {
    for (const [key, p] of promises)
      if (p.expires <= now) {
        promises.delete(key);
        promised -= p.n;
      }
  };

  /** How long until `requests` more fit, behind `ahead` requests already in line. */
  const waitBehind = (ahead: number, requests: number, now: number): number => {
    prune(now);
    // Slots needed beyond the free ones; the k-th frees when the k-th oldest entry leaves the window,
    // and every further `limit` slots take one more window.
    const needed = ahead + requests - (limit - sent.length);
    if (needed <= 0) return 0;
    const cycles = Math.floor((needed - 1) / limit);
    const k = (needed - 1) % limit;
    const first = k < sent.length ? sent[k]!.t + windowMs - now : windowMs;
    return Math.max(0, first + cycles * windowMs);
  };

  /** Tickets still holding reservations, in admission order. */
  const open = new Set<Ticket>();
  let admissions = 0;
  const admitted = (n: number): Admission => {
    const ticket: Ticket = { left: n, seq: admissions++ };
    reserved += n;
    open.add(ticket);
    return {
      admitted: true,
      run: (fn) => TICKET.run(ticket, fn),
      release: () => {
        reserved -= ticket.left;
        ticket.left = 0;
        open.delete(ticket);
      },
    };
  };
  /** Requests reserved by tracks admitted before `ticket`. */
  const reservedBefore = (ticket: Ticket) => {
    let n = 0;
    for (const t of open) if (t.seq < ticket.seq) n += t.left;
    return n;
  };

  const prune = (now: number) => {
    while (sent.length > 0 && sent[0]!.t <= now - windowMs) sent.shift();
  };

  // One loop hands out slots as they free up, always to the first waiter in line.
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiters.length > 0) {
        const now = timing.now();
        prune(now);
        if (sent.length < limit) {
          waiters.shift()!.grant();
          continue;
        }
        await timing.sleep(Math.max(1, sent[0]!.t + windowMs - now));
      }
    } finally {
      pumping = false;
    }
  };

  return {
    acquire(signal, priority = currentPriority()) {
      // A request of an admitted track turns one of its reserved requests into a real one.
      const ticket = TICKET.getStore();
      if (ticket && ticket.left > 0) {
        ticket.left--;
        reserved--;
        if (ticket.left === 0) open.delete(ticket);
      }
      return new Promise<() => void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal?.reason);
        };
        const waiter: Waiter = {
          priority,
          seq: seq++,
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            const entry = { t: timing.now() };
            sent.push(entry);
            resolve(() => {
              entry.t = Math.max(entry.t, timing.now());
              sent.sort((a, b) => a.t - b.t);
            });
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        let i = waiters.length;
        while (i > 0 && waiters[i - 1]!.priority > priority) i--;
        waiters.splice(i, 0, waiter);
        void pump();
      });
    },
    update(h) {
      // The server knows its own limit better than our default does, but never beats the user's.
      if (h.limit !== undefined && h.limit > 0)
        limit = options.ceiling ? Math.min(h.limit, options.ceiling) : h.limit;
      const now = timing.now();
      prune(now);
      if (options.countOthers === false) return;
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
    waitMs(requests = 1) {
      const now = timing.now();
      forget(now);
      // An admitted track's own requests were counted when it was admitted: only the queue is ahead;
      // its requests beyond them wait behind the reservations of the tracks admitted before it.
      const ticket = TICKET.getStore();
      if (ticket && ticket.left >= requests) return waitBehind(waiters.length, requests, now);
      if (ticket) return waitBehind(waiters.length + reservedBefore(ticket), requests - ticket.left, now);
      return waitBehind(waiters.length + reserved + promised, requests, now);
    },
    admit(requests, maxWaitMs, key) {
      const now = timing.now();
      forget(now);
      const promise = promises.get(key);
      if (promise) {
        // Back at (or after) its promised time: its requests were counted in line all along.
        if (promise.at <= now) {
          promises.delete(key);
          promised -= promise.n;
          return admitted(promise.n);
        }
        return { admitted: false, waitMs: promise.at - now };
      }
      const wait = waitBehind(waiters.length + reserved + promised, requests, now);
      if (wait <= maxWaitMs) return admitted(requests);
      // Promised a time that holds: everything now in line, and every earlier promise, goes first, and
      // the promise keeps one request more than expected (a track that needs a third search still
      // finishes when it comes back).
      const n = requests + PROMISE_HEADROOM;
      const at = now + waitBehind(waiters.length + reserved + promised, n, now);
      promises.set(key, { at, n, expires: at + windowMs });
      promised += n;
      return { admitted: false, waitMs: at - now };
    },
    get limit() {
      return limit;
    },
  };
}
