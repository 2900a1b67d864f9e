import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryCache } from "../../../src/adapters/cache/memory.js";
import { createRedisCache } from "../../../src/adapters/cache/redis.js";
import { UpstreamError } from "../../../src/core/errors.js";
import type { Cache } from "../../../src/core/ports.js";
import { freePort, testRedis } from "../../redis-server.js";

let redis: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

/** One contract, every driver (as unstorage's testDriver). */
const DRIVERS: [string, () => Cache][] = [
  ["memory", () => createMemoryCache()],
  ["redis", () => createRedisCache({ url: redis.url, prefix: `test:${randomUUID()}:` })],
];

describe.each(DRIVERS)("cache contract: %s", (_name, make) => {
  let cache: Cache;
  beforeAll(() => {
    cache = make();
  });
  afterAll(async () => {
    await cache.clearPattern("*");
    await cache.dispose();
  });

  it("stores and returns JSON values, as copies", async () => {
    const value = { artist: "T-Fire", tags: ["soul"], n: 1 };
    await cache.set("metadata:t fire:say a prayer:", value, 60);
    const got = await cache.get<typeof value>("metadata:t fire:say a prayer:");
    expect(got).toEqual(value);
    expect(got).not.toBe(value);
  });

  it("misses unknown keys", async () => {
    expect(await cache.get("nope")).toBeUndefined();
  });

  it("expires entries after their TTL", async () => {
    await cache.set("short", 1, 1);
    expect(await cache.get("short")).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.get("short")).toBeUndefined();
  });

  it("deletes one key", async () => {
    await cache.set("gone", "x", 60);
    await cache.delete("gone");
    expect(await cache.get("gone")).toBeUndefined();
  });

  it("clears by pattern and says how many", async () => {
    for (let i = 0; i < 30; i++) await cache.set(`metadata:a${i}:t:`, i, 60);
    await cache.set("other:1", 1, 60);
    expect(await cache.clearPattern("metadata:*")).toBeGreaterThanOrEqual(30);
    expect(await cache.get("metadata:a3:t:")).toBeUndefined();
    expect(await cache.get("other:1")).toBe(1);
  });

  it("ignores a TTL of zero", async () => {
    await cache.set("never", 1, 0);
    expect(await cache.get("never")).toBeUndefined();
  });
});

describe("memory cache", () => {
  it("evicts the least recently used entry past its size", async () => {
    const c = createMemoryCache({ maxEntries: 2 });
    await c.set("a", 1, 60);
    await c.set("b", 2, 60);
    await c.get("a");
    await c.set("c", 3, 60);
    expect(await c.get("b")).toBeUndefined();
    expect(await c.get("a")).toBe(1);
    expect(c.size()).toBe(2);
    await c.dispose();
  });
});

describe("redis cache", () => {
  it("fails fast with UpstreamError when no server answers, and pings false", async () => {
    const port = await freePort();
    const c = createRedisCache({ url: `redis://127.0.0.1:${port}`, prefix: "x:" });
    const t0 = Date.now();
    await expect(c.get("k")).rejects.toBeInstanceOf(UpstreamError);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await c.ping()).toBe(false);
    await c.dispose();
  });

  it("never puts the password in errors", async () => {
    const port = await freePort();
    const c = createRedisCache({ url: `redis://user:sup3r-secret@127.0.0.1:${port}` });
    const err = (await c.get("k").catch((e: unknown) => e)) as Error;
    expect(`${err.message} ${String(err.cause)}`).not.toContain("sup3r-secret");
    await c.dispose();
  });
});
