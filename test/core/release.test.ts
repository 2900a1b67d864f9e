/**
 * The domain tracklist (core/release.ts): positions parsed once into media and tracks, by Discogs'
 * tracklist guidelines. Table tests from the guidelines' own examples, then real releases of the dump
 * sample (a 2 × LP, a multi-CD, a box set, a CD+DVD, an index suite), as the adapters convert them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { toRelease } from "../../src/adapters/discogs/convert.js";
import { RawRelease } from "../../src/adapters/discogs/types.js";
import type { Release, ReleaseFormat } from "../../src/core/catalog.js";
import { parsePosition } from "../../src/core/release.js";
import { numbering } from "../../src/core/release-details.js";
import { startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR, type RowSpec, tracklistOf } from "../helpers.js";

const fmt = (name: string, qty = 1): ReleaseFormat => ({ name, qty, descriptions: [], text: null });

/** Each track as "position disc/number of total/discs", the way a tagger writes it. */
function numbers(rows: RowSpec[], formats: ReleaseFormat[] = []): string[] {
  const parsed = tracklistOf(rows, formats);
  const release = { ...parsed } as Release;
  return parsed.tracklist.map((t) => {
    const n = numbering(release, t);
    return `${t.position} ${n.discNumber ?? "-"}/${n.discTotal ?? "-"} ${n.trackNumber}/${n.trackTotal}`;
  });
}
const rows = (...positions: string[]): RowSpec[] => positions.map((position) => ({ position }));

describe("positions, by Discogs' guidelines", () => {
  it.each([
    ["A1", { medium: "side:A", track: 1, sub: false }],
    ["B", { medium: "side:B", track: null, sub: false }],
    ["1-3", { medium: "1", track: 3, sub: false }],
    ["CD2-4", { medium: "2", track: 4, sub: false }],
    ["DVD1", { medium: "DVD", track: 1, sub: false }],
    ["CD-3", { medium: "CD", track: 3, sub: false }],
    ["2.1", { medium: null, track: 2, parent: "2", sub: true }],
    ["12.34", { medium: null, track: 12, parent: "12", sub: true }],
    ["A2a", { medium: "side:A", track: 2, parent: "A2", sub: true }],
    ["A2.b", { medium: "side:A", track: 2, parent: "A2", sub: true }],
    ["7", { medium: null, track: 7, sub: false }],
  ])("%s", (position, place) => {
    expect(parsePosition(position)).toMatchObject(place);
  });
});

describe("numbering, by Discogs' guidelines", () => {
  it("pairs vinyl sides into records: a 2 × LP's C and D are its second disc", () => {
    expect(numbers(rows("A1", "A2", "B1", "C1", "C2", "D1"), [fmt("Vinyl", 2)])).toEqual([
      "A1 1/2 1/3",
      "A2 1/2 2/3",
      "B1 1/2 3/3",
      "C1 2/2 1/3",
      "C2 2/2 2/3",
      "D1 2/2 3/3",
    ]);
  });

  it("believes the sides over a format quantity of one, and a single LP is disc 1 of 1", () => {
    expect(numbers(rows("A", "B", "C", "D"), [fmt("Vinyl")]).map((x) => x.split(" ")[1])).toEqual([
      "1/2",
      "1/2",
      "2/2",
      "2/2",
    ]);
    expect(numbers(rows("A1", "A2", "B1"), [fmt("Vinyl")])).toEqual([
      "A1 1/1 1/3",
      "A2 1/1 2/3",
      "B1 1/1 3/3",
    ]);
  });

  it("counts a track's parts as one track ('2.1'/'2.2', 'A2a'/'A2b', 'A2.a'/'A2.b')", () => {
    expect(numbers(rows("1", "2.1", "2.2", "3"), [fmt("CD")])).toEqual([
      "1 1/1 1/3",
      "2 1/1 2/3",
      "3 1/1 3/3",
    ]);
    expect(numbers(rows("A1", "A2a", "A2b", "B1"), [fmt("Vinyl")])).toEqual([
      "A1 1/1 1/3",
      "A2 1/1 2/3",
      "B1 1/1 3/3",
    ]);
    expect(numbers(rows("A1", "A2.a", "A2.b", "A3"), [fmt("Vinyl")]).at(-1)).toBe("A3 1/1 3/3");
    const parsed = tracklistOf(
      [
        { position: "1", title: "Intro" },
        { position: "2a", title: "Part One" },
        { position: "2b", title: "Part Two" },
      ],
      [fmt("CD")],
    );
    expect(parsed.tracklist[1]).toMatchObject({
      title: "Part One / Part Two",
      parts: ["Part One", "Part Two"],
    });
  });

  it("reads a dot as a part, not a disc: '1.1 1.2 2.1' on one CD is two tracks, '12.34' is track 12", () => {
    expect(numbers(rows("1.1", "1.2", "2.1"), [fmt("CD")])).toEqual(["1 1/1 1/2", "2 1/1 2/2"]);
    expect(parsePosition("12.34")).toMatchObject({ track: 12, sub: true });
  });

  it("reads older entries' dots as discs when every position has one and the media agree", () => {
    expect(numbers(rows("1.01", "1.02", "2.01"), [fmt("CD", 2)])).toEqual([
      "1.01 1/2 1/2",
      "1.02 1/2 2/2",
      "2.01 2/2 1/1",
    ]);
  });

  it("makes an index suite of parts one track, titled by the index track, where its parts are", () => {
    const parsed = tracklistOf(
      [
        { position: "1", title: "Overture" },
        {
          position: "",
          type: "index",
          title: "Suite",
          subTracks: [
            { position: "2.1", title: "Dawn", durationSec: 60 },
            { position: "2.2", title: "Dusk", durationSec: 90 },
          ],
        },
        { position: "3", title: "Finale" },
      ],
      [fmt("CD")],
    );
    expect(parsed.tracklist.map((t) => [t.position, t.title, t.number])).toEqual([
      ["1", "Overture", 1],
      ["2", "Suite", 2],
      ["3", "Finale", 3],
    ]);
    expect(parsed.tracklist[1]).toMatchObject({ durationSec: 150, parts: ["Dawn", "Dusk"], disc: 1 });
    // Alone on a release, the suite is disc 1 of 1, track 1 of 1.
    const alone = tracklistOf(
      [{ position: "", type: "index", title: "Suite", subTracks: rows("2.1", "2.2") }],
      [fmt("CD")],
    );
    expect(numbering(alone as Release, alone.tracklist[0]!)).toMatchObject({
      trackNumber: 1,
      trackTotal: 1,
      discNumber: 1,
      discTotal: 1,
    });
  });

  it("counts past a gap, so a track number never exceeds its total", () => {
    expect(numbers(rows("1-1", "1-2", "1-4", "2-1"), [fmt("CD", 2)])).toEqual([
      "1-1 1/2 1/3",
      "1-2 1/2 2/3",
      "1-4 1/2 3/3",
      "2-1 2/2 1/1",
    ]);
  });

  it("keeps the CD's discs in a CD + DVD, the DVD a medium of its own", () => {
    expect(numbers(rows("1-1", "1-2", "1-3", "DVD1", "DVD2"), [fmt("CD"), fmt("DVD")])).toEqual([
      "1-1 1/2 1/3",
      "1-2 1/2 2/3",
      "1-3 1/2 3/3",
      "DVD1 2/2 1/2",
      "DVD2 2/2 2/2",
    ]);
  });

  it("calls a release with no format one medium, and leaves a 2 × CD numbered 1..N without a disc", () => {
    expect(numbers(rows("1", "2"))).toEqual(["1 1/1 1/2", "2 1/1 2/2"]);
    expect(numbers(rows("1", "2", "3"), [fmt("CD", 2)])).toEqual(["1 -/- 1/3", "2 -/- 2/3", "3 -/- 3/3"]);
  });

  it("titles a disc by the heading before its first track", () => {
    const parsed = tracklistOf(
      [
        { position: "", type: "heading", title: "The Studio Album" },
        { position: "1-1" },
        { position: "", type: "heading", title: "Bonus" },
        { position: "1-2" },
        { position: "", type: "heading", title: "Live In Tokyo" },
        { position: "2-1" },
      ],
      [fmt("CD", 2)],
    );
    expect(parsed.media.map((m) => m.title)).toEqual(["The Studio Album", "Live In Tokyo"]);
    expect(parsed.tracklist.map((t) => t.group)).toEqual(["The Studio Album", "Bonus", "Live In Tokyo"]);
    expect(numbering(parsed as Release, parsed.tracklist[2]!).discTitle).toBe("Live In Tokyo");
  });
});

describe("numbering real releases of the dump sample", () => {
  const releases = new Map<number, Release>();
  beforeAll(async () => {
    const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR });
    for (const id of [1, 3019999, 4497890, 6084060, 9342993, 14220573, 55])
      releases.set(id, toRelease(RawRelease.parse(sim.store.releases.get(id))));
    await sim.close();
  });
  const of = (id: number) => {
    const r = releases.get(id)!;
    return r.tracklist.map((t) => {
      const n = numbering(r, t);
      return `${t.position} ${n.discNumber}/${n.discTotal} ${n.trackNumber}/${n.trackTotal}`;
    });
  };

  it("a 2 × LP (Stockholm, sides A to D): C and D are disc 2", () => {
    expect(of(1)).toEqual(["A 1/2 1/3", "B1 1/2 2/3", "B2 1/2 3/3", "C1 2/2 1/3", "C2 2/2 2/3", "D 2/2 3/3"]);
  });

  it("a 5 × LP box set (sides A to J): the box is no medium, and every record has its sides", () => {
    const r = releases.get(14220573)!;
    expect(r.media.map((m) => m.trackCount)).toEqual([5, 4, 6, 3, 6]);
    expect(of(14220573).slice(4, 6)).toEqual(["B3 1/5 5/5", "C1 2/5 1/4"]);
  });

  it("a 2 × DVD with an index medley and headings: the medley is one track, headings title the discs", () => {
    const r = releases.get(3019999)!;
    expect(r.media.map((m) => m.title)).toEqual(["1984", "1974"]);
    const medley = r.tracklist.find((t) => t.title === "Medley")!;
    expect(medley).toMatchObject({ position: "1-5", disc: 1, number: 5 });
    expect(medley.parts).toHaveLength(7);
    expect(numbering(r, medley)).toMatchObject({
      trackTotal: 5,
      discNumber: 1,
      discTotal: 2,
      discTitle: "1984",
    });
  });

  it("a 2 × CD whose index tracks hold full positions: each is a track of its own", () => {
    const r = releases.get(4497890)!;
    expect(r.tracklist.find((t) => t.title === "Third Movement")).toMatchObject({
      position: "1-2",
      disc: 1,
      number: 2,
      group: "Piano Concerto No. 1",
    });
    expect(of(4497890).at(-1)).toMatch(/^2-5 2\/2 5\/5$/);
  });

  it("a CD + DVD ('CD-1', 'DVD-1'): two media, every track numbered on its own", () => {
    expect(releases.get(6084060)!.media.map((m) => [m.disc, m.format, m.trackCount])).toEqual([
      [1, "CD", 6],
      [2, "DVD", 4],
    ]);
    expect(of(6084060)[6]).toBe("DVD-1 2/2 1/4");
  });

  it("a 5 × CD box set: the box is no medium", () => {
    const r = releases.get(9342993)!;
    expect(r.media).toHaveLength(5);
    expect(r.tracklist.every((t) => t.disc !== null)).toBe(true);
  });

  it("a one-CD mix written '1.1' to '1.20': one disc of twenty tracks, as older entries wrote it", () => {
    expect(of(55)[0]).toBe("1.1 1/1 1/20");
    expect(of(55)[19]).toBe("1.20 1/1 20/20");
  });
});
