/**
 * The release-source contract, as unstorage's testDriver: one suite that every catalogue adapter runs
 * (the API client over the simulator, the offline index), over the same bundled dump sample. It checks
 * the port in the domain's words (track and album candidates, releases, masters) and the optional
 * capabilities (video lookup, images) each source says it has; a second suite checks the Discogs search
 * semantics both Discogs adapters share (the ladder's rungs).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { SearchParams } from "../../src/adapters/discogs/ladder.js";
import type { SearchHit } from "../../src/core/catalog.js";
import { NotFoundError } from "../../src/core/errors.js";
import type { CandidateBatch, MetadataSource } from "../../src/core/ports.js";

/** Facts of the sample the suite relies on, found by the caller from the dump itself. */
export interface SampleFacts {
  /** A master with two or more versions in the sample, and those versions' ids. */
  master: { id: number; versions: number[] };
  /** A release with a barcode, and the barcode. */
  barcode: { releaseId: number; value: string };
  /** A YouTube video id attached to a release, and that release. */
  video: { id: string; releaseId: number };
}

/** What a contract run gets from its adapter: the source, how many lookups reached it, and a close. */
export interface ContractSubject {
  source: MetadataSource;
  /** Lookups that reached the backing store so far (API requests, or index queries). */
  lookups(): number;
  close(): Promise<void>;
}

async function all(batches: AsyncIterable<CandidateBatch>): Promise<CandidateBatch[]> {
  const out: CandidateBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** Runs the release-source contract against one adapter. */
export function testMetadataSource(
  name: string,
  make: () => Promise<ContractSubject>,
  facts: () => SampleFacts,
  capabilities: { video: boolean; images: boolean },
): void {
  describe(`release source contract: ${name}`, () => {
    let subject: ContractSubject;
    beforeAll(async () => {
      subject = await make();
      return () => subject.close();
    });

    it("finds a track's release in the first batch, by artist and track title", async () => {
      const { source } = subject;
      for await (const batch of source.findTrackCandidates({ artist: "The Persuader", title: "Östermalm" })) {
        expect(batch.strategy).toBe("artist+track");
        const release = batch.hits.find((h) => h.kind === "release" && h.id === 1);
        expect(release).toMatchObject({
          artist: "The Persuader",
          title: "Stockholm",
          year: 1999,
          catno: "SK032",
        });
        expect(release?.labels).toContain("Svek");
        expect(release?.formats).toContain("Vinyl");
        break;
      }
    });

    it("sends a lookup only for a batch that is pulled", async () => {
      const before = subject.lookups();
      const batches = subject.source.findTrackCandidates({ artist: "The Persuader", title: "Östermalm" });
      expect(subject.lookups()).toBe(before);
      for await (const _ of batches) break;
      expect(subject.lookups()).toBe(before + 1);
    });

    it("climbs from the precise search to looser ones, each named", async () => {
      const batches = await all(
        subject.source.findTrackCandidates({
          artist: "the persuader",
          title: "OSTERMALM",
          orderUncertain: true,
        }),
      );
      expect(batches.map((b) => b.strategy).slice(0, 2)).toEqual(["artist+track", "q"]);
      expect(batches.at(-1)?.strategy).toBe("swapped+track");
      expect(batches[0]!.hits.some((h) => h.id === 1)).toBe(true);
    });

    it("searches a bare title as a track, and a name no grammar split as free words", async () => {
      const [bare] = await all(subject.source.findTrackCandidates({ artist: null, title: "Östermalm" }));
      expect(bare?.strategy).toBe("track");
      expect(bare?.hits.some((h) => h.id === 1)).toBe(true);
      const [whole] = await all(
        subject.source.findTrackCandidates({ artist: null, title: null, text: "Persuader Ostermalm" }),
      );
      expect(whole?.hits.some((h) => h.id === 1 || h.kind === "master")).toBe(true);
    });

    it("finds by catalogue number and barcode first when the track carries them", async () => {
      const { releaseId, value } = facts().barcode;
      const [byCatno] = await all(
        subject.source.findTrackCandidates({ artist: null, title: null, catno: "SK 032" }),
      );
      expect(byCatno?.strategy).toBe("catno");
      expect(byCatno?.hits.some((h) => h.kind === "release" && h.id === 1)).toBe(true);
      const [byBarcode] = await all(
        subject.source.findTrackCandidates({ artist: null, title: null, barcode: value }),
      );
      expect(byBarcode?.hits.some((h) => h.kind === "release" && h.id === releaseId)).toBe(true);
    });

    it("finds an album by artist and title, and tries looser words only when asked", async () => {
      const batches = subject.source.findAlbumCandidates({ artist: "Persuader", album: "Stockholm" });
      for await (const batch of batches) {
        expect(batch.strategy).toBe("album-search");
        expect(batch.hits.find((h) => h.kind === "release")).toMatchObject({ id: 1 });
        break;
      }
      const misses = await all(subject.source.findAlbumCandidates({ artist: "Zzyzx", album: "Qwertyuiop" }));
      expect(misses.map((b) => b.strategy)).toEqual(["album-search", "album-q", "album-title"]);
      expect(misses.every((b) => b.hits.length === 0)).toBe(true);
    });

    it("reads a release with its tracklist, labels, formats and credits", async () => {
      const r = await subject.source.getRelease(1);
      expect(r).toMatchObject({ id: 1, title: "Stockholm", year: 1999, country: "Sweden" });
      expect(r.artists[0]).toMatchObject({ name: "The Persuader" });
      expect(r.labels[0]).toMatchObject({ name: "Svek", catno: "SK032" });
      expect(r.tracklist.map((t) => t.title)).toContain("Östermalm");
      expect(r.tracklist.every((t) => t.parsed?.title)).toBe(true);
    });

    it("reads a master, whose main release is one of its versions", async () => {
      const { id, versions } = facts().master;
      const m = await subject.source.getMaster(id);
      expect(m.id).toBe(id);
      expect(versions).toContain(m.mainReleaseId);
    });

    it("says NotFoundError for ids it does not have", async () => {
      await expect(subject.source.getRelease(987_654_321)).rejects.toBeInstanceOf(NotFoundError);
      await expect(subject.source.getMaster(987_654_321)).rejects.toBeInstanceOf(NotFoundError);
    });

    it(`${capabilities.video ? "maps" : "does not offer to map"} a YouTube video id to its release`, async () => {
      const { source } = subject;
      expect(typeof source.findByVideoId).toBe(capabilities.video ? "function" : "undefined");
      if (!source.findByVideoId) return;
      expect(await source.findByVideoId(facts().video.id)).toContain(facts().video.releaseId);
      expect(await source.findByVideoId("AAAAAAAAAAA")).toEqual([]);
    });

    it(`${capabilities.images ? "fetches" : "does not offer to fetch"} a release's images`, async () => {
      const { source } = subject;
      expect(typeof source.getImage).toBe(capabilities.images ? "function" : "undefined");
      if (!source.getImage) return;
      const r = await source.getRelease(1);
      const image = await source.getImage(r.images![0]!.uri);
      expect(image.data.byteLength).toBeGreaterThan(0);
      expect(image.mimeType).toMatch(/^image\//);
    });
  });
}

/** A Discogs adapter's one-search primitive, which the ladder's rungs use. */
export type DiscogsSearch = (params: SearchParams) => Promise<SearchHit[]>;

/** Runs the Discogs search semantics both Discogs adapters share (the API's, and the index's emulation). */
export function testDiscogsSearch(
  name: string,
  make: () => Promise<{ search: DiscogsSearch; close(): Promise<void> }>,
) {
  describe(`Discogs search semantics: ${name}`, () => {
    let search: DiscogsSearch;
    beforeAll(async () => {
      const made = await make();
      search = made.search;
      return () => made.close();
    });

    it("lists a master before its releases, and needs every word", async () => {
      const hits = await search({ artist: "The Persuader", track: "Östermalm", per_page: 50 });
      const master = hits.findIndex((h) => h.kind === "master");
      if (master >= 0) expect(master).toBeLessThan(hits.findIndex((h) => h.kind === "release"));
      expect(await search({ artist: "The Persuader", track: "Östermalm nonexistentword" })).toEqual([]);
    });

    it("searches release titles, q across fields, and filters by type", async () => {
      const byTitle = await search({ artist: "Persuader", release_title: "Stockholm", type: "release" });
      expect(byTitle[0]).toMatchObject({ kind: "release", id: 1 });
      expect(byTitle.every((h) => h.kind === "release")).toBe(true);
      const byQ = await search({ q: "persuader stockholm" });
      expect(byQ.some((h) => h.id === 1 || h.masterId === byTitle[0]?.masterId)).toBe(true);
    });

    it("finds catalogue numbers in any spacing", async () => {
      for (const catno of ["SK032", "SK 032", "sk032"]) {
        const hits = await search({ catno });
        expect(hits.some((h) => h.kind === "release" && h.id === 1)).toBe(true);
      }
    });

    it("pages, and answers nothing for no criteria or no match", async () => {
      const every = await search({ genre: "Electronic", type: "release", per_page: 100 });
      const page1 = await search({ genre: "Electronic", type: "release", per_page: 5 });
      const page2 = await search({ genre: "Electronic", type: "release", per_page: 5, page: 2 });
      expect(page1).toHaveLength(5);
      expect(page2).toHaveLength(5);
      expect(page1.map((h) => h.id)).toEqual(every.slice(0, 5).map((h) => h.id));
      expect(page2.map((h) => h.id)).toEqual(every.slice(5, 10).map((h) => h.id));
      expect(await search({ artist: "Zzyzx Qwertyuiop" })).toEqual([]);
    });
  });
}
