/**
 * The MetadataSource contract, as unstorage's testDriver: one suite that every catalogue adapter runs
 * (the API client over the simulator, the offline index), over the same bundled dump sample.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/core/errors.js";
import type { MetadataSource } from "../../src/core/ports.js";

/** Facts of the sample the suite relies on, found by the caller from the dump itself. */
export interface SampleFacts {
  /** A master with two or more versions in the sample, and those versions' ids. */
  master: { id: number; versions: number[] };
  /** A release with a barcode, and the barcode. */
  barcode: { releaseId: number; value: string };
}

/** Runs the contract against one adapter. */
export function testMetadataSource(
  name: string,
  make: () => Promise<{ source: MetadataSource; close(): Promise<void> }>,
  facts: () => SampleFacts,
): void {
  describe(`MetadataSource contract: ${name}`, () => {
    let source: MetadataSource;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ source, close } = await make());
      return () => close();
    });

    it("finds a track by artist and track title, its master first, then its versions", async () => {
      const hits = await source.search({ artist: "The Persuader", track: "Östermalm", per_page: 50 });
      expect(hits.length).toBeGreaterThan(0);
      const release = hits.find((h) => h.kind === "release" && h.id === 1);
      expect(release).toMatchObject({
        artist: "The Persuader",
        title: "Stockholm",
        year: 1999,
        catno: "SK032",
      });
      expect(release?.labels).toContain("Svek");
      expect(release?.formats).toContain("Vinyl");
      const master = hits.findIndex((h) => h.kind === "master");
      if (master >= 0) expect(master).toBeLessThan(hits.findIndex((h) => h.kind === "release"));
    });

    it("folds case and accents, and needs every word", async () => {
      const hits = await source.search({ artist: "the persuader", track: "OSTERMALM" });
      expect(hits.some((h) => h.id === 1)).toBe(true);
      expect(await source.search({ artist: "The Persuader", track: "Östermalm nonexistentword" })).toEqual(
        [],
      );
    });

    it("searches release titles, q across fields, and filters by type", async () => {
      const byTitle = await source.search({
        artist: "Persuader",
        release_title: "Stockholm",
        type: "release",
      });
      expect(byTitle[0]).toMatchObject({ kind: "release", id: 1 });
      expect(byTitle.every((h) => h.kind === "release")).toBe(true);
      const byQ = await source.search({ q: "persuader stockholm" });
      expect(byQ.some((h) => h.id === 1 || h.masterId === byTitle[0]?.masterId)).toBe(true);
    });

    it("finds catalogue numbers and barcodes in any spacing", async () => {
      for (const catno of ["SK032", "SK 032", "sk032"]) {
        const hits = await source.search({ catno });
        expect(hits.some((h) => h.kind === "release" && h.id === 1)).toBe(true);
      }
      const { releaseId, value } = facts().barcode;
      const hits = await source.search({ barcode: value });
      expect(hits.some((h) => h.kind === "release" && h.id === releaseId)).toBe(true);
    });

    it("pages, and answers nothing for no criteria or no match", async () => {
      const all = await source.search({ genre: "Electronic", type: "release", per_page: 100 });
      const page1 = await source.search({ genre: "Electronic", type: "release", per_page: 5 });
      const page2 = await source.search({ genre: "Electronic", type: "release", per_page: 5, page: 2 });
      expect(page1).toHaveLength(5);
      expect(page2).toHaveLength(5);
      expect(page1.map((h) => h.id)).toEqual(all.slice(0, 5).map((h) => h.id));
      expect(page2.map((h) => h.id)).toEqual(all.slice(5, 10).map((h) => h.id));
      expect(await source.search({ artist: "Zzyzx Qwertyuiop" })).toEqual([]);
    });

    it("reads a release with its flattened tracklist, labels, formats and credits", async () => {
      const r = await source.getRelease(1);
      expect(r).toMatchObject({ id: 1, title: "Stockholm", year: 1999, country: "Sweden" });
      expect(r.artists[0]).toMatchObject({ name: "The Persuader" });
      expect(r.labels[0]).toMatchObject({ name: "Svek", catno: "SK032" });
      expect(r.tracklist.map((t) => t.title)).toContain("Östermalm");
      expect(r.tracklist.every((t) => t.position !== "" || t.title !== "")).toBe(true);
    });

    it("reads a master and its versions, earliest first", async () => {
      const { id, versions } = facts().master;
      const m = await source.getMaster(id);
      expect(m.id).toBe(id);
      expect(versions).toContain(m.mainReleaseId);
      const list = await source.getMasterVersions(id);
      expect(list.map((v) => v.id).sort()).toEqual([...versions].sort());
      const years = list.map((v) => v.year ?? 9999);
      expect(years).toEqual([...years].sort((a, b) => a - b));
    });

    it("says NotFoundError for ids it does not have", async () => {
      await expect(source.getRelease(987_654_321)).rejects.toBeInstanceOf(NotFoundError);
      await expect(source.getMaster(987_654_321)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
