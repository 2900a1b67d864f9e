/**
 * The pure parts of tag writing: release details (format, numbering, credits), the mapping from native
 * tags, the plan (desired values, diff, decision), review items, and the cover store over a real cache.
 */
import { describe, expect, it } from "vitest";
import { createMemoryCache } from "../../src/adapters/cache/memory.js";
import { toRelease } from "../../src/adapters/discogs/convert.js";
import { RawRelease } from "../../src/adapters/discogs/types.js";
import type { Release } from "../../src/core/catalog.js";
import { blankMetadata } from "../../src/core/pipeline/simple.js";
import type { ImageSource } from "../../src/core/ports.js";
import { creditCovers, formatText, numbering, releaseDetails } from "../../src/core/release-details.js";
import type { TrackMetadata } from "../../src/core/schema.js";
import { createCoverStore } from "../../src/core/tagging/cover.js";
import { valuesFromNative } from "../../src/core/tagging/fields.js";
import {
  DEFAULT_TAG_POLICY,
  decide,
  describeChange,
  desiredValues,
  diffValues,
} from "../../src/core/tagging/plan.js";
import { parseReviewFile, reviewItems } from "../../src/core/tagging/review.js";
import { apiSample, tracklistOf } from "../helpers.js";

/** Rick Astley – Never Gonna Give You Up, 12" (release 1503102): a real API body. */
const rick = toRelease(RawRelease.parse(apiSample("release-1503102.json")));

function release(over: Partial<Release>): Release {
  return { ...rick, ...over };
}
describe("release details", () => {
  it("prints the format as Discogs does", () => {
    expect(formatText(rick.formats)).toBe('Vinyl, 12", 45 RPM, Maxi-Single');
    expect(formatText([{ name: "CD", qty: 2, descriptions: ["Album"], text: "Digipak" }])).toBe(
      "2 × CD, Album, Digipak",
    );
    expect(formatText([])).toBeNull();
  });

  it("numbers tracks from the parsed tracklist: vinyl sides in order, disc-prefixed positions per disc", () => {
    const vinyl = release(
      tracklistOf([{ position: "A1" }, { position: "A2" }, { position: "B1" }], rick.formats),
    );
    expect(numbering(vinyl, vinyl.tracklist[2]!)).toEqual({
      trackNumber: 3,
      trackTotal: 3,
      discNumber: 1,
      discTotal: 1,
      discTitle: null,
    });
    const cdFormats = [{ name: "CD", qty: 2, descriptions: [], text: null }];
    const cds = release({
      formats: cdFormats,
      ...tracklistOf(
        ["1-1", "1-2", "2-1", "2-2", "2-3"].map((position) => ({ position })),
        cdFormats,
      ),
    });
    expect(numbering(cds, cds.tracklist[3]!)).toEqual({
      trackNumber: 2,
      trackTotal: 3,
      discNumber: 2,
      discTotal: 2,
      discTitle: null,
    });
    // Sides pair into records: a 2 × LP's side C is the second disc's first track.
    const lpFormats = [{ name: "Vinyl", qty: 2, descriptions: [], text: null }];
    const lp2 = release({
      formats: lpFormats,
      ...tracklistOf(
        ["A", "B", "C", "D"].map((position) => ({ position })),
        lpFormats,
      ),
    });
    expect(numbering(lp2, lp2.tracklist[2]!)).toMatchObject({
      trackNumber: 1,
      trackTotal: 2,
      discNumber: 2,
      discTotal: 2,
    });
  });

  it("applies a release credit to the tracks it names, ranges included", () => {
    const r = release(tracklistOf(["A1", "A2", "A3", "B1"].map((position) => ({ position }))));
    expect(creditCovers("A1 to A3", r.tracklist[1]!, r)).toBe(true);
    expect(creditCovers("A1 to A3", r.tracklist[3]!, r)).toBe(false);
    expect(creditCovers("A2, B1", r.tracklist[3]!, r)).toBe(true);
    expect(creditCovers("", r.tracklist[3]!, r)).toBe(true);
  });

  it("gives the real release's details for its first row", () => {
    const d = releaseDetails(rick, rick.tracklist[0]!);
    expect(d).toMatchObject({
      format: 'Vinyl, 12", 45 RPM, Maxi-Single',
      albumArtist: "Rick Astley",
      trackTitle: "Never Gonna Give You Up (Cake Mix)",
      trackNumber: 1,
      discNumber: 1,
    });
    expect(d.tracklist[0]).toBe("A Never Gonna Give You Up (Cake Mix)");
    expect(d.credits).toContainEqual({
      role: "Producer",
      name: "Stock, Aitken & Waterman",
      scope: "release",
    });
    expect(d.coverUrl).toMatch(/^https:\/\/i\.discogs\.com\//);
  });
});

describe("current values from native tags", () => {
  it("reads ID3 n/N frames, TXXX and repeated frames", () => {
    const v = valuesFromNative("id3v24", [
      { id: "TRCK", value: "3/12" },
      { id: "TPOS", value: "1" },
      { id: "TXXX:DISCOGS_RELEASE_ID", value: "53" },
      { id: "TCON", value: "Electronic" },
      { id: "TCON", value: "Pop" },
      { id: "TXXX:OTHER", value: "ignored" },
    ]);
    expect(v).toEqual({
      trackNumber: ["3"],
      trackTotal: ["12"],
      discNumber: ["1"],
      discogsReleaseId: ["53"],
      genre: ["Electronic", "Pop"],
    });
  });

  it("reads Vorbis keys in any case, a TRACKNUMBER that says 3/12, and MP4 atoms", () => {
    expect(valuesFromNative("vorbis", [{ id: "tracknumber", value: "3/12" }])).toEqual({
      trackNumber: ["3"],
    });
    expect(
      valuesFromNative("mp4", [
        { id: "trkn", value: "2/9" },
        { id: "©gen", value: "Electronic; Pop" },
        { id: "----:com.apple.iTunes:DISCOGS_MASTER_ID", value: "7" },
      ]),
    ).toEqual({
      trackNumber: ["2"],
      trackTotal: ["9"],
      genre: ["Electronic", "Pop"],
      discogsMasterId: ["7"],
    });
  });
});

/** An answer as the pipeline gives one for Rick Astley's A side. */
function answer(over: Partial<TrackMetadata> = {}): TrackMetadata {
  const base = blankMetadata(
    {
      artist: "Rick Astley",
      title: "Never Gonna Give You Up",
      mix: "Cake Mix",
      featuring: [],
      confidence: 0.95,
      source: "tags",
      hints: {},
    },
    "fast",
  );
  return {
    ...base,
    source: "discogs",
    album: rick.title,
    year: 1987,
    originalYear: 1987,
    label: "RCA",
    catalogNumber: "PT 41448",
    country: "UK",
    genre: ["Electronic", "Pop"],
    style: ["Synth-pop"],
    discogs: { releaseId: 1503102, masterId: 96559, url: rick.url },
    match: { distance: 0.02, recommendation: "strong", margin: 0.3, penalties: {}, selectedBy: "scorer" },
    release: releaseDetails(rick, rick.tracklist[0]!),
    audioFeatures: {
      bpm: { value: 113.4, confidence: 0.6, source: "llm" },
      key: { value: "Ab major", camelot: "4B", openKey: "9d", confidence: 0.6, source: "llm" },
      vocals: null,
      atmosphere: ["bright"],
      estimated: true,
    },
    description: "Stock Aitken Waterman at their height.",
    ...over,
  };
}

describe("the plan", () => {
  it("writes the title as the release prints it, the credits by role, and no descriptions unasked", () => {
    const v = desiredValues(answer({ featuring: ["Somebody"] }), DEFAULT_TAG_POLICY);
    expect(v.title).toEqual(["Never Gonna Give You Up (Cake Mix)"]);
    expect(v.artist).toEqual(["Rick Astley feat. Somebody"]);
    expect(v.producer).toEqual(["Stock, Aitken & Waterman"]);
    expect(v.media).toEqual(['Vinyl, 12", 45 RPM, Maxi-Single']);
    expect(v.discogsReleaseId).toEqual(["1503102"]);
    expect(v.bpm).toBeUndefined();
    const rich = desiredValues(answer(), { ...DEFAULT_TAG_POLICY, withDescriptions: true });
    expect(rich).toMatchObject({
      bpm: ["113"],
      key: ["Ab"],
      mood: ["bright"],
      description: [expect.any(String)],
    });
  });

  it("diffs without clearing a field, downgrading a date or reordering genres", () => {
    const desired = { year: ["1987"], genre: ["Electronic", "Pop"], title: ["New"], trackNumber: ["3"] };
    const current = {
      year: ["1987-07-27"],
      genre: ["Pop", "Electronic"],
      title: ["Old"],
      trackNumber: ["03"],
      comment: ["x"],
    };
    const changes = diffValues(current, desired);
    expect(changes).toEqual([{ field: "title", from: ["Old"], to: ["New"] }]);
    expect(describeChange(changes[0]!)).toBe('title: "Old" -> "New"');
    expect(describeChange({ field: "album", from: [], to: ["A"] })).toBe('album: (none) -> "A"');
  });

  it("writes strong and medium matches only, unless told otherwise", () => {
    expect(decide(answer(), DEFAULT_TAG_POLICY)).toEqual({ action: "write" });
    const low = answer({ match: { ...answer().match!, recommendation: "low" } });
    expect(decide(low, DEFAULT_TAG_POLICY)).toMatchObject({
      action: "review",
      reason: "match is low, below medium",
    });
    expect(decide(low, { ...DEFAULT_TAG_POLICY, minRecommendation: "low" })).toEqual({ action: "write" });
    const medium = answer({ match: { ...answer().match!, recommendation: "medium" } });
    expect(decide(medium, { ...DEFAULT_TAG_POLICY, minRecommendation: "strong" }).action).toBe("review");
    expect(decide(answer({ source: "simple", discogs: null }), DEFAULT_TAG_POLICY)).toMatchObject({
      reason: expect.stringMatching(/no Discogs match/),
    });
    expect(
      decide(answer({ degraded: { reason: "budget", retryAfterSeconds: 30 } }), DEFAULT_TAG_POLICY),
    ).toMatchObject({ reason: expect.stringMatching(/cut short \(budget\)/) });
  });

  it("asks about a file its folder answered on an album without a track, however strong the album", () => {
    const albumOnly = answer({
      match: null,
      trackPosition: null,
      albumMatch: {
        clusterId: "c1",
        releaseId: 1,
        recommendation: "strong",
        distance: 0.1,
        margin: null,
        position: null,
        items: 5,
        strategy: "folder-answers",
      },
    });
    expect(decide(albumOnly, { ...DEFAULT_TAG_POLICY, minRecommendation: "low" })).toMatchObject({
      action: "review",
      reason: expect.stringMatching(/album facts only/),
    });
  });

  it("writes the LLM's guesses only with --allow-guesses (#24 item 9)", () => {
    const guess = answer({
      source: "llm",
      discogs: null,
      match: null,
      album: "Imagined Sessions",
      label: "Phantom Records",
      guessed: ["album", "year", "label", "genre", "style"],
    });
    expect(decide(guess, DEFAULT_TAG_POLICY)).toMatchObject({ action: "review" });
    expect(desiredValues(guess, DEFAULT_TAG_POLICY)).not.toHaveProperty("album");
    expect(desiredValues(guess, DEFAULT_TAG_POLICY)).not.toHaveProperty("label");
    expect(desiredValues(guess, DEFAULT_TAG_POLICY).title).toEqual(["Never Gonna Give You Up (Cake Mix)"]);
    const allowed = { ...DEFAULT_TAG_POLICY, allowGuesses: true };
    expect(decide(guess, allowed)).toEqual({ action: "write" });
    expect(desiredValues(guess, allowed)).toMatchObject({
      album: ["Imagined Sessions"],
      label: ["Phantom Records"],
    });
  });
});

describe("review items", () => {
  it("groups an album's files into one item and keeps a single file alone, candidates nearest first", () => {
    const albumMatch = {
      clusterId: "c1",
      releaseId: 1503102,
      recommendation: "low" as const,
      distance: 0.3,
      margin: null,
      position: "A",
      items: 2,
      strategy: "album-search" as const,
    };
    const cand = (releaseId: number, distance: number) => ({
      releaseId,
      masterId: null,
      artist: "A",
      album: "B",
      year: null,
      country: null,
      format: null,
      label: null,
      catno: null,
      position: null,
      track: null,
      distance,
      recommendation: "low" as const,
      penalties: { artist: 0.2 },
    });
    const items = reviewItems([
      { path: "/m/1.mp3", answer: answer({ albumMatch, candidates: [cand(9, 0.5)] }), reason: "low" },
      { path: "/m/2.mp3", answer: answer({ albumMatch }), reason: "low" },
      {
        path: "/s.mp3",
        answer: answer({ source: "simple", discogs: null, match: null, candidates: [cand(7, 0.4)] }),
        reason: "none",
      },
    ]);
    expect(items.map((i) => i.files)).toEqual([["/m/1.mp3", "/m/2.mp3"], ["/s.mp3"]]);
    expect(items[0]!.candidates.map((c) => c.releaseId)).toEqual([1503102, 9]);
    expect(items[1]!.candidates.map((c) => c.releaseId)).toEqual([7]);
    expect(items.every((i) => i.choice === null)).toBe(true);
  });

  it("offers the album of a file its folder answered without a track, judged as the album was", () => {
    const albumMatch = {
      clusterId: "c1",
      releaseId: 1503102,
      recommendation: "medium" as const,
      distance: 0.25,
      margin: null,
      position: null,
      items: 5,
      strategy: "folder-answers" as const,
    };
    const [item] = reviewItems([
      {
        path: "/p/live.mp3",
        answer: answer({ match: null, trackPosition: null, albumMatch }),
        reason: "album",
      },
    ]);
    expect(item!.candidates).toEqual([
      expect.objectContaining({
        releaseId: 1503102,
        position: null,
        distance: 0.25,
        recommendation: "medium",
        penalties: {},
      }),
    ]);
  });

  it("a review file that is not JSON, or has a bad choice, is refused with where", () => {
    expect(() => parseReviewFile("{")).toThrow(/not JSON/);
    expect(() =>
      parseReviewFile(
        JSON.stringify({
          version: 1,
          help: "",
          created: "",
          items: [
            {
              id: "x",
              files: ["/a"],
              current: { artist: null, title: null, album: null },
              reason: "",
              candidates: [],
              choice: -3,
            },
          ],
        }),
      ),
    ).toThrow(/items\.0\.choice/);
  });
});

describe("covers", () => {
  it("fetches once per release, then serves from the cache", async () => {
    const calls: string[] = [];
    const source = {
      getImage: async (url: string) => {
        calls.push(url);
        return { data: new Uint8Array([1, 2, 3]), mimeType: "image/jpeg" };
      },
    } as ImageSource;
    const cache = createMemoryCache();
    const store = createCoverStore(source, cache);
    const [a, b] = await Promise.all([
      store.get(5, "https://i.discogs.com/x.jpg"),
      store.get(5, "https://i.discogs.com/x.jpg"),
    ]);
    expect(a).toEqual(b);
    expect(calls).toHaveLength(1);
    const again = createCoverStore(source, cache);
    expect(await again.get(5, "https://i.discogs.com/x.jpg")).toEqual({
      data: new Uint8Array([1, 2, 3]),
      mimeType: "image/jpeg",
    });
    expect(calls).toHaveLength(1);
    expect(await again.get(6, null)).toBeNull();
    await cache.dispose();
  });

  it("keeps the covers of recent releases only: an old one is fetched again when there is no cache", async () => {
    let calls = 0;
    const source = {
      getImage: async () => {
        calls++;
        return { data: new Uint8Array([calls]), mimeType: "image/png" };
      },
    } as ImageSource;
    const store = createCoverStore(source, null);
    for (let id = 1; id <= 33; id++) await store.get(id, `https://i.discogs.com/${id}.png`);
    await store.get(33, "https://i.discogs.com/33.png");
    expect(calls).toBe(33);
    await store.get(1, "https://i.discogs.com/1.png");
    expect(calls).toBe(34);
    expect(store.fetched).toBe(34);
  });
});
