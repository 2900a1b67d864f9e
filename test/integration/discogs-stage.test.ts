import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { TrackMetadataSchema } from "../../src/core/schema.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR, FIXTURES, warningText } from "../helpers.js";

let sim: DiscogsSimulator;
beforeAll(async () => {
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: [join(FIXTURES, "discogs/t-fire.json"), join(FIXTURES, "discogs/distractors.json")],
    rateLimit: { authenticated: 10_000 },
  });
});
afterAll(() => sim.close());
beforeEach(() => sim.setFaults({}));

const make = (env: Record<string, string> = {}) =>
  createContainer(
    loadConfig({
      DISCOGS_API_URL: sim.url,
      DISCOGS_USER_TOKEN: "test-token",
      METADATA_MODE: "fast",
      METADATA_TIMEOUT_MS: "5000",
      ...env,
    }),
  );

describe("Stage 2 against the simulator: the plan's scenarios", () => {
  it("success: finds the 1979 Nigerian original, not the reissue or the compilation", async () => {
    const c = make();
    const r = await c.resolve({
      filename: "T-Fire - Say A Prayer.flac",
      tags: { artist: "T-Fire", title: "Say A Prayer" },
    });
    expect(TrackMetadataSchema.parse(r)).toBeTruthy();
    expect(r).toMatchObject({
      source: "discogs",
      artist: "T-Fire",
      title: "Say A Prayer",
      album: "Say A Prayer",
      year: 1979,
      originalYear: 1979,
      country: "Nigeria",
      label: "Fixture Sound Nigeria",
      catalogNumber: "FSN 001",
      trackPosition: "A1",
      genre: ["Funk / Soul"],
      discogs: { releaseId: 990000001, masterId: 990000100 },
    });
    expect(r.discogs?.url).toContain("990000001");
    expect(r.match).toMatchObject({ recommendation: "strong", selectedBy: "scorer" });
    expect(r.confidence).toBeGreaterThanOrEqual(0.9);
    expect(r.diagnostics.discogsRequests).toBeLessThanOrEqual(3);
    expect(r.context).toEqual({ background: null, impact: null });
    expect(r.description).toBeNull();
  });

  it("success from the untagged opus name, with its bracket hints", async () => {
    const r = await make().resolve({ filename: "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus" });
    expect(r).toMatchObject({
      source: "discogs",
      year: 1979,
      country: "Nigeria",
      discogs: { releaseId: 990000001 },
    });
  });

  it("no results: falls back to simple extraction and says why", async () => {
    const r = await make().resolve({ filename: "Nobody Known - Nothing Like It.mp3" });
    expect(r.source).toBe("simple");
    expect(r.discogs).toBeNull();
    expect(r.diagnostics.stages[0]).toMatchObject({
      stage: "discogs",
      outcome: "miss",
      reason: "no release holds this track",
    });
    expect(r).toMatchObject({ artist: "Nobody Known", title: "Nothing Like It" });
  });

  it("low confidence: a weak match under DISCOGS_MIN_CONFIDENCE falls back", async () => {
    const r = await make({ DISCOGS_MIN_CONFIDENCE: "0.9" }).resolve({
      filename: "T-Fire - Say A Prayer (Dub Mix).mp3",
      tags: { year: 1999, duration: 120 },
    });
    expect(r.source).toBe("simple");
    expect(r.diagnostics.stages[0]?.reason).toMatch(/^low confidence 0\.\d+ < 0\.9/);
  });

  it("API error: Discogs failing degrades to the next stage with the reason", async () => {
    sim.setFaults({ errorRate: 1 });
    const r = await make({ METADATA_TIMEOUT_MS: "2500" }).resolve({ filename: "T-Fire - Say A Prayer.flac" });
    expect(r.source).toBe("simple");
    expect(r.diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "error" });
    expect(warningText(r)).toMatch(/discogs failed: UpstreamError: discogs: search .*answered 50[02]/);
    expect(JSON.stringify(r)).not.toContain("test-token");
  });

  it("prefers the mix the input names", async () => {
    const r = await make().resolve({ filename: "Blue Six - Music & Wine (Funkaphonic Vocal).mp3" });
    expect(r).toMatchObject({
      source: "discogs",
      title: "Music And Wine",
      mix: "Original Funkaphonic Vocal",
      trackPosition: "A2",
    });
  });

  it("goes straight to a release id carried in the tags", async () => {
    const r = await make().resolve({
      filename: "x.ogg",
      tags: { artist: "Blue Six", title: "Music & Wine", discogsReleaseId: 11 },
    });
    expect(r.discogs?.releaseId).toBe(11);
    expect(r.diagnostics.discogsRequests).toBeLessThanOrEqual(2);
  });

  it("skips Stage 2 outside the rollout share, with a warning", async () => {
    const r = await make({ METADATA_DISCOGS_ROLLOUT_PERCENT: "0" }).resolve({
      filename: "T-Fire - Say A Prayer.flac",
    });
    expect(r.source).toBe("simple");
    expect(r.warnings).toContainEqual({
      code: "stage-skipped",
      stage: "discogs",
      message: "discogs skipped: outside the rollout (0%)",
    });
    expect(r.diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "skipped", code: "rollout" });
  });

  it("finds a name with no separator by an artist the catalogue returns for it", async () => {
    const r = await make().resolve({ filename: "Larry Heard Missing you [RTv6n62-X-Y].opus" });
    expect(r).toMatchObject({ source: "discogs", artist: "Larry Heard", title: "Missing You" });
    expect(r.warnings).toContainEqual({
      code: "unsplit-name",
      stage: "discogs",
      message: "the name had no separator: artist and title read with the catalogue's artist",
    });
    expect(r.diagnostics.discogsRequests).toBeLessThanOrEqual(5);
  });

  it("reads a compilation-first video title by its other dash", async () => {
    const r = await make().resolve({
      filename: "Hotel Costes 2 - Lovetronic - You Are Love (Jay's Afrotonic Vocal) [yd6KqnKgsPk].opus",
    });
    expect(r).toMatchObject({
      source: "discogs",
      artist: "Lovetronic",
      title: "You Are Love",
      discogs: { releaseId: 10 },
    });
    expect(r.diagnostics.discogsRequests).toBeLessThanOrEqual(5);
  });

  it("stops searching once the swapped reading of 'Title - Artist' is strong", async () => {
    const r = await make().resolve({ filename: "Say A Prayer - T-Fire.mp3" });
    expect(r).toMatchObject({
      source: "discogs",
      artist: "T-Fire",
      title: "Say A Prayer",
      originalYear: 1979,
      discogs: { releaseId: 990000001 },
    });
    expect(r.match?.recommendation).toBe("strong");
    // artist+track (wrong way round), q (order-free), the release, its master: no variant searches.
    expect(r.diagnostics.discogsRequests).toBe(4);
  });

  it("stops searching when the best holds the exact track and only its mix keeps it from strong", async () => {
    const r = await make().resolve({ filename: "Blue Six-Pure.m4a" });
    expect(r).toMatchObject({ source: "discogs", artist: "Blue Six", title: "Pure", year: 2000 });
    expect(r.match).toMatchObject({ recommendation: "medium", penalties: { artist: 0, title: 0, mix: 0.5 } });
    expect(r.diagnostics.discogsRequests).toBe(4);
  });

  it("an unsplit name no catalogue artist explains is a miss, in one request", async () => {
    const r = await make().resolve({ filename: "Nothing Here Matches Anything At All.mp3" });
    expect(r.source).toBe("simple");
    expect(r.artist).toBeNull();
    expect(r.diagnostics.discogsRequests).toBe(1);
    expect(r.diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "miss" });
  });
});
