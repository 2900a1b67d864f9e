import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { type OwnRedis, startOwnRedis } from "../redis-server.js";

let redis: OwnRedis | undefined;
afterAll(() => redis?.stop());

describe("Redis outage mid-run", () => {
  it("keeps answering while Redis is down, and caches again when it is back", async () => {
    redis = await startOwnRedis();
    const port = redis.port;
    const container = createContainer(loadConfig({ REDIS_URL: redis.url, METADATA_USE_DISCOGS: "false" }));
    try {
      const input = { filename: "Kevin Yost - If She Only Knew.mp3" };
      expect((await container.resolve(input)).cached).toBe(false);
      expect((await container.resolve(input)).cached).toBe(true);

      await redis.stop();
      for (let i = 0; i < 5; i++) {
        const r = await container.resolve({ filename: `Artist ${i} - Title.mp3` });
        expect(r.source).toBe("simple");
        expect(r.warnings.join(" ")).toMatch(/cache unavailable/);
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
