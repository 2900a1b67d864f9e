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
 */

import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { RateLimiterRedis } from "rate-limiter-flexible";
import { currentPriority, type RateLimiter, REAL_TIMING, type Timing } from "./rate-limit.js";

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
  /** Called when Redis fails: the limiter then falls back to the in-process budget for that request. */
  onError?: (err: unknown) => void;
}

/** Creates the shared limiter. */
export function createSharedLimiter(options: SharedLimiterOptions): RateLimiter {
  const windowSec = Math.max(1, Math.round((options.windowMs ?? 60_000) / 1000));
  const timing = options.timing ?? REAL_TIMING;
  const { RateLimiterRedis: SlotStore, RateLimiterRes } = flexible();
  const slots: RateLimiterRedis = new SlotStore({
    storeClient: options.redis,
    keyPrefix: `discmeta:budget:${options.key}`,
    points: 1,
    duration: windowSec,
    // Commands wait in ioredis' offline queue while it connects; a Redis that stays down fails them.
    rejectIfRedisNotReady: false,
  });
  const { local } = options;
  let hint = 0;

  /** Takes a free slot, waiting for the first to free up when all are held. */
  const takeSlot = async (signal?: AbortSignal): Promise<string | null> => {
    for (;;) {
      let soonest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < options.limit; i++) {
        const slot = String((hint + i) % options.limit);
        try {
          await slots.consume(slot, 1);
          hint = (Number(slot) + 1) % options.limit;
          return slot;
        } catch (res) {
          if (!(res instanceof RateLimiterRes)) {
            options.onError?.(res);
            return null;
          }
          soonest = Math.min(soonest, res.msBeforeNext);
        }
      }
      await timing.sleep(Math.max(5, soonest), signal);
    }
  };

  return {
    async acquire(signal, priority = currentPriority()) {
      const settleLocal = await local.acquire(signal, priority);
      let slot: string | null;
      try {
        slot = await takeSlot(signal);
      } catch (err) {
        settleLocal();
        throw err;
      }
      return () => {
        settleLocal();
        // Date the slot by the response: the server saw the request no later than that.
        if (slot !== null) slots.set(slot, 1, windowSec).catch((err: unknown) => options.onError?.(err));
      };
    },
    update: (h) => local.update(h),
    saturate: () => local.saturate(),
    waitMs: (requests) => local.waitMs(requests),
    get limit() {
      return local.limit;
    },
    async dispose() {
      if (options.ownsClient) options.redis.disconnect();
    },
  };
}
