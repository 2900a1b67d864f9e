import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryCache } from "../../../src/adapters/cache/memory.js";
import { createRedisCache } from "../../../src/adapters/cache/redis.js";
import { createSqliteCache } from "../../../src/adapters/cache/sqlite.js";
import { UpstreamError } from "../../../src/core/errors.js";
import { testCacheDriver } from "../../contracts/cache.js";
import { freePort, testRedis } from "../../redis-server.js";

let redis: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.stop());

const DIR = mkdtempSync(join(tmpdir(), "discmeta-cache-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

testCacheDriver("memory", () => createMemoryCache());
testCacheDriver("redis", () => createRedisCache({ url: redis.url, prefix: `test:${randomUUID()}:` }));
testCacheDriver("sqlite", () => createSqliteCache({ path: join(DIR, "contract.sqlite") }));
testCacheDriver("sqlite in memory", () => createSqliteCache({ path: ":memory:" }));

describe("sqlite cache", () => {
  it("persists across processes: a new instance on the same file sees the entries", async () => {
    const path = join(DIR, "persist.sqlite");
    const a = createSqliteCache({ path });
    await a.set("metadata:a:b:", { artist: "A" }, 60);
    await a.dispose();
    const b = createSqliteCache({ path });
    expect(await b.get("metadata:a:b:")).toEqual({ artist: "A" });
    expect(b.size()).toBe(1);
    await b.dispose();
  });

  it("sweeps expired rows on open, with an injected clock", async () => {
    let now = 1_000_000;
    const path = join(DIR, "sweep.sqlite");
    const a = createSqliteCache({ path, now: () => now, sweepEvery: 2 });
    await a.set("x", 1, 10);
    await a.set("y", 2, 1000);
    now += 20_000;
    expect(await a.get("x")).toBeUndefined();
    expect(a.size()).toBe(1);
    await a.dispose();
  });

  it("fails with UpstreamError when the file cannot be made", async () => {
    // A folder that cannot exist: its parent is a plain file.
    writeFileSync(join(DIR, "plain-file"), "x");
    const c = createSqliteCache({ path: join(DIR, "plain-file", "sub", "cache.sqlite") });
    await expect(c.get("k")).rejects.toBeInstanceOf(UpstreamError);
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
