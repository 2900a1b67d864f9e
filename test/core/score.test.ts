import { describe, expect, it } from "vitest";
import { albumLadder, distinctiveWord, trackLadder } from "../../src/adapters/discogs/ladder.js";
import type { Release, ReleaseTrack, SearchHit } from "../../src/core/catalog.js";
import { dashReadings, splitByArtist, unsplitReadings } from "../../src/core/match/readings.js";
import { trackSearchOf } from "../../src/core/match/search.js";
import { rolloutBucket } from "../../src/core/pipeline/discogs.js";
import {
  type Candidate,
  confidenceOf,
  mixPenalty,
  rankScored,
  recommend,
  rowTitleSimilarity,
  scoreCandidate,
  TRACK_WEIGHTS,
  trackMargin,
} from "../../src/core/score/index.js";
import { artistSimilarity, textSimilarity } from "../../src/core/similarity.js";
import type { TrackQuery } from "../../src/core/types.js";
import { tracklistOf } from "../helpers.js";

const credit = (name: string, join = "") => ({ id: null, name, anv: null, join, role: "" });
const track = (
  title: string,
  durationSec: number | null = null,
  artists: ReturnType<typeof credit>[] = [],
): ReleaseTrack => tracklistOf([{ position: "A1", title, durationSec, artists }]).tracklist[0]!;
function release(over: Partial<Release> = {}): Release {
  return {
    id: 1,
    masterId: 10,
    title: "Say A Prayer",
    artists: [credit("T-Fire")],
    year: 1979,
    released: "1979",
    country: "Nigeria",
    labels: [{ name: "Label", catno: "L 1" }],
    formats: [{ name: "Vinyl", qty: 1, descriptions: ["LP"], text: null }],
    genres: ["Funk / Soul"],
    styles: ["Soul"],
    tracklist: [track("Say A Prayer", 372)],
    media: [{ disc: 1, format: "Vinyl", title: null, trackCount: 1 }],
    extraArtists: [],
    url: "https://www.discogs.com/release/1",
    status: "Accepted",
    community: null,
    ...over,
  };
}
const cand = (r: Release, masterYear: number | null = 1979): Candidate => ({
  releaseId: r.id,
  masterId: r.masterId,
  hit: null,
  release: r,
  masterYear,
  strategies: ["test"],
});
const query = (over: Partial<TrackQuery> = {}): TrackQuery => ({
  artist: "T-Fire",
  title: "Say A Prayer",
  mix: null,
  featuring: [],
  confidence: 0.95,
  source: "tags",
  hints: {},
  ...over,
});
const W = { ...TRACK_WEIGHTS };

describe("similarity", () => {
  it("treats artist lists as sets, with The and (2) folded", () => {
    expect(artistSimilarity("B & A", [credit("A", "&"), credit("B")])).toBe(1);
    expect(artistSimilarity("Beatles", [credit("The Beatles")])).toBe(1);
    expect(artistSimilarity("Bad Company", [credit("Bad Company (3)")])).toBe(1);
    expect(artistSimilarity("A", [credit("A", "&"), credit("B")])).toBeGreaterThan(0.6);
    expect(artistSimilarity("Someone Else", [credit("T-Fire")])).toBeLessThan(0.5);
    expect(textSimilarity("Groove4U", "Groove 4 U")).toBeGreaterThan(0.9);
  });
});

describe("scoring", () => {
  it("scores a perfect match at distance 0 and recommends strong", () => {
    const s = scoreCandidate(cand(release()), query(), W);
    expect(s.distance).toBe(0);
    expect(recommend(s)).toBe("strong");
  });

  it.each([
    [null, null, 0],
    ["Extended Mix", "Extended Mix", 0],
    ["Extended Mix", "Radio Edit", 1],
    ["Funkaphonic Vocal", "Original Funkaphonic Vocal", 0.1],
    [null, "Radio Edit", 0.5],
  ])("mix %s vs %s costs %s", (a, b, p) => {
    expect(mixPenalty(a, b)).toBe(p);
  });

  it("picks the row with the same mix", () => {
    const r = release({
      tracklist: [track("Say A Prayer (Radio Edit)"), track("Say A Prayer (Extended Mix)")],
    });
    const s = scoreCandidate(cand(r), query({ mix: "Extended Mix" }), W);
    expect(s.row?.title).toBe("Say A Prayer (Extended Mix)");
    expect(s.penalties.mix).toBe(0);
  });

  it("prefers the original over a reissue and a compilation", () => {
    const original = scoreCandidate(cand(release()), query(), W);
    const reissue = scoreCandidate(
      cand(
        release({
          id: 2,
          year: 2016,
          formats: [{ name: "Vinyl", qty: 1, descriptions: ["LP", "Reissue"], text: null }],
        }),
      ),
      query(),
      W,
    );
    const comp = scoreCandidate(
      cand(
        release({
          id: 3,
          masterId: null,
          title: "Nigeria Soul Fever",
          artists: [credit("Various")],
          tracklist: [track("Say A Prayer", 370, [credit("T-Fire")])],
          formats: [{ name: "CD", qty: 1, descriptions: ["Compilation"], text: null }],
        }),
        null,
      ),
      query(),
      W,
    );
    // The reissue is the same record (master), so it ranks above another record that holds the track.
    expect(rankScored([comp, reissue, original]).map((s) => s.candidate.releaseId)).toEqual([1, 2, 3]);
    expect(reissue.penalties.original).toBe(1);
    expect(comp.penalties.kind).toBe(1);
  });

  it("does not penalise a compilation the input's album names", () => {
    const comp = release({
      title: "Nigeria Soul Fever",
      artists: [credit("Various")],
      tracklist: [track("Say A Prayer", null, [credit("T-Fire")])],
      formats: [{ name: "CD", qty: 1, descriptions: ["Compilation"], text: null }],
    });
    expect(
      scoreCandidate(cand(comp), query({ hints: { album: "Nigeria Soul Fever" } }), W).penalties.kind,
    ).toBe(0);
  });

  it("uses duration, year, country, label and catno hints", () => {
    const s = scoreCandidate(
      cand(release()),
      query({ hints: { durationSec: 200, year: 1990, country: "UK", label: "Other", catno: "X 9" } }),
      W,
    );
    expect(s.penalties).toMatchObject({ duration: 1, year: 1, country: 1, catno: 1 });
    expect(recommend(s)).not.toBe("strong");
  });

  it("maps distance to a confidence that falls as distance grows, lower for a close rival", () => {
    expect(confidenceOf(0, null)).toBe(0.99);
    expect(confidenceOf(0.1, null)).toBeGreaterThan(confidenceOf(0.3, null));
    expect(confidenceOf(0.1, 0.001)).toBeLessThan(confidenceOf(0.1, 0.5));
    const ranked = rankScored([
      scoreCandidate(cand(release()), query(), W),
      scoreCandidate(cand(release({ id: 9, masterId: 99, artists: [credit("Other")] })), query(), W),
    ]);
    expect(trackMargin(ranked)).toBeGreaterThan(0.1);
  });
});

describe("row title similarity", () => {
  it("forgives words a video title adds after the title, but never makes them the same", () => {
    const s = rowTitleSimilarity("Sugar Sugar 1969 Bubblegum Extended Version", track("Sugar Sugar"));
    expect(s).toBe(0.85);
    expect(rowTitleSimilarity("Sugar Sugar", track("Sugar Sugar"))).toBe(1);
  });

  it("needs two words or a long one to open the title, and not too many words after", () => {
    expect(rowTitleSimilarity("Love Makes You Feel", track("Love"))).toBeLessThan(0.85);
    expect(rowTitleSimilarity("Sugar Baby Love", track("Sugar"))).toBeLessThan(0.85);
    expect(rowTitleSimilarity("Say A Prayer one two three four five six seven", track("Say A"))).toBeLessThan(
      0.85,
    );
    expect(rowTitleSimilarity("Pay No Mind HD Classic", track("No Mind"))).toBeLessThan(0.85);
  });
});

describe("query ladder", () => {
  it("orders exact identifiers, artist+track, q, artist+release_title, then variants", () => {
    const names = trackLadder(
      trackSearchOf(
        query({
          artist: "The Björk & Guest",
          title: "Human Behaviour Now",
          orderUncertain: true,
          hints: { catno: "OLE 1", barcode: "123" },
        }),
      ),
    ).map((s) => s.name);
    expect(names).toEqual([
      "catno",
      "barcode",
      "artist+track",
      "q",
      "artist+release_title",
      "artist+track-keyword",
      "main-artist+track",
      "ascii+track",
      "no-the+track",
      "swapped+track",
    ]);
  });

  it("reads a name with more dashes both ways, and searches the title's first part first", () => {
    const q = query({ source: "filename", artist: "Hotel Costes 2", title: "Lovetronic - You Are Love" });
    expect(dashReadings(q)).toEqual([
      { artist: "Lovetronic", title: "You Are Love" },
      { artist: "Hotel Costes 2", title: "Lovetronic" },
    ]);
    const ladder = trackLadder(trackSearchOf(q));
    expect(ladder.slice(0, 3)).toEqual([
      { name: "artist+track", params: { artist: "Hotel Costes 2", track: "Lovetronic", per_page: 50 } },
      { name: "q", params: { q: "Hotel Costes 2 Lovetronic - You Are Love", per_page: 50 } },
      { name: "reading+track", params: { artist: "Lovetronic", track: "You Are Love", per_page: 50 } },
    ]);
    const four = query({ source: "filename", artist: "Bargrooves", title: "Fall - Fredrik Stark - Earth" });
    expect(dashReadings(four)).toEqual([
      { artist: "Fredrik Stark", title: "Earth" },
      { artist: "Bargrooves", title: "Fall" },
    ]);
    // Tags are split already, and a title with one part has no other reading.
    expect(dashReadings(query({ title: "Lovetronic - You Are Love" }))).toEqual([]);
    expect(dashReadings(query({ source: "filename" }))).toEqual([]);
  });

  it("searches a bare title as a track, a whole name as free words, and an LLM query once as written", () => {
    expect(trackLadder({ artist: null, title: "Siren Song" })).toEqual([
      { name: "track", params: { track: "Siren Song", per_page: 50 } },
    ]);
    expect(trackLadder({ artist: null, title: null, text: "Larry Heard Missing You" })[0]).toEqual({
      name: "q-unsplit",
      params: { q: "Larry Heard Missing You", per_page: 50 },
    });
    expect(
      trackLadder({ artist: "A", title: "B", album: "C", label: "L", catno: "X 1", year: 1999, exact: true }),
    ).toEqual([
      {
        name: "exact",
        params: {
          artist: "A",
          track: "B",
          release_title: "C",
          label: "L",
          catno: "X 1",
          year: 1999,
          per_page: 50,
        },
      },
    ]);
  });

  it("climbs an album's ladder down to its main artist and its title's words", () => {
    const names = albumLadder({
      artist: "Frédéric Chopin, Maurizio Pollini",
      album: "Etudes ∙ Préludes _ Polonaises",
    });
    expect(names.map((s) => s.name)).toEqual(["album-search", "album-q", "album-main-artist", "album-title"]);
    expect(names[2]!.params).toMatchObject({
      artist: "Frédéric Chopin",
      release_title: "Etudes Préludes Polonaises",
    });
    expect(albumLadder({ artist: null, album: "Stockholm" }).map((s) => s.name)).toEqual(["album-search"]);
  });

  it("never puts the mix in a query", () => {
    const all = JSON.stringify(trackLadder(trackSearchOf(query({ mix: "Extended Mix" }))));
    expect(all).not.toContain("Extended");
  });

  it("finds a distinctive word", () => {
    expect(distinctiveWord("Every Kind Of People")).toBe("People");
    expect(distinctiveWord("Aviva")).toBeNull();
  });

  it("buckets rollout stably", () => {
    expect(rolloutBucket("T-Fire", "Say A Prayer")).toBe(rolloutBucket("t-fire", "say a prayer "));
    expect(rolloutBucket("A", "B")).toBeGreaterThanOrEqual(0);
    expect(rolloutBucket("A", "B")).toBeLessThan(100);
  });
});

describe("reading an unsplit name with the catalogue's artists", () => {
  it("takes the artist from either end, whatever the case and accents", () => {
    expect(splitByArtist("Larry Heard Missing you", "Larry Heard")).toEqual({
      artist: "Larry Heard",
      title: "Missing you",
    });
    expect(splitByArtist("All Sewn Up  Spooky Tooth", "Spooky Tooth")).toEqual({
      artist: "Spooky Tooth",
      title: "All Sewn Up",
    });
    expect(splitByArtist("BEYONCE Halo", "Beyoncé (2)")).toEqual({ artist: "Beyoncé", title: "Halo" });
  });

  it("needs the whole artist at an end and a title left over", () => {
    expect(splitByArtist("Missing Larry Heard you", "Larry Heard")).toBeNull();
    expect(splitByArtist("Larry Heard", "Larry Heard")).toBeNull();
    expect(splitByArtist("Ab Title", "Ab")).toBeNull();
  });

  it("lists the readings the hits support, without Various and without repeats", () => {
    const hit = (artist: string): SearchHit => ({
      kind: "release",
      id: 1,
      masterId: null,
      artist,
      title: "X",
      year: null,
      country: null,
      formats: [],
      labels: [],
      catno: null,
      genres: [],
      styles: [],
      community: null,
    });
    const readings = unsplitReadings("Larry Heard Missing You", [
      hit("Various"),
      hit("Larry Heard"),
      hit("Larry Heard"),
      hit("Someone Else"),
    ]);
    expect(readings).toEqual([{ artist: "Larry Heard", title: "Missing You" }]);
  });
});

describe("artist cap (as beets' max_rec)", () => {
  it("an artist that plainly differs caps the recommendation at low, however close the rest", async () => {
    const { recommend } = await import("../../src/core/score/index.js");
    const base = { candidate: {} as never, row: {} as never };
    expect(recommend({ ...base, distance: 0.05, penalties: { artist: 0.4, title: 0 } })).toBe("low");
    expect(recommend({ ...base, distance: 0.03, penalties: { artist: 0.1, title: 0 } })).toBe("strong");
  });
});

describe("honest confidence (core/policy.ts)", () => {
  const base = { candidate: {} as never, row: {} as never };

  it("never lets a candidate the scorer does not recommend reach the threshold, however close", async () => {
    const { calibratedConfidence, recommend, confidenceOf } = await import("../../src/core/score/index.js");
    const { DEFAULT_POLICY } = await import("../../src/core/policy.js");
    // "Dance Nation" for "Double Nation" with a wrong title too: close by distance, but no identity.
    const none = { ...base, distance: 0.2, penalties: { artist: 0.7, title: 0.8 } };
    expect(recommend(none)).toBe("none");
    expect(confidenceOf(none.distance, null)).toBeGreaterThan(0.7);
    expect(calibratedConfidence(none, null)).toBe(DEFAULT_POLICY.noneMaxConfidence);
    expect(calibratedConfidence(none, null)).toBeLessThan(0.7);
    // Past the low distance it is none by distance alone, and capped the same way.
    expect(calibratedConfidence({ ...base, distance: 0.33, penalties: { artist: 0, title: 1 } }, null)).toBe(
      0.5,
    );
  });

  it("keeps a full-album or live upload whose artist is exact as low, within the low distance", async () => {
    const { calibratedConfidence, recommend } = await import("../../src/core/score/index.js");
    const upload = { ...base, distance: 0.29, penalties: { artist: 0, title: 1 } };
    expect(recommend(upload)).toBe("low");
    expect(calibratedConfidence(upload, null)).toBeGreaterThanOrEqual(0.7);
  });

  it("reads every number from the injected policy", async () => {
    const { recommend, confidenceOf } = await import("../../src/core/score/index.js");
    const { DEFAULT_POLICY } = await import("../../src/core/policy.js");
    const strict = { ...DEFAULT_POLICY, thresholds: { strong: 0.01, medium: 0.02, low: 0.03 } };
    const s = { ...base, distance: 0.05, penalties: { artist: 0, title: 0 } };
    expect(recommend(s)).toBe("strong");
    expect(recommend(s, strict)).toBe("none");
    const flat = {
      ...DEFAULT_POLICY,
      confidenceCurve: [
        [0, 0.8],
        [1, 0.8],
      ] as const,
    };
    expect(confidenceOf(0.4, null, flat)).toBe(0.8);
    expect(confidenceOf(0.4, 0.005, flat)).toBe(0.6);
  });
});
