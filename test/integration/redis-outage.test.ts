import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer, ensureSampleIndex } from "../../src/container.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-outage-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

import { warningText } from "../helpers.js";
import { type OwnRedis, startOwnRedis } from "../redis-server.js";

let redis: OwnRedis | undefined;
afterAll(() => redis?.stop());

describe("Redis down from the start, with the shared budget on", () => {
  it("answers, and prints no '[ioredis] Unhandled error event' trace for each reconnect", async () => {
    const printed: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      printed.push(args.map(String).join(" "));
    };
    const index = await ensureSampleIndex(DIR);
    const container = createContainer(
      loadConfig({
        REDIS_URL: "redis://127.0.0.1:9",
        DISCOGS_SHARED_BUDGET: "true",
        DISCOGS_USER_TOKEN: "t",
        DISCOGS_API_URL: "http://127.0.0.1:9",
        DISCOGS_INDEX_PATH: index!.path,
      }),
    );
    try {
      const r = await container.resolve({ filename: "The Persuader - Östermalm.mp3" });
      expect(["simple", "discogs"]).toContain(r.source);
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      await container.dispose();
      console.error = original;
    }
    expect(printed.filter((l) => l.includes("Unhandled error event"))).toEqual([]);
  });
});

describe("Redis outage mid-run", () => {
  it("keeps answering while Redis is down, and caches again when it is back", async () => {
    redis = await startOwnRedis();
    const port = redis.port;
    // The offline sample index is the catalogue: its answers (matches and misses) are cacheable.
    const index = await ensureSampleIndex(DIR);
    const container = createContainer(loadConfig({ REDIS_URL: redis.url, DISCOGS_INDEX_PATH: index!.path }));
    try {
      const input = { filename: "The Persuader - Östermalm.mp3" };
      expect((await container.resolve(input)).cached).toBe(false);
      expect((await container.resolve(input)).cached).toBe(true);

      await redis.stop();
      for (let i = 0; i < 5; i++) {
        const r = await container.resolve({ filename: `Artist ${i} - Title.mp3` });
        expect(["simple", "discogs"]).toContain(r.source);
        expect(warningText(r)).toMatch(/cache unavailable/);
      }
      expect((await container.ready()).ok).toBe(false);

      redis = await startOwnRedis(port);
      let back = false;
      for (let i = 0; i < 60 && !back; i++) {
        await new Promise((r) => setTimeout(r, 100));
        back = (await container.ready()).ok;
      }
      expect(back).toBe(true);
      const again = { filename: "Mateo & Matos - Groove 4 U.mp3" };
      expect((await container.resolve(again)).cached).toBe(false);
      expect((await container.resolve(again)).cached).toBe(true);
    } finally {
      await container.dispose();
    }
  });
});
