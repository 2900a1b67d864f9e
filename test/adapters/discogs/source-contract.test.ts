import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../../src/adapters/discogs/index/build.js";
import { openIndexSource } from "../../../src/adapters/discogs/index/source.js";
import { createDiscogsSource } from "../../../src/adapters/discogs/source.js";
import type { ArtistCredit, Release } from "../../../src/core/catalog.js";
import { type SampleFacts, testDiscogsSearch, testMetadataSource } from "../../contracts/metadata-source.js";
import { startDiscogsSimulator } from "../../fakes/discogs-simulator/index.js";
import type { Json } from "../../fakes/discogs-simulator/store.js";
import { DUMP_DIR } from "../../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-contract-"));
const INDEX = join(DIR, "sample.sqlite");
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

let facts: SampleFacts | undefined;
beforeAll(async () => {
  await buildIndex({
    releases: join(DUMP_DIR, "releases.xml.gz"),
    masters: join(DUMP_DIR, "masters.xml.gz"),
    out: INDEX,
  });
  // The facts come from the dump itself, through the simulator's loader.
  const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR });
  const [masterId, versions] = [...sim.store.versions].find(([, ids]) => ids.length >= 2)!;
  const withBarcode = [...sim.store.releases.values()].find((r) =>
    ((r.identifiers as Json[] | undefined) ?? []).some(
      (i) => i.type === "Barcode" && String(i.value).length > 6,
    ),
  )!;
  const barcode = (withBarcode.identifiers as Json[]).find((i) => i.type === "Barcode")!.value as string;
  const withVideo = [...sim.store.releases.values()].find((r) => ((r.videos as Json[]) ?? []).length > 0)!;
  const videoId = /v=([\w-]{11})/.exec(String((withVideo.videos as Json[])[0]!.uri))![1]!;
  facts = {
    master: { id: masterId, versions },
    barcode: { releaseId: Number(withBarcode.id), value: barcode },
    video: { id: videoId, releaseId: Number(withVideo.id) },
  };
  await sim.close();
});

async function apiSource() {
  const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR, rateLimit: { authenticated: 100_000 } });
  const source = createDiscogsSource({ baseUrl: sim.url, token: "t", userAgent: "discmeta-test/1" });
  return { sim, source };
}

testMetadataSource(
  "API client over the simulator",
  async () => {
    const { sim, source } = await apiSource();
    return { source, lookups: () => sim.stats().requests, close: () => sim.close() };
  },
  () => facts!,
  { video: false, images: true },
);

testMetadataSource(
  "offline index",
  async () => {
    const source = openIndexSource(INDEX);
    return { source, lookups: () => source.searches(), close: async () => source.dispose() };
  },
  () => facts!,
  { video: true, images: false },
);

testDiscogsSearch("API client over the simulator", async () => {
  const { sim, source } = await apiSource();
  return { search: (p) => source.search(p), close: () => sim.close() };
});

testDiscogsSearch("offline index", async () => {
  const source = openIndexSource(INDEX);
  return { search: (p) => source.search(p), close: async () => source.dispose() };
});

/** A release with its artist credits' Discogs ids blanked, as the offline index answers them. */
function withoutCreditIds(release: Release): Release {
  const credits = (list: ArtistCredit[]) => list.map((a) => ({ ...a, id: null }));
  return {
    ...release,
    artists: credits(release.artists),
    extraArtists: credits(release.extraArtists),
    tracklist: release.tracklist.map((t) => ({
      ...t,
      artists: credits(t.artists),
      extraArtists: credits(t.extraArtists),
    })),
  };
}

describe("both sources over the same sample", () => {
  it("answer the same release, field for field (images aside: the dumps blank their addresses; credit ids: the index keeps none)", async () => {
    const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR, rateLimit: { authenticated: 100_000 } });
    const api = createDiscogsSource({ baseUrl: sim.url, token: "t", userAgent: "discmeta-test/1" });
    const index = openIndexSource(INDEX);
    try {
      for (const id of [1, facts!.barcode.releaseId, ...facts!.master.versions]) {
        const online = await api.getRelease(id);
        const offline = await index.getRelease(id);
        expect(offline.images).toEqual([]);
        expect(online.images?.length).toBeGreaterThan(0);
        expect(JSON.stringify(offline)).toContain('"id":null');
        expect(offline).toEqual(withoutCreditIds({ ...online, images: [] }));
      }
    } finally {
      index.dispose();
      await sim.close();
    }
  });

  it("list a master's versions, earliest first", async () => {
    const { sim, source: api } = await apiSource();
    const index = openIndexSource(INDEX);
    try {
      const { id, versions } = facts!.master;
      for (const source of [api, index]) {
        const list = await source.getMasterVersions(id);
        expect(list.map((v) => v.id).sort()).toEqual([...versions].sort());
        const years = list.map((v) => v.year ?? 9999);
        expect(years).toEqual([...years].sort((a, b) => a - b));
      }
    } finally {
      index.dispose();
      await sim.close();
    }
  });

  it("the index alone maps a YouTube video id to its release", async () => {
    const index = openIndexSource(INDEX);
    const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR });
    try {
      const release = [...sim.store.releases.values()].find((r) => ((r.videos as Json[]) ?? []).length > 0)!;
      const uri = String((release.videos as Json[])[0]!.uri);
      const id = /v=([\w-]{11})/.exec(uri)![1]!;
      expect(await index.findByVideoId(id)).toContain(Number(release.id));
      expect(await index.findByVideoId("AAAAAAAAAAA")).toEqual([]);
    } finally {
      index.dispose();
      await sim.close();
    }
  });
});
