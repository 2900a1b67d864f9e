import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDiscogsClient, normalizeQueryText } from "../../../src/adapters/discogs/client.js";
import {
  DiscogsAuthError,
  DiscogsNotFoundError,
  DiscogsRateLimitError,
} from "../../../src/adapters/discogs/errors.js";
import { createWindowLimiter } from "../../../src/adapters/discogs/rate-limit.js";
import { createDiscogsSource } from "../../../src/adapters/discogs/source.js";
import { loadConfig } from "../../../src/config.js";
import { AbortedError, UpstreamError } from "../../../src/core/errors.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../../fakes/discogs-simulator/index.js";
import { DUMP_DIR } from "../../helpers.js";

const TOKEN = "SECRET-TOKEN-0123456789";
let sim: DiscogsSimulator;

beforeAll(async () => {
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: [{ id: 999000001, title: 123, artists: [] }],
    rateLimit: { authenticated: 1000, anonymous: 1000, windowMs: 60_000 },
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.setFaults({});
  sim.resetStats();
});

const client = (over: Partial<Parameters<typeof createDiscogsClient>[0]> = {}) =>
  createDiscogsClient({
    baseUrl: sim.url,
    token: TOKEN,
    userAgent: "discmeta-test/1.0",
    backoffBaseMs: 5,
    ...over,
  });

describe("Discogs client against the simulator", () => {
  it("sends the token and a User-Agent", async () => {
    await client().getRelease(1);
    expect(sim.stats().lastHeaders).toMatchObject({
      authorization: `Discogs token=${TOKEN}`,
      "user-agent": "discmeta-test/1.0",
    });
  });

  it("searches with every parameter and gets the real shape", async () => {
    const body = await client().search({
      artist: "The Persuader",
      track: "Östermalm",
      type: "release",
      per_page: 5,
      page: 1,
    });
    expect(body.pagination).toMatchObject({ page: 1, per_page: 5, items: 1 });
    expect(body.results[0]).toMatchObject({
      id: 1,
      type: "release",
      title: "The Persuader - Stockholm",
      year: "1999",
      catno: "SK032",
    });
    const all = await client().search({
      q: "persuader",
      title: "stockholm",
      release_title: "stockholm",
      anv: "",
      label: "Svek",
      genre: "Electronic",
      style: "Deep House",
      country: "Sweden",
      year: 1999,
      format: "Vinyl",
      catno: "SK 032",
    });
    expect(all.results.map((r) => r.id)).toContain(1);
  });

  it("mixes master and release rows when no type is given", async () => {
    const body = await client().search({
      type: "release",
      artist: "The Persuader",
      release_title: "Stockholm",
    });
    expect(body.results.every((r) => r.type === "release")).toBe(true);
    const mixed = await client().search({ artist: "The Persuader", release_title: "Stockholm" });
    expect(mixed.results.map((r) => r.type)).toEqual(["master", "release"]);
  });

  it("reads a release, a master and its versions", async () => {
    const c = client();
    expect((await c.getRelease(1)).title).toBe("Stockholm");
    expect((await c.getMaster(1660109)).main_release).toBe(1);
    expect((await c.getMasterVersions(1660109, { per_page: 10 })).versions[0]?.id).toBe(1);
  });

  it("maps 404 to DiscogsNotFoundError", async () => {
    await expect(client().getRelease(424242424)).rejects.toBeInstanceOf(DiscogsNotFoundError);
  });

  it("maps 401 to DiscogsAuthError without retrying", async () => {
    const err = await client({ token: undefined })
      .search({ q: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscogsAuthError);
    expect((err as Error).message).toMatch(/a token is required/);
    expect(sim.stats().requests).toBe(1);
  });

  it("answers 403 to a request without a User-Agent", async () => {
    const status = await new Promise<number>((ok) => {
      const u = new URL(`${sim.url}/releases/1`);
      request({ host: u.hostname, port: u.port, path: u.pathname, headers: {} }, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      }).end();
    });
    expect(status).toBe(403);
  });

  it("retries 5xx and gets through", async () => {
    sim.setFaults({ errorRate: 0.5 });
    const c = client({ maxRetries: 8 });
    for (const id of [...sim.store.releases.keys()].slice(0, 10))
      expect((await c.getRelease(id)).id).toBe(id);
    expect(Object.keys(c.counters()).some((k) => /release 50[02]/.test(k))).toBe(true);
  });

  it("stops retrying and throws UpstreamError", async () => {
    sim.setFaults({ errorRate: 1 });
    const err = await client({ maxRetries: 2 })
      .getRelease(1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(sim.stats().requests).toBe(3);
  });

  it("keeps the upstream error when the budget cannot fit a retry, and blames the budget only for a first try", async () => {
    sim.setFaults({ errorRate: 1 });
    // Two requests a minute: the third attempt would wait far past the call's deadline.
    const limiter = createWindowLimiter({ limit: 2, ceiling: 2, windowMs: 60_000 });
    const err = await client({ limiter, deadlineMs: 1000, maxRetries: 4 })
      .getRelease(1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).not.toBeInstanceOf(DiscogsRateLimitError);
    expect((err as Error).message).toMatch(/release answered 50[02]/);
    // (The server's count of the window, shared with earlier tests, may leave room for fewer than two.)
    const sent = sim.stats().requests;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
    // The window is now full: a new call cannot send at all, and that is the budget's doing.
    const refused = await client({ limiter, deadlineMs: 1000 })
      .getRelease(1)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DiscogsRateLimitError);
    expect((refused as Error).message).toMatch(/waited for the rate-limit budget until the deadline/);
    expect(sim.stats().requests).toBe(sent);
  });

  it("retries malformed JSON and connection resets", async () => {
    sim.setFaults({ malformedRate: 0.5, resetRate: 0.3 });
    const c = client({ maxRetries: 10 });
    for (const id of [...sim.store.releases.keys()].slice(0, 8)) expect((await c.getRelease(id)).id).toBe(id);
  });

  it("rejects a body that fails validation, without crashing", async () => {
    const err = await client()
      .getRelease(999000001)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(/failed validation at title/);
  });

  it("aborts on the caller's signal", async () => {
    sim.setFaults({ latencyMs: 2000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    await expect(client().getRelease(1, ac.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("times out each attempt and keeps to the call's deadline", async () => {
    sim.setFaults({ latencyMs: 1000 });
    const t0 = Date.now();
    const err = await client({ requestTimeoutMs: 100, deadlineMs: 400 })
      .getRelease(1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(/deadline|timed out/);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it("coalesces identical requests in flight", async () => {
    sim.setFaults({ latencyMs: 50 });
    const c = client();
    const all = await Promise.all(Array.from({ length: 10 }, () => c.getRelease(1)));
    expect(all.every((r) => r.id === 1)).toBe(true);
    expect(sim.stats().requests).toBe(1);
    expect(c.requestCount()).toBe(1);
  });

  it("never puts the token in errors or request events", async () => {
    const events: unknown[] = [];
    const c = client({ onRequest: (e) => events.push(e), maxRetries: 1 });
    sim.setFaults({ errorRate: 1 });
    const errors: unknown[] = [];
    for (const call of [() => c.getRelease(1), () => c.search({ q: "x" }), () => c.getMaster(1)]) {
      errors.push(await call().catch((e: unknown) => e));
    }
    sim.setFaults({});
    errors.push(await c.getRelease(424242424).catch((e: unknown) => e));
    const text =
      JSON.stringify(events) +
      errors
        .map((e) => `${(e as Error).message} ${String((e as Error).cause)} ${(e as Error).stack}`)
        .join(" ");
    expect(text).not.toContain(TOKEN);
    expect(events.length).toBeGreaterThan(0);
  });
});

describe("rate limiting", () => {
  it("keeps a burst of 100 requests under the limit with zero 429s", async () => {
    const limited = await startDiscogsSimulator({
      dumpDir: DUMP_DIR,
      rateLimit: { authenticated: 25, windowMs: 400 },
    });
    try {
      const c = createDiscogsClient({
        baseUrl: limited.url,
        token: TOKEN,
        userAgent: "t/1",
        limiter: createWindowLimiter({ limit: 25, windowMs: 400 }),
      });
      const ids = [...limited.store.releases.keys()].slice(0, 100);
      const out = await Promise.all(ids.map((id) => c.getRelease(id)));
      expect(out).toHaveLength(100);
      expect(limited.stats().rateLimited).toBe(0);
      expect(limited.stats().requests).toBe(100);
    } finally {
      await limited.close();
    }
  });

  it("backs off on 429 and retries until through", async () => {
    const limited = await startDiscogsSimulator({
      dumpDir: DUMP_DIR,
      rateLimit: { authenticated: 5, windowMs: 300 },
    });
    try {
      // A limiter that believes in 1000/window: the server's 429s must be survived.
      const c = createDiscogsClient({
        baseUrl: limited.url,
        token: TOKEN,
        userAgent: "t/1",
        backoffBaseMs: 20,
        maxRetries: 10,
        limiter: createWindowLimiter({ limit: 1000, windowMs: 300 }),
      });
      const ids = [...limited.store.releases.keys()].slice(0, 12);
      const out = await Promise.all(ids.map((id) => c.getRelease(id)));
      expect(out).toHaveLength(12);
      expect(limited.stats().rateLimited).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("gives DiscogsRateLimitError when 429s outlast the retries", async () => {
    const limited = await startDiscogsSimulator({
      dumpDir: null,
      rateLimit: { authenticated: 2, windowMs: 60_000 },
    });
    try {
      // Another worker on the same token used the whole window; this client has not seen it yet.
      const other = createDiscogsClient({ baseUrl: limited.url, token: TOKEN, userAgent: "t/1" });
      await Promise.all([other.getRelease(1), other.getRelease(2)].map((p) => p.catch(() => undefined)));
      const c = createDiscogsClient({
        baseUrl: limited.url,
        token: TOKEN,
        userAgent: "t/1",
        backoffBaseMs: 1,
        maxRetries: 3,
        deadlineMs: 1500,
      });
      const t0 = Date.now();
      await expect(c.getRelease(3)).rejects.toBeInstanceOf(DiscogsRateLimitError);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(limited.stats().rateLimited).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it("honours DISCOGS_RATE_LIMIT below the server's word: the lower of the two is in force", async () => {
    const config = loadConfig({ DISCOGS_USER_TOKEN: TOKEN, DISCOGS_RATE_LIMIT: "6" });
    expect(config.discogs).toMatchObject({ rateLimit: 6, rateLimitCeiling: 6 });
    expect(loadConfig({ DISCOGS_USER_TOKEN: TOKEN }).discogs.rateLimitCeiling).toBeNull();
    const limiter = createWindowLimiter({ limit: 6, ceiling: config.discogs.rateLimitCeiling });
    const client = createDiscogsClient({ baseUrl: sim.url, token: TOKEN, userAgent: "t/1", limiter });
    const stop = new AbortController();
    let answered = 0;
    // Ten different releases (identical requests in flight would be coalesced into one).
    const ids = [1, 9, 10, 11, 12, 38, 52, 53, 55, 58];
    // The four beyond the limit cannot be served before the call's deadline: they are refused at once.
    let refused = 0;
    const calls = ids.map((id) =>
      client.getRelease(id, stop.signal).then(
        () => answered++,
        (err: Error) => {
          if (err.name === "DiscogsRateLimitError") refused++;
        },
      ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    // The simulator's headers say 60 a minute; the user's 6 holds.
    expect(limiter.limit).toBe(6);
    expect(answered).toBe(6);
    expect(refused).toBe(4);
    stop.abort();
    await Promise.allSettled(calls);
    // Without a setting, the server's word rules (it may raise the default).
    const open = createWindowLimiter({ limit: 6 });
    open.update({ limit: 60 });
    expect(open.limit).toBe(60);
  });

  it("learns from the headers that another worker used the window", async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = createWindowLimiter({
      limit: 10,
      windowMs: 1000,
      timing: {
        now: () => now,
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
      },
    });
    (await limiter.acquire())();
    limiter.update({ limit: 10, used: 10, remaining: 0 });
    (await limiter.acquire())();
    expect(slept.length).toBeGreaterThan(0);
    expect(now).toBeGreaterThanOrEqual(1000);
  });
});

describe("source and query text", () => {
  it.each([
    ['Say "A" Prayer (Extended Mix)', "Say A Prayer Extended Mix"],
    ["AC/DC: Back In Black!", "AC/DC Back In Black"],
    ["Guns N' Roses", "Guns N Roses"],
    ["A - B", "A B"],
    ["Björk", "Björk"],
  ])("normalizeQueryText(%s)", (input, expected) => {
    expect(normalizeQueryText(input)).toBe(expected);
  });

  it("converts search hits and releases to core types", async () => {
    const src = createDiscogsSource({ baseUrl: sim.url, token: TOKEN, userAgent: "t/1" });
    const hits = await src.search({ artist: "The Persuader", track: "Östermalm" });
    expect(hits[0]).toMatchObject({
      kind: "master",
      id: 1660109,
      artist: "The Persuader",
      title: "Stockholm",
      year: 1999,
    });
    expect((await src.getRelease(1)).tracklist[0]).toMatchObject({ title: "Östermalm", durationSec: 285 });
    expect((await src.getMaster(1660109)).mainReleaseId).toBe(1);
    expect((await src.getMasterVersions(1660109))[0]).toMatchObject({ id: 1, year: 1999 });
  });
});
