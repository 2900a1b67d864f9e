/**
 * The default cache: an in-process LRU with per-entry TTLs. No server needed. Its sweep timer is
 * unref()ed so it never keeps the process alive.
 */
import type { Cache } from "../../core/ports.js";

/** Options of the memory cache. */
export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** How often expired entries are swept, ms. Default 60 000. */
  sweepMs?: number;
  now?: () => number;
}

/** Creates the in-process LRU cache. Values are stored as JSON text, so callers get copies. */
export function createMemoryCache(options: MemoryCacheOptions = {}): Cache & { size(): number } {
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // A Map keeps insertion order: re-inserting on read makes it an LRU.
  const entries = new Map<string, { value: string; expires: number }>();
  const sweep = setInterval(() => {
    const t = now();
    for (const [k, e] of entries) if (e.expires <= t) entries.delete(k);
  }, options.sweepMs ?? 60_000);
  sweep.unref();

  return {
    async get<T>(key: string) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, e);
      return JSON.parse(e.value) as T;
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds <= 0) return;
      entries.delete(key);
      entries.set(key, { value: JSON.stringify(value), expires: now() + ttlSeconds * 1000 });
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
    async dispose() {
      clearInterval(sweep);
      entries.clear();
    },
    size: () => entries.size,
  };
}
