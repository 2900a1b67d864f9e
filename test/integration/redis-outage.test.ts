import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer, ensureSampleIndex } from "../../src/container.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-outage-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

import { startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
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

describe("the shared Discogs budget when its Redis dies (a real redis-server, killed and restarted)", () => {
  it("fails fast to a local share, says so once in the log, /ready and /metrics, and returns to the shared budget", async () => {
    const sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
    const own = await startOwnRedis();
    const container = createContainer(
      loadConfig({
        REDIS_URL: own.url,
        DISCOGS_SHARED_BUDGET: "true",
        DISCOGS_USER_TOKEN: "budget-outage",
        DISCOGS_API_URL: sim.url,
        METADATA_CACHE_ENABLED: "false",
        METADATA_MODE: "fast",
      }),
    );
    const logs: string[] = [];
    container.setLogger((level, msg) => logs.push(`${level}: ${msg}`));
    const gauge = async () =>
      /^discmeta_discogs_budget_local_share (\d)/m.exec(await container.metrics.registry.metrics())?.[1];
    const timed = async (filename: string) => {
      const t = performance.now();
      const r = await container.resolve({ filename });
      return { r, ms: performance.now() - t };
    };
    try {
      const before = await timed("The Persuader - Östermalm.mp3");
      expect(before.r.source).toBe("discogs");
      expect((await container.ready()).checks.budget).toBe("ok");
      expect(await gauge()).toBe("0");

      await own.stop();
      const during: number[] = [];
      for (const name of [
        "Mateo & Matos - Groove 4 U.mp3",
        "The Persuader - Vasastaden.mp3",
        "DJ Rasoul - You Feel That.mp3",
      ]) {
        const { r, ms } = await timed(name);
        during.push(ms);
        expect(r.degraded).toBeNull();
        expect(r.diagnostics.discogsRequests).toBeGreaterThan(0);
      }
      // Before this fix each request waited on Redis' reconnection: 2.4 s, then longer, past the deadline.
      expect(Math.max(...during)).toBeLessThan(1000);
      expect((await container.ready()).checks.budget).toMatch(/^local share \(50%\): Redis unreachable$/);
      expect(await gauge()).toBe("1");
      expect(logs.filter((l) => l.includes("unreachable"))).toHaveLength(1);
      expect(logs[0]).toMatch(/^warn: shared Discogs budget unreachable .*50% of the budget/);

      const back = await startOwnRedis(own.port);
      try {
        let shared = false;
        for (let i = 0; i < 80 && !shared; i++) {
          await new Promise((r) => setTimeout(r, 100));
          await container.resolve({ filename: `Nobody ${i} - Nothing.mp3` });
          shared = (await container.ready()).checks.budget === "ok";
        }
        expect(shared).toBe(true);
        expect(await gauge()).toBe("0");
        expect(logs.at(-1)).toBe("info: shared Discogs budget reachable again: back on the shared budget");
        expect(logs).toHaveLength(2);
      } finally {
        await back.stop();
      }
    } finally {
      await container.dispose();
      await sim.close();
    }
  });
});
