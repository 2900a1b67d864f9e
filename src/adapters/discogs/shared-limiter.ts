/**
 * One Discogs budget for every process that shares a token: service replicas, workers and CLI runs
 * pointing at the same Redis.
 *
 * Discogs counts over a moving 60 s window, so a plain fixed window (60 points a minute) would let 120
 * requests through across a window edge. rate-limiter-flexible's Redis limiter is used as `limit`
 * one-point slots instead: a request takes a free slot, and the slot's key lives exactly one window
 * from the response (it is re-dated then, as the in-process limiter does). At any moment at most
 * `limit` slots are held, and every request of the last window holds one, so no moving window can
 * hold more than `limit` requests, whichever process sent them.
 *
 * The in-process limiter still runs in front: it orders this process's requests (first come, first
 * served by track) and reads the rate-limit headers, the server's last word.
 *
 * When Redis cannot be reached the limiter does not wait for it: its client has no offline queue, so a
 * command fails at once, and the limiter falls back to a local share of the budget (one-Nth of it for
 * N processes, DISCOGS_BUDGET_SHARE), says so once (onModeChange), and tries Redis again every few
 * seconds once the client has reconnected. Requests never wait on a dead Redis.
 */

import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { RateLimiterRedis } from "rate-limiter-flexible";
import {
  createWindowLimiter,
  currentPriority,
  isBatch,
  type RateLimiter,
  REAL_TIMING,
  type Timing,
} from "./rate-limit.js";

const require = createRequire(import.meta.url);
/** Loaded with Redis, only when a shared budget is configured. */
const flexible = () => require("rate-limiter-flexible") as typeof import("rate-limiter-flexible");

/** Options of the shared limiter. */
export interface SharedLimiterOptions {
  /** A connected ioredis client; the limiter does not own it unless `ownsClient`. */
  redis: Redis;
  ownsClient?: boolean;
  /** Budget key: one per token (hash it; never the token itself). */
  key: string;
  limit: number;
  /** The moving window, ms; whole seconds (Redis expiries are in seconds). Default 60 000. */
  windowMs?: number;
  /** The in-process limiter in front. */
  local: RateLimiter;
  timing?: Timing;
  /** Called when Redis fails. */
  onError?: (err: unknown) => void;
  /**
   * The share of the budget this process keeps while Redis is unreachable (1/N for N processes on the
   * token). Default 1/2.
   */
  fallbackShare?: number;
  /** How often, at most, Redis is tried again while the limiter runs on its local share. Default 5 s. */
  retryMs?: number;
  /** How long the first requests wait for a new client to connect. Default 1 s. */
  connectMs?: number;
  /**
   * The share of the budget batch work (jobs, CLI runs) leaves to interactive requests, whichever
   * process they come from (DISCOGS_INTERACTIVE_SHARE). Default 0.2.
   */
  interactiveShare?: number;
  /** Called once per change of mode, not per request: "shared", or "local" with the reason. */
  onModeChange?: (mode: BudgetMode, reason: string | null) => void;
}

/** Where the budget is kept: in Redis for every process, or a local share while Redis is unreachable. */
export type BudgetMode = "shared" | "local";

/** The shared limiter, with its mode for /ready and /metrics. */
export interface SharedRateLimiter extends RateLimiter {
  mode(): BudgetMode;
}

/** Creates the shared limiter. */
export function createSharedLimiter(options: SharedLimiterOptions): SharedRateLimiter {
  const windowSec = Math.max(1, Math.round((options.windowMs ?? 60_000) / 1000));
  const timing = options.timing ?? REAL_TIMING;
  const retryMs = options.retryMs ?? 5_000;
  const { RateLimiterRedis: SlotStore, RateLimiterRes } = flexible();
  const slots: RateLimiterRedis = new SlotStore({
    storeClient: options.redis,
    keyPrefix: `discmeta:budget:${options.key}`,
    points: 1,
    duration: windowSec,
    // Fail at once when Redis is not connected, rather than queue behind its reconnection.
    rejectIfRedisNotReady: true,
  });
  const { local } = options;
  // The local share: the lower of this process's share and whatever the front limiter allows.
  const share = createWindowLimiter({
    limit: Math.max(1, Math.floor(options.limit * (options.fallbackShare ?? 0.5))),
    windowMs: options.windowMs ?? 60_000,
    timing,
  });
  let mode: BudgetMode = "shared";
  let lastTry = Number.NEGATIVE_INFINITY;
  // Batch work takes only the first slots; the rest are interactive requests' alone.
  const batchSlots = Math.max(1, Math.floor(options.limit * (1 - (options.interactiveShare ?? 0.2))));
  // A client that (re)connects is tried with the next request, without waiting for retryMs.
  options.redis.on("ready", () => {
    lastTry = Number.NEGATIVE_INFINITY;
  });
  // A new client is still connecting: the first requests wait for it a moment, not for a dead Redis.
  let connecting: Promise<void> | null =
    options.redis.status === "ready"
      ? null
      : new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            options.redis.off("ready", done);
            resolve();
          };
          const timer = setTimeout(done, options.connectMs ?? 1_000);
          timer.unref?.();
          options.redis.once("ready", done);
        }).then(() => {
          connecting = null;
        });
  let hint = 0;

  const fallBack = (err: unknown) => {
    options.onError?.(err);
    lastTry = timing.now();
    if (mode === "local") return;
    mode = "local";
    options.onModeChange?.("local", err instanceof Error ? err.message : String(err));
  };

  /** Takes a free slot, waiting for the first to free up when all are held; null when Redis fails. */
  const takeSlot = async (signal?: AbortSignal): Promise<string | null> => {
    const slotCount = isBatch() ? batchSlots : options.limit;
    for (;;) {
      let soonest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < slotCount; i++) {
        const slot = String((hint + i) % slotCount);
        try {
          await slots.consume(slot, 1);
          hint = Number(slot) + 1;
          return slot;
        } catch (res) {
          if (!(res instanceof RateLimiterRes)) {
            fallBack(res);
            return null;
          }
          soonest = Math.min(soonest, res.msBeforeNext);
        }
      }
      await timing.sleep(Math.max(5, soonest), signal);
    }
  };

  /** Whether to ask Redis now: always in shared mode; on the local share, once the client is back. */
  const tryRedis = () =>
    mode === "shared" || (options.redis.status === "ready" && timing.now() - lastTry >= retryMs);

  return {
    async acquire(signal, priority = currentPriority()) {
      const settleLocal = await local.acquire(signal, priority);
      let slot: string | null = null;
      try {
        if (connecting) await connecting;
        if (tryRedis()) {
          lastTry = timing.now();
          slot = await takeSlot(signal);
          if (slot !== null && mode === "local") {
            mode = "shared";
            options.onModeChange?.("shared", null);
          }
        }
      } catch (err) {
        settleLocal();
        throw err;
      }
      if (slot === null) {
        // Redis is unreachable: this request counts against the local share instead.
        let settleShare: () => void;
        try {
          settleShare = await share.acquire(signal, priority);
        } catch (err) {
          settleLocal();
          throw err;
        }
        return () => {
          settleLocal();
          settleShare();
        };
      }
      return () => {
        settleLocal();
        // Date the slot by the response: the server saw the request no later than that.
        slots.set(slot, 1, windowSec).catch((err: unknown) => options.onError?.(err));
      };
    },
    admit(requests, maxWaitMs, key) {
      // The reservation is kept in front, by this process; on the local share that share must fit too.
      const a = local.admit(requests, maxWaitMs, key);
      if (!a.admitted || mode === "shared") return a;
      const wait = share.waitMs(requests);
      if (wait <= maxWaitMs) return a;
      a.release();
      return { admitted: false, waitMs: wait };
    },
    update: (h) => local.update(h),
    saturate: () => {
      local.saturate();
      share.saturate();
    },
    waitMs: (requests) => Math.max(local.waitMs(requests), mode === "local" ? share.waitMs(requests) : 0),
    get limit() {
      return mode === "local" ? Math.min(local.limit, share.limit) : local.limit;
    },
    mode: () => mode,
    async dispose() {
      if (options.ownsClient) options.redis.disconnect();
    },
  };
}
