/**
 * The Redis cache over ioredis: lazy connect, bounded reconnect delays, no offline queue (a down Redis
 * fails fast and the pipeline carries on uncached).
 */
import { createRequire } from "node:module";
import type { Redis, RedisOptions } from "ioredis";
import { UpstreamError } from "../../core/errors.js";
import type { Cache } from "../../core/ports.js";

const require = createRequire(import.meta.url);

/**
 * A Redis connection. ioredis (and BullMQ over it) are loaded when Redis is first used, so a service or
 * CLI run without Redis never pays for loading them at start.
 */
export function newRedis(url: string, options: RedisOptions): Redis {
  const { Redis: Client } = require("ioredis") as typeof import("ioredis");
  const client = new Client(url, options);
  // A down Redis is reported by the commands that fail (each caller degrades, with its reason): an
  // "error" event without a listener would print a stack trace for every reconnect attempt.
  client.on("error", () => undefined);
  return client;
}

/** Options of the Redis cache. */
export interface RedisCacheOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Prefix of every key, so several apps (or test runs) can share a server. Default "discmeta:". */
  prefix?: string;
  /** Timeout of one command, ms. Default 500. */
  commandTimeoutMs?: number;
  /** Longest wait between reconnect attempts, ms. Default 2000. */
  maxReconnectDelayMs?: number;
}

/** A Redis cache that can also say whether the server answers. */
export interface RedisCache extends Cache {
  ping(): Promise<boolean>;
}

function fail(op: string, err: unknown): UpstreamError {
  // ioredis messages name host and port but never the password.
  return new UpstreamError(`redis: ${op} failed: ${(err as Error).message}`, { cause: err });
}

/** Creates the Redis cache; nothing connects until the first command. */
export function createRedisCache(options: RedisCacheOptions): RedisCache {
  const prefix = options.prefix ?? "discmeta:";
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 2000,
    // Keep trying, with a capped delay, so the cache comes back when Redis does.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  };
  const client = newRedis(options.url, redisOptions);
  // Errors surface through the commands; this keeps ioredis from logging them as unhandled.
  client.on("error", () => undefined);
  let connecting: Promise<void> | null = null;
  const ready = async () => {
    if (client.status === "ready") return;
    if (client.status === "wait") connecting ??= client.connect().finally(() => (connecting = null));
    if (connecting) await connecting;
  };
  const run = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    try {
      await ready();
      return await fn();
    } catch (err) {
      throw fail(op, err);
    }
  };

  return {
    get: <T>(key: string) =>
      run("get", async () => {
        const text = await client.get(prefix + key);
        return text === null ? undefined : (JSON.parse(text) as T);
      }),
    set: (key, value, ttlSeconds) =>
      run("set", async () => {
        if (ttlSeconds <= 0) return;
        await client.set(prefix + key, JSON.stringify(value), "EX", Math.max(1, Math.round(ttlSeconds)));
      }),
    async ping() {
      try {
        await ready();
        return (await client.ping()) === "PONG";
      } catch {
        return false;
      }
    },
    async dispose() {
      if (client.status === "wait" || client.status === "end") {
        client.disconnect();
        return;
      }
      await client.quit().catch(() => client.disconnect());
    },
  };
}
