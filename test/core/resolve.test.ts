import { describe, expect, it } from "vitest";
import { createMemoryCache } from "../../src/adapters/cache/memory.js";
import { cacheKey } from "../../src/core/pipeline/cache-policy.js";
import { DEFAULT_PIPELINE_SETTINGS, resolveMetadata } from "../../src/core/pipeline/resolve.js";
import { createResolver } from "../../src/core/pipeline/resolver.js";
import { blankMetadata } from "../../src/core/pipeline/simple.js";
import { SIMPLE_STAGE, type Stage } from "../../src/core/pipeline/stages.js";
import { warningText } from "../helpers.js";

const settings = { ...DEFAULT_PIPELINE_SETTINGS, discogsDisabled: null, timeoutMs: 300 };

/** A stage of our own that answers after a delay; counts its runs. */
function slowStage(ms: number, runs: { n: number }): Stage {
  return {
    name: "discogs",
    skipReason: () => null,
    run: async (ctx) => {
      runs.n++;
      await new Promise((r, reject) => {
        const t = setTimeout(r, ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(t);
          reject(ctx.signal.reason);
        });
      });
      const result = blankMetadata(ctx.query, ctx.mode);
      result.source = "discogs";
      result.confidence = 0.9;
      result.release = {
        format: 'Vinyl, 12"',
        albumArtist: "A",
        trackTitle: "B",
        trackNumber: 1,
        trackTotal: 1,
        discNumber: 1,
        discTitle: null,
        discTotal: 1,
        credits: [],
        tracklist: ["A B"],
        coverUrl: null,
      };
      return { result };
    },
  };
}

/** A Discogs stage that answered and had nothing (the catalogue's own miss), or that failed. */
function catalogueStage(outcome: "miss" | "error", runs: { n: number } = { n: 0 }): Stage {
  return {
    name: "discogs",
    skipReason: (ctx) =>
      ctx.deps.settings.discogsDisabled
        ? { code: "disabled", reason: ctx.deps.settings.discogsDisabled }
        : null,
    run: async () => {
      runs.n++;
      if (outcome === "error") throw new Error("discogs: search answered 503");
      return { result: null, code: "not-found", reason: "no release holds this track" };
    },
  };
}

describe("resolveMetadata", () => {
  it("keys the cache on normalised artist, title and mix", () => {
    expect(cacheKey({ artist: "T-Fire", title: "Say a Prayer", mix: null })).toBe(
      cacheKey({ artist: "t-fire ", title: "SAY A PRAYER", mix: null }),
    );
    expect(cacheKey({ artist: "A", title: "B", mix: "Dub" })).toBe("metadata:a:b:dub");
  });

  it("answers with the best so far and a warning when the deadline strikes", async () => {
    const runs = { n: 0 };
    const r = await resolveMetadata(
      { filename: "A - B.mp3" },
      { settings, stages: [slowStage(2000, runs), SIMPLE_STAGE] },
    );
    expect(r.source).toBe("simple");
    expect(r.diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "timeout" });
    expect(warningText(r)).toMatch(/deadline of 300 ms reached in discogs/);
  });

  it("rebuilds a cached miss from this input's own hints", async () => {
    const cache = createMemoryCache();
    const deps = { settings, cache, stages: [catalogueStage("miss"), SIMPLE_STAGE] };
    await resolveMetadata({ filename: "T-Fire - Say A Prayer.flac" }, deps);
    const r = await resolveMetadata({ filename: "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus" }, deps);
    expect(r).toMatchObject({ cached: true, year: 1979, country: "Nigeria" });
    await cache.dispose();
  });

  it("keeps a cached miss's candidates on offer (a review item needs them)", async () => {
    const cache = createMemoryCache();
    const candidate = {
      releaseId: 7,
      masterId: null,
      artist: "T-Fire",
      album: "Say A Prayer",
      year: 1979,
      country: "Nigeria",
      format: "Vinyl",
      label: null,
      catno: null,
      position: "A1",
      track: "Say A Prayer",
      distance: 0.4,
      recommendation: "none" as const,
      penalties: { artist: 0.5 },
    };
    const offering: Stage = {
      name: "discogs",
      skipReason: () => null,
      run: async (ctx) => {
        ctx.candidates = [candidate];
        return { result: null, code: "low-confidence", reason: "low confidence 0.5 < 0.7 (none)" };
      },
    };
    const deps = { settings, cache, stages: [offering, SIMPLE_STAGE] };
    const first = await resolveMetadata({ filename: "T-Fire - Say A Prayer.flac" }, deps);
    expect(first.candidates).toEqual([candidate]);
    const again = await resolveMetadata({ filename: "T-Fire - Say A Prayer.flac" }, deps);
    expect(again).toMatchObject({ cached: true, candidates: [candidate] });
    await cache.dispose();
  });

  it("never caches an answer cut short by the deadline, and says so", async () => {
    const cache = createMemoryCache();
    const runs = { n: 0 };
    const deps = { settings, cache, stages: [slowStage(2000, runs), SIMPLE_STAGE] };
    const first = await resolveMetadata({ filename: "A - B.mp3" }, deps);
    expect(first.degraded).toMatchObject({ reason: "deadline" });
    expect(first.degraded?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    const again = await resolveMetadata({ filename: "A - B.mp3" }, deps);
    expect(again.cached).toBe(false);
    expect(runs.n).toBe(2);
    await cache.dispose();
  });

  it("never caches an answer after an upstream fault, and caches the catalogue's own miss", async () => {
    const cache = createMemoryCache();
    const failing = { n: 0 };
    const deps = { settings, cache, stages: [catalogueStage("error", failing), SIMPLE_STAGE] };
    const r = await resolveMetadata({ filename: "A - B.mp3" }, deps);
    expect(r.degraded).toEqual({ reason: "upstream", retryAfterSeconds: null });
    expect((await resolveMetadata({ filename: "A - B.mp3" }, deps)).cached).toBe(false);
    expect(failing.n).toBe(2);

    const missing = { n: 0 };
    const ok = { settings, cache, stages: [catalogueStage("miss", missing), SIMPLE_STAGE] };
    expect((await resolveMetadata({ filename: "A - B.mp3" }, ok)).degraded).toBeNull();
    expect((await resolveMetadata({ filename: "A - B.mp3" }, ok)).cached).toBe(true);
    expect(missing.n).toBe(1);
    await cache.dispose();
  });

  it("does not cache an answer made with Discogs switched off", async () => {
    const cache = createMemoryCache();
    const deps = {
      settings: { ...settings, discogsDisabled: "off" },
      cache,
      stages: [catalogueStage("miss"), SIMPLE_STAGE],
    };
    await resolveMetadata({ filename: "A - B.mp3" }, deps);
    expect((await resolveMetadata({ filename: "A - B.mp3" }, deps)).cached).toBe(false);
    await cache.dispose();
  });

  it("refuses at once what the Discogs budget cannot serve before the deadline", async () => {
    const runs = { n: 0 };
    const { createDiscogsStage } = await import("../../src/core/pipeline/discogs.js");
    const t0 = Date.now();
    const r = await resolveMetadata(
      { filename: "Mateo & Matos - Groove 4 U.mp3" },
      {
        settings: { ...settings, timeoutMs: 8000 },
        source: {
          async *findTrackCandidates() {},
          async *findAlbumCandidates() {},
          getRelease: async () => {
            runs.n++;
            throw new Error("x");
          },
          getMaster: async () => {
            throw new Error("x");
          },
        },
        budget: { waitMs: () => 42_000 },
        stages: [createDiscogsStage(), SIMPLE_STAGE],
      },
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.degraded).toEqual({ reason: "budget", retryAfterSeconds: 42 });
    expect(r.diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "skipped" });
    expect(warningText(r)).toMatch(/Discogs budget exhausted/);
    expect(runs.n).toBe(0);
  });

  it("does not serve a fast-mode answer to a balanced request", async () => {
    const cache = createMemoryCache();
    const runs = { n: 0 };
    const deps = {
      settings: { ...settings, timeoutMs: 0 },
      cache,
      stages: [slowStage(1, runs), SIMPLE_STAGE],
    };
    await resolveMetadata({ filename: "A - B.mp3", mode: "fast" }, deps);
    expect((await resolveMetadata({ filename: "A - B.mp3", mode: "fast" }, deps)).cached).toBe(true);
    expect((await resolveMetadata({ filename: "A - B.mp3", mode: "balanced" }, deps)).cached).toBe(false);
    expect(runs.n).toBe(2);
    await cache.dispose();
  });

  it("coalesces identical requests in flight", async () => {
    const runs = { n: 0 };
    const resolve = createResolver({
      settings: { ...settings, timeoutMs: 0 },
      stages: [slowStage(50, runs), SIMPLE_STAGE],
    });
    const all = await Promise.all(Array.from({ length: 20 }, () => resolve({ filename: "A - B.mp3" })));
    expect(runs.n).toBe(1);
    expect(new Set(all).size).toBe(20);
  });

  it("a caller that gives up leaves the shared lookup running for the others", async () => {
    const runs = { n: 0 };
    const resolve = createResolver({
      settings: { ...settings, timeoutMs: 0 },
      stages: [slowStage(100, runs), SIMPLE_STAGE],
    });
    const quitter = new AbortController();
    const gone = new AbortController();
    gone.abort(new Error("gone before asking"));
    const first = resolve({ filename: "A - B.mp3" }, { signal: quitter.signal });
    const second = resolve({ filename: "A - B.mp3" });
    const late = resolve({ filename: "A - B.mp3" }, { signal: gone.signal });
    setTimeout(() => quitter.abort(new Error("client hung up")), 10);
    await Promise.all([
      expect(first).rejects.toThrow("client hung up"),
      expect(late).rejects.toThrow("gone before asking"),
    ]);
    expect(await second).toMatchObject({ artist: "A", title: "B" });
    expect(runs.n).toBe(1);
    // A caller that waits to the end gets the answer through the same race.
    const patient = new AbortController();
    expect(await resolve({ filename: "C - D.mp3" }, { signal: patient.signal })).toMatchObject({
      artist: "C",
    });
  });

  it("reuses Stage 1 for a repeated input, but never across different tags", async () => {
    const resolve = createResolver({ settings, cache: createMemoryCache() });
    const first = await resolve({ filename: "A - B.mp3", tags: { year: 1999 } });
    const again = await resolve({ filename: "A - B.mp3", tags: { year: 1999 } });
    const other = await resolve({ filename: "A - B.mp3", tags: { artist: "C", title: "D" } });
    expect(first).toMatchObject({ artist: "A", title: "B", year: 1999 });
    expect(again).toMatchObject({ artist: "A", title: "B", year: 1999 });
    expect(other).toMatchObject({ artist: "C", title: "D", year: null });
    // Answers are the caller's own: changing one leaves the next untouched.
    again.featuring.push("X");
    expect((await resolve({ filename: "A - B.mp3", tags: { year: 1999 } })).featuring).toEqual([]);
  });
});
