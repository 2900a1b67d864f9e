import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer, ensureSampleIndex } from "../../src/container.js";
import { buildServer } from "../../src/http/server.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR } from "../helpers.js";
import { type OwnRedis, startOwnRedis } from "../redis-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DIR = mkdtempSync(join(tmpdir(), "discmeta-jobs-"));
let redis: OwnRedis;
let index: string;
beforeAll(async () => {
  redis = await startOwnRedis();
  index = (await ensureSampleIndex(DIR))!.path;
});
afterAll(async () => {
  await redis.stop();
  rmSync(DIR, { recursive: true, force: true });
});

const ITEMS = [
  "The Persuader - Östermalm.mp3",
  "Mateo & Matos - Groove 4 U.mp3",
  "Nobody Known - Nothing Like This.mp3",
  "Kevin Yost - If She Only Knew.mp3",
  "Blue Six - Music & Wine.mp3",
  "Culture Beat - Pay No Mind.mp3",
].map((filename) => ({ filename }));

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() - t0 > ms) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("jobs API", () => {
  it("answers 503 with how to enable jobs when there is no Redis", async () => {
    const c = createContainer(loadConfig({ METADATA_USE_DISCOGS: "false" }));
    const app = await buildServer(c);
    const res = await app.inject({ method: "POST", url: "/api/v1/jobs", payload: { items: ITEMS } });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/jobs need Redis: set REDIS_URL/);
    await app.close();
    await c.dispose();
  });

  it("rejects a bad job with 400 naming the field, and an unknown id with 404", async () => {
    const c = createContainer(loadConfig({ REDIS_URL: redis.url, DISCOGS_INDEX_PATH: index }));
    const app = await buildServer(c);
    const bad = await app.inject({
      method: "POST",
      url: "/api/v1/jobs",
      payload: { items: [{ filename: "" }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe("items.0.filename");
    const none = await app.inject({ method: "POST", url: "/api/v1/jobs", payload: { items: [] } });
    expect(none.statusCode).toBe(400);
    const unknown = await app.inject({ method: "GET", url: "/api/v1/jobs/nope" });
    expect(unknown.statusCode).toBe(404);
    const page = await app.inject({ method: "GET", url: "/api/v1/jobs/x?limit=9999" });
    expect(page.statusCode).toBe(400);
    await app.close();
    await c.dispose();
  });

  it("submits (202), a worker answers, results come back in item order, paged", async () => {
    const env = {
      REDIS_URL: redis.url,
      DISCOGS_INDEX_PATH: index,
      METADATA_MODE: "fast",
      METADATA_TIMEOUT_MS: "0",
    };
    const c = createContainer(loadConfig(env));
    const app = await buildServer(c);
    const worker = c.startWorker();
    try {
      const res = await app.inject({
        method: "POST",
        url: "/api/v1/jobs",
        payload: { items: ITEMS, mode: "fast" },
      });
      expect(res.statusCode).toBe(202);
      const { id, total } = res.json();
      expect(total).toBe(ITEMS.length);
      const status = await waitFor(
        async () => (await app.inject({ method: "GET", url: `/api/v1/jobs/${id}` })).json(),
        (s) => s.state === "completed",
      );
      expect(status).toMatchObject({
        state: "completed",
        total: 6,
        done: 6,
        failed: 0,
        offset: 0,
        mode: "fast",
      });
      expect(status.results.map((r: { title: string }) => r.title)).toEqual([
        "Östermalm",
        "Groove 4 U",
        "Nothing Like This",
        "If She Only Knew",
        "Music And Wine",
        "Pay No Mind",
      ]);
      expect(status.results[0]).toMatchObject({ source: "discogs", discogs: { releaseId: 1 } });
      const page = (await app.inject({ method: "GET", url: `/api/v1/jobs/${id}?offset=4&limit=2` })).json();
      expect(page.offset).toBe(4);
      expect(page.results.map((r: { title: string }) => r.title)).toEqual(["Music And Wine", "Pay No Mind"]);
    } finally {
      await worker.close();
      await app.close();
      await c.dispose();
    }
  }, 90_000);
});

describe("a worker killed mid-job", () => {
  let sim: DiscogsSimulator;
  beforeAll(async () => {
    // Slow answers, so the first worker is surely in the middle of the job when it dies.
    sim = await startDiscogsSimulator({
      dumpDir: DUMP_DIR,
      faults: { latencyMs: 150 },
      rateLimit: { authenticated: 100_000 },
    });
  });
  afterAll(() => sim.close());

  it("loses nothing: another worker finishes, and every item is answered exactly once", async () => {
    const env = {
      REDIS_URL: redis.url,
      DISCOGS_API_URL: sim.url,
      DISCOGS_USER_TOKEN: "jobs-test",
      METADATA_MODE: "fast",
      JOBS_LOCK_MS: "1500",
      JOBS_CONCURRENCY: "1",
      DISCOGS_RATE_LIMIT: "10000",
      DISCMETA_CACHE_DIR: DIR,
      METADATA_CACHE_ENABLED: "false",
    };
    const c = createContainer(loadConfig(env));
    const items = Array.from({ length: 4 }, () => ITEMS)
      .flat()
      .map((it, i) => ({ filename: `${i} ${it.filename}` }));
    const id = await c.jobs!.submit(items, "fast");
    // The first worker is a real process, killed with SIGKILL: no chance to clean up.
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "worker", "-q"],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: "ignore",
      },
    );
    try {
      await waitFor(
        () => c.jobs!.status(id),
        (s) => (s?.done ?? 0) >= 3,
      );
      child.kill("SIGKILL");
      const before = (await c.jobs!.status(id))!;
      expect(before.done).toBeLessThan(items.length);
      const worker = c.startWorker();
      const after = await waitFor(
        () => c.jobs!.status(id, { limit: 500 }),
        (s) => s?.state === "completed",
        30_000,
      );
      await worker.close();
      expect(after).toMatchObject({ state: "completed", total: items.length, done: items.length, failed: 0 });
      expect(after!.results.every((r) => r !== null && !("error" in r))).toBe(true);
    } finally {
      child.kill("SIGKILL");
      await c.dispose();
    }
  }, 90_000);
});
