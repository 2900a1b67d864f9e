import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { loadConfig } from "../../src/config.js";
import { createContainer, ensureSampleIndex } from "../../src/container.js";
import type { TrackMetadata } from "../../src/core/schema.js";
import { createEnricher } from "../../src/enricher.js";
import { buildServer } from "../../src/http/server.js";
import { captureCli, FIXTURES } from "../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-albums-"));
const STOCKHOLM = ["Östermalm", "Vasastaden", "Kungsholmen", "Södermalm", "Norrmalm", "Gamla Stan"];
let index: string;
beforeAll(async () => {
  index = (await ensureSampleIndex(DIR))!.path;
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe("album mode", () => {
  it("the CLI matches an untagged album folder as one album, with one lookup for all its files", async () => {
    const folder = join(DIR, "music", "The Persuader - Stockholm (1999)");
    mkdirSync(folder, { recursive: true });
    STOCKHOLM.forEach((t, i) => {
      copyFileSync(
        join(FIXTURES, "audio/Mateo & Matos - Groove 4 U.mp3"),
        join(folder, `0${i + 1} - ${t}.mp3`),
      );
    });
    const env = { DISCOGS_INDEX_PATH: index, DISCMETA_CACHE_DIR: DIR, METADATA_MODE: "fast" };
    const c = captureCli(env);
    expect(await runCli(["enrich", join(DIR, "music")], c.io)).toBe(0);
    const lines = c.lines<TrackMetadata>();
    expect(lines.map((l) => l.title)).toEqual(STOCKHOLM);
    for (const l of lines) {
      expect(l).toMatchObject({
        source: "discogs",
        artist: "The Persuader",
        album: "Stockholm",
        discogs: { releaseId: 1 },
      });
      expect(l.albumMatch).toMatchObject({
        releaseId: 1,
        recommendation: "strong",
        items: 6,
        strategy: "album-search",
      });
    }
    expect(lines.map((l) => l.albumMatch?.position)).toEqual(["A", "B1", "B2", "C1", "C2", "D"]);
    const lookups = lines.reduce((n, l) => n + l.diagnostics.indexLookups, 0);
    expect(lookups).toBeLessThanOrEqual(3);

    // --singles matches each file alone: the same answers, more lookups, no album block.
    const alone = captureCli({ ...env, METADATA_CACHE_ENABLED: "false" });
    expect(await runCli(["enrich", "--singles", join(DIR, "music")], alone.io)).toBe(0);
    const singles = alone.lines<TrackMetadata>();
    expect(singles.every((l) => l.albumMatch === null && l.discogs?.releaseId === 1)).toBe(true);
    expect(singles.reduce((n, l) => n + l.diagnostics.indexLookups, 0)).toBeGreaterThan(lookups);
  });

  it("the batch endpoint answers in item order, albums together, singles alone, bad input 400", async () => {
    const c = createContainer(
      loadConfig({ DISCOGS_INDEX_PATH: index, METADATA_MODE: "fast", METADATA_CACHE_ENABLED: "false" }),
    );
    const app = await buildServer(c);
    try {
      const items = [
        ...STOCKHOLM.slice(0, 3).map((t, i) => ({
          filename: `0${i + 1} ${t}.flac`,
          id3_tags: { artist: "The Persuader", title: t, album: "Stockholm" },
        })),
        { filename: "Mateo & Matos - Groove 4 U.mp3" },
      ];
      const res = await app.inject({
        method: "POST",
        url: "/api/v1/audio/metadata/ai/batch",
        payload: { items },
      });
      expect(res.statusCode).toBe(200);
      const { results } = res.json();
      expect(results.map((r: { title: string }) => r.title)).toEqual([
        "Östermalm",
        "Vasastaden",
        "Kungsholmen",
        "Groove 4 U",
      ]);
      expect(results.slice(0, 3).every((r: { albumMatch: unknown }) => r.albumMatch !== null)).toBe(true);
      expect(results[3].albumMatch).toBeNull();
      const bad = await app.inject({
        method: "POST",
        url: "/api/v1/audio/metadata/ai/batch",
        payload: { items: Array.from({ length: 501 }, () => ({ filename: "x.mp3" })) },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().field).toBe("items");
    } finally {
      await app.close();
      await c.dispose();
    }
  });

  it("the library's enrichBatch reads folders from paths", async () => {
    const e = createEnricher({
      env: { DISCOGS_INDEX_PATH: index, METADATA_MODE: "fast", METADATA_CACHE_ENABLED: "false" },
    });
    try {
      const results = await e.enrichBatch(
        STOCKHOLM.map((t, i) => ({
          filename: `0${i + 1} - ${t}.mp3`,
          path: `The Persuader - Stockholm (1999)/0${i + 1} - ${t}.mp3`,
        })),
      );
      expect(results.every((r) => r.albumMatch?.releaseId === 1)).toBe(true);
    } finally {
      await e.dispose();
    }
  });
});
