import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnricher, type Enricher, InvalidInputError, TrackMetadataSchema } from "../src/index.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "./fakes/discogs-simulator/index.js";
import { DUMP_DIR, FIXTURES } from "./helpers.js";

const AUDIO = join(FIXTURES, "audio");
let sim: DiscogsSimulator;
let enricher: Enricher;
beforeAll(async () => {
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: [join(FIXTURES, "discogs/t-fire.json"), join(FIXTURES, "discogs/distractors.json")],
    rateLimit: { authenticated: 10_000 },
  });
  enricher = createEnricher({
    env: { DISCOGS_API_URL: sim.url, DISCOGS_USER_TOKEN: "lib-token", METADATA_MODE: "fast" },
  });
});
afterAll(async () => {
  await enricher.dispose();
  await sim.close();
});

describe("the library", () => {
  it("enriches an audio file from its tags and finds the original release on Discogs", async () => {
    const r = await enricher.enrichFile(join(AUDIO, "T-Fire - Say A Prayer.flac"));
    expect(TrackMetadataSchema.parse(r)).toMatchObject({
      source: "discogs",
      artist: "T-Fire",
      title: "Say A Prayer",
      year: 1979,
      country: "Nigeria",
    });
    expect(r.discogs?.releaseId).toBeTypeOf("number");
  });

  it("enriches plain input, and the second time answers from the cache", async () => {
    const input = { filename: "The Persuader - Östermalm.mp3" };
    const first = await enricher.enrich(input);
    const second = await enricher.enrich(input, { mode: "fast" });
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ cached: true, discogs: first.discogs });
  });

  it("says which file is missing instead of guessing from its name", async () => {
    await expect(enricher.enrichFile(join(AUDIO, "no such file.mp3"))).rejects.toThrow(InvalidInputError);
    await expect(enricher.enrichFile(AUDIO)).rejects.toThrow(/is not a readable file/);
  });

  it("falls back to the filename for a corrupt file, and says so", async () => {
    const r = await enricher.enrichFile(join(AUDIO, "corrupt.mp3"));
    expect(r.warnings[0]).toMatchObject({
      code: "unreadable-tags",
      message: expect.stringMatching(/^unreadable tags/),
    });
    expect(TrackMetadataSchema.safeParse(r).success).toBe(true);
  });

  it("rejects bad settings with the variable's name", () => {
    expect(() => createEnricher({ env: { METADATA_MODE: "turbo" } })).toThrow(/METADATA_MODE/);
  });
});
