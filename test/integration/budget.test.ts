/**
 * The Discogs budget, for real but fast: the simulator's moving window is 2 s wide, and the limiter is
 * given the same window (DISCOGS_RATE_LIMIT_WINDOW_MS, meant for tests). Every figure counts answers.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import type { TrackMetadata } from "../../src/core/schema.js";
import { buildServer } from "../../src/http/server.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import type { Json } from "../fakes/discogs-simulator/store.js";
import { captureCli, DUMP_DIR, FIXTURES, warningText } from "../helpers.js";
import { type OwnRedis, startOwnRedis } from "../redis-server.js";

const WINDOW_MS = 2000;
const LIMIT = 10;
const DIR = mkdtempSync(join(tmpdir(), "discmeta-budget-"));
let sim: DiscogsSimulator;
let names: string[];
beforeAll(async () => {
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    rateLimit: { authenticated: LIMIT, windowMs: WINDOW_MS },
  });
  // Real tracks of the sample, "Artist - Title", each as a small untagged MP3.
  names = [...sim.store.releases.values()]
    .map((r) => {
      const artist = ((r.artists as Json[]) ?? [])[0]?.name as string | undefined;
      const track = ((r.tracklist as Json[]) ?? []).find((t) => t.title && !t.sub_tracks)?.title as
        | string
        | undefined;
      return artist && track && !/various/i.test(artist)
        ? `${artist.replace(/ \(\d+\)$/, "")} - ${track}`
        : null;
    })
    .filter((n): n is string => n !== null && !/[/\\:*?"<>|]/.test(n))
    .slice(0, 40);
});
afterAll(async () => {
  await sim.close();
  rmSync(DIR, { recursive: true, force: true });
});

function folder(name: string, count: number): string {
  const dir = join(DIR, name);
  mkdirSync(dir, { recursive: true });
  for (const n of names.slice(0, count))
    copyFileSync(join(FIXTURES, "audio/Mateo & Matos - Groove 4 U.mp3"), join(dir, `${n}.mp3`));
  return dir;
}

function io(env: Record<string, string>) {
  const c = captureCli(env);
  return { ...c, lines: () => c.lines<TrackMetadata & { file: string }>() };
}

let tokens = 0;
/** Each test has a token, and so a budget, of its own: the simulator counts per token. */
const apiEnv = (extra: Record<string, string> = {}) => ({
  DISCOGS_API_URL: sim.url,
  DISCOGS_USER_TOKEN: `budget-test-${tokens++}`,
  DISCOGS_RATE_LIMIT: String(LIMIT),
  DISCOGS_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
  METADATA_MODE: "fast",
  ...extra,
});

describe("the CLI under the budget", () => {
  it("loses no match to waiting, sends no 429, and a rerun costs zero requests", async () => {
    const dir = folder("cli", 16);
    // The reference: the same folder with no limit at all.
    const free = await startDiscogsSimulator({ dumpDir: DUMP_DIR, rateLimit: { authenticated: 1e9 } });
    const ref = io({
      ...apiEnv({ DISCOGS_API_URL: free.url, DISCOGS_RATE_LIMIT: "10000" }),
      DISCMETA_CACHE_DIR: join(DIR, "ref-cache"),
    });
    const refCode = await runCli(["enrich", "--singles", "-q", dir], ref.io);
    expect(ref.err()).toBe("");
    expect(refCode).toBe(0);
    await free.close();
    const expected = ref.lines().filter((r) => r.source === "discogs").length;
    expect(expected).toBeGreaterThanOrEqual(12);

    sim.resetStats();
    const cache = join(DIR, "cli-cache");
    const env = apiEnv();
    const run = io({ ...env, DISCMETA_CACHE_DIR: cache });
    const t0 = Date.now();
    expect(await runCli(["enrich", "--singles", dir], run.io)).toBe(0);
    const secs = (Date.now() - t0) / 1000;
    const got = run.lines();
    expect(got.filter((r) => r.source === "discogs").length).toBe(expected);
    expect(got.every((r) => r.degraded === null)).toBe(true);
    expect(sim.stats().rateLimited).toBe(0);
    const requests = sim.stats().requests;
    // It really waited for the budget: more requests than one window allows.
    expect(requests).toBeGreaterThan(LIMIT);
    expect(secs).toBeGreaterThan(((requests - LIMIT) / LIMIT) * (WINDOW_MS / 1000) * 0.8);
    expect(run.err()).toMatch(
      /16 tracks in .*; \d+ matched, \d+ fallback, 0 failed; \d+ Discogs API requests/,
    );

    sim.resetStats();
    const again = io({ ...env, DISCMETA_CACHE_DIR: cache });
    expect(await runCli(["enrich", "--singles", "-q", dir], again.io)).toBe(0);
    expect(sim.stats().requests).toBe(0);
    expect(again.lines().filter((r) => r.source === "discogs").length).toBe(expected);
  }, 120_000);
});

describe("the HTTP API under a burst larger than the budget", () => {
  it("finishes tracks in arrival order, refuses the rest at once, and caches no degraded answer", async () => {
    const c = createContainer(
      loadConfig(apiEnv({ METADATA_TIMEOUT_MS: "1500", HTTP_RATE_LIMIT_PER_MINUTE: "0" })),
    );
    const app = await buildServer(c);
    try {
      sim.resetStats();
      const burst = names.slice(0, 24);
      const started = Date.now();
      const answers = await Promise.all(
        burst.map(async (n, i) => {
          await new Promise((r) => setTimeout(r, i * 5)); // arrival order
          const res = await app.inject({
            method: "POST",
            url: "/api/v1/audio/metadata/ai",
            payload: { filename: `${n}.mp3`, mode: "fast" },
          });
          return { i, body: res.json(), ms: Date.now() - started };
        }),
      );
      expect(sim.stats().rateLimited).toBe(0);
      const matched = answers.filter((a) => a.body.source === "discogs").map((a) => a.i);
      const refused = answers.filter((a) => a.body.degraded?.reason === "budget");
      expect(matched.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      // Arrival order: the tracks that finished are the early ones.
      const meanMatched = matched.reduce((s, i) => s + i, 0) / matched.length;
      const meanRefused = refused.reduce((s, a) => s + a.i, 0) / refused.length;
      expect(meanMatched).toBeLessThan(meanRefused);
      // Told at once, with when to come back.
      for (const a of refused) {
        expect(a.ms).toBeLessThan(1000);
        expect(a.body.degraded.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(warningText(a.body)).toMatch(/Discogs budget exhausted|waited for the rate-limit budget/);
      }
      const degraded = answers.filter((a) => a.body.degraded !== null).map((a) => a.i);
      // Once the budget refills, none of them comes back from the cache.
      await new Promise((r) => setTimeout(r, WINDOW_MS + 200));
      for (const i of degraded) {
        const res = await app.inject({
          method: "POST",
          url: "/api/v1/audio/metadata/ai",
          payload: { filename: `${burst[i]}.mp3`, mode: "fast" },
        });
        expect(res.json().cached).toBe(false);
      }
    } finally {
      await app.close();
      await c.dispose();
    }
  }, 60_000);
});

describe("a burst arriving all at once (#24 item 2)", () => {
  it("admits tracks with their requests reserved, so the first ones finish; the rest get a retry time that holds", async () => {
    const c = createContainer(
      loadConfig(
        apiEnv({
          METADATA_TIMEOUT_MS: "1500",
          HTTP_RATE_LIMIT_PER_MINUTE: "0",
          METADATA_CACHE_ENABLED: "false",
        }),
      ),
    );
    const app = await buildServer(c);
    const ask = async (name: string) =>
      (
        await app.inject({
          method: "POST",
          url: "/api/v1/audio/metadata/ai",
          payload: { filename: `${name}.mp3`, mode: "fast" },
        })
      ).json() as TrackMetadata;
    try {
      sim.resetStats();
      const burst = names.slice(0, 30);
      // Thirty at once: before this, every one of them started a search and none could finish.
      const first = await Promise.all(burst.map((n) => ask(n)));
      const matched = first.flatMap((a, i) => (a.source === "discogs" ? [i] : []));
      const refused = first.flatMap((a, i) => (a.degraded?.reason === "budget" ? [i] : []));
      // 10 requests per window, about 2 per track: about 5 tracks finish, the first to arrive.
      expect(matched.length).toBeGreaterThanOrEqual(4);
      expect(matched.length).toBeLessThanOrEqual(10);
      expect(Math.max(...matched)).toBeLessThan(12);
      expect(refused.length + matched.length).toBe(30);
      // Every refused track is told a time; asked again then, it is answered by Discogs.
      const retried = await Promise.all(
        refused.map(async (i) => {
          const after = first[i]!.degraded!.retryAfterSeconds!;
          expect(after).toBeGreaterThanOrEqual(1);
          await new Promise((r) => setTimeout(r, after * 1000));
          return ask(burst[i]!);
        }),
      );
      const succeeded = retried.filter((a) => a.degraded === null).length;
      expect(succeeded / refused.length).toBeGreaterThanOrEqual(0.9);
      expect(sim.stats().rateLimited).toBe(0);
    } finally {
      await app.close();
      await c.dispose();
    }
  }, 90_000);
});

describe("one budget shared by every process on the token", () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(() => redis.stop());

  it("two containers on one Redis send no 429 and use most of the budget", async () => {
    const env = apiEnv({ REDIS_URL: redis.url, METADATA_TIMEOUT_MS: "0", METADATA_CACHE_ENABLED: "false" });
    const a = createContainer(loadConfig(env));
    const b = createContainer(loadConfig(env));
    try {
      sim.resetStats();
      const t0 = Date.now();
      const work = (c: typeof a, list: string[]) =>
        Promise.all(list.map((n) => c.resolve({ filename: `${n}.mp3`, mode: "fast" })));
      const [ra, rb] = await Promise.all([work(a, names.slice(0, 10)), work(b, names.slice(10, 20))]);
      const secs = (Date.now() - t0) / 1000;
      expect(sim.stats().rateLimited).toBe(0);
      expect([...ra, ...rb].every((r) => r.degraded === null)).toBe(true);
      const requests = sim.stats().requests;
      const ceiling = (LIMIT * secs) / (WINDOW_MS / 1000) + LIMIT;
      expect(requests / ceiling).toBeGreaterThan(0.6);
      // Without the shared budget each would have spent a whole window's worth on its own.
      const times = sim.stats().okTimes;
      for (let i = LIMIT; i < times.length; i++)
        expect(times[i]! - times[i - LIMIT]!).toBeGreaterThanOrEqual(WINDOW_MS - 50);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  }, 60_000);

  it.each([
    ["0.4", "0.4"],
    ["0", "0"],
  ])(
    "a job beside interactive requests, interactive share %s (#24 item 3)",
    async (_label, share) => {
      const worker = createContainer(
        loadConfig(
          apiEnv({
            REDIS_URL: redis.url,
            METADATA_TIMEOUT_MS: "0",
            METADATA_CACHE_ENABLED: "false",
            DISCOGS_INTERACTIVE_SHARE: share,
          }),
        ),
      );
      const token = worker.config.discogs.token!;
      const service = createContainer(
        loadConfig({
          ...apiEnv({ REDIS_URL: redis.url, METADATA_TIMEOUT_MS: "1500", METADATA_CACHE_ENABLED: "false" }),
          DISCOGS_USER_TOKEN: token,
          DISCOGS_INTERACTIVE_SHARE: share,
        }),
      );
      try {
        sim.resetStats();
        // The job: 30 tracks as batch work, waiting for the budget as jobs do.
        const job = worker.resolveBatch(
          names.slice(0, 30).map((n) => ({ filename: `${n}.mp3`, mode: "fast" as const })),
          { albums: false, concurrency: 8 },
        );
        // Interactive requests on the other process, one every 700 ms while the job runs.
        const interactive: TrackMetadata[] = [];
        await new Promise((r) => setTimeout(r, 1000));
        for (const n of names.slice(30, 40)) {
          interactive.push(await service.resolve({ filename: `${n}.mp3`, mode: "fast" }));
          await new Promise((r) => setTimeout(r, 1200));
        }
        const answered = interactive.filter((r) => r.degraded === null).length;
        const done = await job;
        expect(done.every((r) => r.degraded === null)).toBe(true);
        expect(sim.stats().rateLimited).toBe(0);
        console.log(`interactive answered with ${share} of the budget kept: ${answered} of 10`);
        // 40% of 10 requests per 2 s is 2 a second, above the interactive pace (about 2 requests a
        // track, one track every 1.2 s): nearly every interactive track finishes.
        if (share !== "0") expect(answered).toBeGreaterThanOrEqual(7);
      } finally {
        await worker.dispose();
        await service.dispose();
      }
    },
    120_000,
  );
});
