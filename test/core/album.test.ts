import { beforeAll, describe, expect, it } from "vitest";
import { toRelease } from "../../src/adapters/discogs/convert.js";
import { RawRelease } from "../../src/adapters/discogs/types.js";
import type { Release } from "../../src/core/catalog.js";
import { extractTrack } from "../../src/core/extract.js";
import { parseFolderName } from "../../src/core/folder.js";
import { scoreClusterOn } from "../../src/core/match/album.js";
import { type ClusterItem, clusterItems } from "../../src/core/match/cluster.js";
import {
  assignItems,
  creditedSimilarity,
  recommendAlbum,
  releaseCandidate,
  releasePenalties,
  trackPenalties,
} from "../../src/core/score/index.js";
import type { TrackInput } from "../../src/core/types.js";
import { startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR } from "../helpers.js";

/** Real releases of the dump sample, converted as the adapters convert them. */
const releases = new Map<number, Release>();
beforeAll(async () => {
  const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR });
  for (const [id, body] of sim.store.releases) releases.set(id, toRelease(RawRelease.parse(body)));
  await sim.close();
});

const item = (index: number, input: TrackInput): ClusterItem => ({
  index,
  input,
  query: extractTrack(input),
});

describe("folder names", () => {
  it.each([
    ["The Persuader - Stockholm (1999)", { artist: "The Persuader", album: "Stockholm", year: 1999 }],
    ["The Persuader - 1999 - Stockholm", { artist: "The Persuader", album: "Stockholm", year: 1999 }],
    ["Mateo & Matos - Frontiers EP [1999]", { artist: "Mateo & Matos", album: "Frontiers EP", year: 1999 }],
    ["1999 - Stockholm", { artist: null, album: "Stockholm", year: 1999 }],
    ["Blue Six - Beautiful Tomorrow", { artist: "Blue Six", album: "Beautiful Tomorrow", year: null }],
    ["Playlist 17", { artist: null, album: null, year: null }],
    ["Downloads", { artist: null, album: null, year: null }],
  ])("%s", (name, facts) => {
    expect(parseFolderName(name)).toEqual(facts);
  });

  it("lends the folder's artist to '01 - Title' files, in Stage 1", () => {
    const q = extractTrack({
      filename: "01 - Östermalm.mp3",
      path: "The Persuader - Stockholm (1999)/01 - Östermalm.mp3",
    });
    expect(q).toMatchObject({ artist: "The Persuader", title: "Östermalm", pattern: "folder+filename" });
    expect(q.hints).toMatchObject({ album: "Stockholm", year: 1999 });
    const hyphen = extractTrack({
      filename: "03 - Nu-Dub.mp3",
      path: "Fredrik Stark - Earth (1998)/03 - Nu-Dub.mp3",
    });
    expect(hyphen).toMatchObject({ artist: "Fredrik Stark", title: "Nu-Dub" });
  });
});

describe("clustering", () => {
  it("groups by folder, leaves singles alone, and splits a folder by album tags", () => {
    const { clusters, singles } = clusterItems([
      item(0, {
        filename: "01 - Östermalm.mp3",
        path: "The Persuader - Stockholm (1999)/01 - Östermalm.mp3",
      }),
      item(1, {
        filename: "02 - Vasastaden.mp3",
        path: "The Persuader - Stockholm (1999)/02 - Vasastaden.mp3",
      }),
      item(2, { filename: "Mateo & Matos - Groove 4 U.mp3", path: "Mateo & Matos - Groove 4 U.mp3" }),
      item(3, { filename: "a.mp3", path: "Mixed/a.mp3", tags: { artist: "A", title: "x", album: "One" } }),
      item(4, { filename: "b.mp3", path: "Mixed/b.mp3", tags: { artist: "A", title: "y", album: "One" } }),
      item(5, { filename: "c.mp3", path: "Mixed/c.mp3", tags: { artist: "B", title: "z", album: "Two" } }),
      item(6, { filename: "d.mp3", path: "Mixed/d.mp3", tags: { artist: "B", title: "w", album: "Two" } }),
    ]);
    expect(singles.map((s) => s.index)).toEqual([2]);
    expect(clusters.map((c) => c.items.map((i) => i.index))).toEqual([
      [0, 1],
      [3, 4],
      [5, 6],
    ]);
    expect(clusters[0]).toMatchObject({
      artist: "The Persuader",
      album: "Stockholm",
      year: 1999,
      evidence: "folder",
    });
    expect(clusters[1]).toMatchObject({ album: "One", artist: "A", evidence: "tags" });
  });

  it("groups loose tagged items by album tag, and three loose items of one artist", () => {
    const tagged = [0, 1].map((i) =>
      item(i, { filename: `${i}.mp3`, tags: { artist: "X", title: `t${i}`, album: "Alb" } }),
    );
    const loose = [2, 3, 4].map((i) => item(i, { filename: `Blue Six - Song ${i}.mp3` }));
    const { clusters } = clusterItems([...tagged, ...loose]);
    expect(clusters.map((c) => c.evidence)).toEqual(["tags", "items"]);
    expect(clusters[1]!.artist).toBe("Blue Six");
  });
});

/** A track candidate on a fetched release. */
const fetched = (r: Release) => ({
  releaseId: r.id,
  masterId: r.masterId,
  hit: null,
  release: r,
  masterYear: null,
  strategies: [],
});

describe("assignment and album distance on real releases", () => {
  it("places a shuffled, renamed whole album on its rows and calls it strong", () => {
    const stockholm = releases.get(1)!;
    const titles = stockholm.tracklist.map((t) => t.title).reverse();
    const cluster = clusterItems(
      titles.map((t, i) =>
        item(i, {
          filename: `${String(i + 1).padStart(2, "0")} - ${t}.mp3`,
          path: `The Persuader - Stockholm/${i} - ${t}.mp3`,
        }),
      ),
    ).clusters[0]!;
    const scored = scoreClusterOn(cluster, stockholm, null);
    expect(scored.unplaced).toEqual([]);
    for (const p of scored.placements) expect(p.row.title).toBe(p.item.query.title);
    expect(scored.penalties).toMatchObject({ unmatched: 0, missing: 0, album: 0, artist: 0 });
    expect(recommendAlbum(scored, cluster.items.length)).toBe("strong");
  });

  it("places a name split on a separator titles also hold by the whole name: 'Last Rites ⧸ Loved to Deth'", () => {
    const megadeth = releases.get(6084132)!;
    const names = [
      "Last Rites ⧸ Loved to Deth (Remastered)",
      "Killing Is My Business... And Business Is Good! (Remastered)",
      "Rattlehead (Remastered)",
    ];
    const items = names.map((n, i) => item(i, { filename: `${n}.opus`, path: `Playlist 9/${n}.opus` }));
    // Alone, each of the first two reads as an artist and a title.
    expect(items.map((i) => [i.query.artist, i.query.pattern])).toEqual([
      ["Last Rites", "spaced-slash"],
      ["Killing Is My Business", "ellipsis"],
      [null, expect.any(String)],
    ]);
    const cluster = clusterItems(items).clusters[0]!;
    const scored = scoreClusterOn(cluster, megadeth, null);
    expect(scored.unplaced).toEqual([]);
    expect(scored.placements.map((p) => [p.item.index, p.row.position])).toEqual([
      [0, "A1"],
      [1, "A2"],
      [2, "B1"],
    ]);
  });

  it("refuses the wrong release: files do not fit it", () => {
    const stockholm = releases.get(1)!;
    const other = [...releases.values()].find(
      (r) => r.id !== 1 && r.tracklist.length >= 4 && r.masterId !== stockholm.masterId,
    )!;
    const cluster = clusterItems(
      stockholm.tracklist.map((t, i) =>
        item(i, { filename: `${t.title}.mp3`, path: `The Persuader - Stockholm/${t.title}.mp3` }),
      ),
    ).clusters[0]!;
    const scored = scoreClusterOn(cluster, other, null);
    expect(scored.placements.length).toBeLessThan(2);
    expect(recommendAlbum(scored, cluster.items.length)).toBe("none");
  });

  it("tells mixes apart: each file takes the row with its own mix", () => {
    const withMixes = [...releases.values()].find(
      (r) =>
        new Set(r.tracklist.map((t) => t.parsed?.title)).size < r.tracklist.length &&
        r.tracklist.every((t) => t.parsed?.mix),
    );
    if (!withMixes) return;
    const items = withMixes.tracklist.map((t, i) =>
      item(i, { filename: `${t.title}.mp3`, tags: { artist: withMixes.artists[0]!.name, title: t.title } }),
    );
    const { placements } = assignItems(items, {
      ...releaseCandidate(withMixes, null, "album"),
      release: withMixes,
    });
    for (const p of placements) expect(p.row.title).toBe(p.item.input.tags!.title);
  });

  it("lets extra copies of one track share its row (a playlist's several videos of one song)", () => {
    const stockholm = releases.get(1)!;
    const items = [0, 1, 2].map((i) => item(i, { filename: "The Persuader - Östermalm.opus" }));
    const { placements, unplaced } = assignItems(items, {
      ...releaseCandidate(stockholm, null, "album"),
      release: stockholm,
    });
    expect(unplaced).toEqual([]);
    expect(new Set(placements.map((p) => p.row.title))).toEqual(new Set(["Östermalm"]));
  });

  it("splits penalties into track-level and release-level parts that sum to the single-track score", () => {
    const r = releases.get(1)!;
    const q = extractTrack({ filename: "The Persuader - Östermalm.mp3", tags: { year: 1999 } });
    const c = fetched(r);
    expect(trackPenalties(c, q, r.tracklist[0]!)).toMatchObject({ artist: 0, title: 0, mix: 0 });
    expect(releasePenalties(c, q.hints)).toMatchObject({ year: 0, kind: 0 });
  });

  it("counts a name the release credits as its music's maker for part of a match, never above its artist", () => {
    const r = releases.get(59)!; // Solitaire, Written-By David Moufang
    expect(r.artists.map((a) => a.name)).toEqual(["Solitaire (12)"]);
    const maker = creditedSimilarity("David Moufang", r.artists, r.extraArtists);
    expect(maker).toBeCloseTo(0.75, 2);
    expect(creditedSimilarity("Solitaire", r.artists, r.extraArtists)).toBe(1);
    // Only makers count: a name credited for the artwork, say, is no match.
    const designer = [{ id: null, name: "David Moufang", anv: null, join: "", role: "Design" }];
    expect(creditedSimilarity("David Moufang", r.artists, designer)).toBeLessThan(0.5);
    const q = extractTrack({ filename: "David Moufang - Mad Mood.mp3" });
    const c = fetched(r);
    expect(trackPenalties(c, q, r.tracklist[1]!).artist).toBeCloseTo(0.3, 2);
  });
});
