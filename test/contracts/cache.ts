/**
 * The Cache contract, as unstorage's testDriver: every cache adapter (memory, Redis, SQLite) runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cache } from "../../src/core/ports.js";

export function testCacheDriver(name: string, make: () => Cache): void {
  describe(`cache contract: ${name}`, () => {
    let cache: Cache;
    beforeAll(() => {
      cache = make();
    });
    afterAll(() => cache.dispose());

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

    it("ignores a TTL of zero", async () => {
      await cache.set("never", 1, 0);
      expect(await cache.get("never")).toBeUndefined();
    });
  });
}
