import { describe, expect, it } from "vitest";
import { toMaster, toMasterVersions, toRelease, toSearchHit } from "../../../src/adapters/discogs/convert.js";
import { RawMaster, RawMasterVersions, RawRelease, RawSearch } from "../../../src/adapters/discogs/types.js";
import { apiSample } from "../../helpers.js";

describe("raw Discogs shapes", () => {
  it.each([
    "release-10507194.json",
    "release-11578434.json",
    "release-1503102.json",
    "release-16004480.json",
    "release-71989.json",
    "release-8604223.json",
    "release-9218307.json",
  ])("validates and converts %s", (file) => {
    const raw = RawRelease.parse(apiSample(file));
    const r = toRelease(raw);
    expect(r.id).toBe(raw.id);
    expect(r.tracklist.length).toBeGreaterThan(0);
    expect(r.tracklist.every((t) => t.title !== "")).toBe(true);
  });

  it("flattens headings, index tracks and sub-tracks (release 9218307)", () => {
    const r = toRelease(RawRelease.parse(apiSample("release-9218307.json")));
    expect(r.tracklist[0]).toMatchObject({
      position: "CD1-1",
      title: "Lucy Leave",
      durationSec: 177,
      group: "1965-67 Cambridge St/ation",
    });
    expect(r.tracklist.some((t) => t.group !== null && t.group !== "1965-67 Cambridge St/ation")).toBe(true);
    expect(r.masterId).toBe(1115140);
  });

  it("keeps track-level artists and ANV (release 8604223)", () => {
    const r = toRelease(RawRelease.parse(apiSample("release-8604223.json")));
    const a1 = r.tracklist.find((t) => t.position === "A1")!;
    expect(a1.title).toBe("Astronomy Domine");
    expect(a1.artists[0]?.name).toBe("Pink Floyd");
    expect(a1.extraArtists[0]).toMatchObject({ name: "Syd Barrett", anv: "Barrett", role: "Written-By" });
  });

  it("converts a master and its versions", () => {
    const m = toMaster(RawMaster.parse(apiSample("master-1521183.json")));
    expect(m).toMatchObject({ id: 1521183, mainReleaseId: 11849140, year: 2018, title: "Nothing 2 Loose" });
    const v = toMasterVersions(RawMasterVersions.parse(apiSample("master-1521183-versions.json")));
    expect(v[0]).toMatchObject({
      id: 11849140,
      year: 2018,
      country: "Germany",
      label: "All Possible Worlds",
      catno: "APW-2",
    });
  });

  it("converts search rows, with year as a string", () => {
    const s = RawSearch.parse(apiSample("search-artist-title.json"));
    const hits = s.results.map(toSearchHit);
    expect(hits[0]).toMatchObject({
      kind: "master",
      id: 1521183,
      masterId: 1521183,
      artist: "DJ Healer",
      title: "Nothing 2 Loose",
      year: 2018,
    });
    expect(hits[1]).toMatchObject({ kind: "release", id: 11849140, masterId: 1521183, catno: "APW-2" });
    expect(hits[1]?.formats).toEqual(expect.arrayContaining(["Vinyl", "Album"]));
    expect(hits[1]?.community).toEqual({ have: 1368, want: 1839 });
  });

  it("drops artist and label rows", () => {
    expect(toSearchHit({ id: 1, type: "artist", title: "X" })).toBeNull();
  });
});
