/**
 * findRelease over an in-process catalogue: a few releases written here, searched the way Discogs
 * searches (every word of each field must appear), with every call counted. No network, no simulator.
 */
import { describe, expect, it } from "vitest";
import { albumLadder, runLadder, type SearchParams, trackLadder } from "../../src/adapters/discogs/ladder.js";
import type { Master, Release, SearchHit } from "../../src/core/catalog.js";
import { NotFoundError, UpstreamError } from "../../src/core/errors.js";
import { extractTrack } from "../../src/core/extract.js";
import { findRelease, type MatchOptions } from "../../src/core/match/find.js";
import { normalizeKey } from "../../src/core/normalize.js";
import type { MetadataSource } from "../../src/core/ports.js";
import { tracklistOf } from "../helpers.js";

type Spec = {
  id: number;
  masterId?: number;
  artist: string;
  title: string;
  year: number;
  country?: string;
  formats?: string[];
  tracks: string[];
  label?: string;
};

function release(s: Spec): Release {
  return {
    id: s.id,
    masterId: s.masterId ?? null,
    title: s.title,
    artists: [{ id: 1, name: s.artist, anv: null, join: "", role: "" }],
    year: s.year,
    released: String(s.year),
    country: s.country ?? "UK",
    labels: [{ name: s.label ?? "Label", catno: `CAT ${s.id}` }],
    formats: [{ name: "Vinyl", qty: 1, descriptions: s.formats ?? ['12"'], text: null }],
    genres: ["Electronic"],
    styles: ["House"],
    ...tracklistOf(s.tracks.map((title, i) => ({ position: `A${i + 1}`, title }))),
    extraArtists: [],
    url: `https://www.discogs.com/release/${s.id}`,
    status: "Accepted",
    community: { have: 10, want: 1 },
  };
}

/** A catalogue in memory: search by every word of artist, track and q; counts calls by kind. */
function fakeCatalogue(specs: Spec[], masters: Master[] = [], fault?: () => Error) {
  const releases = new Map(specs.map((s) => [s.id, release(s)]));
  const calls = { search: 0, release: 0, master: 0 };
  const has = (text: string, words: string | undefined) =>
    !words ||
    normalizeKey(words)
      .split(" ")
      .every((w) => normalizeKey(text).split(" ").includes(w));
  async function search(p: SearchParams) {
    calls.search++;
    if (fault) throw fault();
    const hits: SearchHit[] = [];
    for (const r of releases.values()) {
      const artist = r.artists[0]!.name;
      const tracks = r.tracklist.map((t) => t.title).join(" ");
      const ok =
        has(artist, p.artist) &&
        has(tracks, p.track) &&
        has(r.title, p.release_title) &&
        has(`${artist} ${r.title} ${tracks}`, p.q) &&
        (!p.catno || r.labels.some((l) => l.catno === p.catno));
      if (ok)
        hits.push({
          kind: "release",
          id: r.id,
          masterId: r.masterId,
          artist,
          title: r.title,
          year: r.year,
          country: r.country,
          formats: ["Vinyl", ...r.formats.flatMap((f) => f.descriptions)],
          labels: r.labels.map((l) => l.name),
          catno: r.labels[0]?.catno ?? null,
          genres: r.genres,
          styles: r.styles,
          community: r.community,
        });
    }
    return hits;
  }
  const source: MetadataSource = {
    // The Discogs adapters' own ladder over this catalogue's search: the batches the core pulls.
    findTrackCandidates: (q) => runLadder(trackLadder(q), search),
    findAlbumCandidates: (q) => runLadder(albumLadder(q), search),
    async getRelease(id) {
      calls.release++;
      const r = releases.get(id);
      if (!r) throw new NotFoundError(`release ${id} not found`);
      return structuredClone(r);
    },
    async getMaster(id) {
      calls.master++;
      const m = masters.find((x) => x.id === id);
      if (!m) throw new NotFoundError(`master ${id} not found`);
      return m;
    },
  };
  return { source, calls };
}

const master = (id: number, year: number, mainReleaseId: number): Master => ({
  id,
  mainReleaseId,
  title: "x",
  artists: [],
  year,
  genres: [],
  styles: [],
  url: `https://www.discogs.com/master/${id}`,
});

const opts = (o: Partial<MatchOptions> = {}): MatchOptions => ({
  maxResults: 10,
  maxRequests: 6,
  ...o,
});

const ORIGINAL: Spec = {
  id: 10,
  masterId: 100,
  artist: "Mateo & Matos",
  title: "Frontiers EP",
  year: 1999,
  country: "US",
  formats: ['12"', "EP"],
  tracks: ["Groove 4 U", "Frontiers"],
};
const COMPILATION: Spec = {
  id: 11,
  artist: "Various",
  title: "House Hits 2004",
  year: 2004,
  formats: ["LP", "Compilation"],
  tracks: ["Groove 4 U", "Something Else"],
};
const REISSUE: Spec = { ...ORIGINAL, id: 12, year: 2012, formats: ['12"', "EP", "Reissue"] };

describe("findRelease over an in-process catalogue", () => {
  it("chooses the original over the reissue and the compilation, with the master's year", async () => {
    const { source, calls } = fakeCatalogue([COMPILATION, REISSUE, ORIGINAL], [master(100, 1999, 10)]);
    const q = extractTrack({ filename: "Mateo & Matos - Groove 4 U.mp3" });
    const out = await findRelease(q, source, opts());
    expect(out.best?.candidate.releaseId).toBe(10);
    expect(out.best?.row?.title).toBe("Groove 4 U");
    expect(out.recommendation).toBe("strong");
    expect(out.confidence).toBeGreaterThanOrEqual(0.9);
    expect(out.strategies[0]).toBe("artist+track");
    // One search found it; the top few were verified on their tracklists, and the master fetched once.
    expect(calls.search).toBe(1);
    expect(calls.master).toBeLessThanOrEqual(1);
    expect(out.requests).toBe(calls.search + calls.release + calls.master);
  });

  it("never sends more requests than allowed", async () => {
    const { source, calls } = fakeCatalogue([COMPILATION, REISSUE, ORIGINAL]);
    const out = await findRelease(extractTrack({ filename: "Mateo & Matos - Groove 4 U.mp3" }), source, {
      ...opts(),
      maxRequests: 2,
    });
    expect(calls.search + calls.release + calls.master).toBeLessThanOrEqual(2);
    expect(out.requests).toBeLessThanOrEqual(2);
  });

  it("answers 'none' when no release holds the track, after climbing the ladder", async () => {
    const { source, calls } = fakeCatalogue([ORIGINAL]);
    const out = await findRelease(extractTrack({ filename: "Nobody - Nothing At All.mp3" }), source, opts());
    expect(out).toMatchObject({ best: null, recommendation: "none", confidence: 0 });
    expect(out.strategies.length).toBeGreaterThan(1);
    expect(calls.release).toBe(0);
  });

  it("reads a name given the wrong way round ('Title - Artist') by rescoring, without more requests", async () => {
    const { source } = fakeCatalogue([ORIGINAL]);
    const q = { ...extractTrack({ filename: "Groove 4 U - Mateo & Matos.mp3" }), orderUncertain: true };
    const out = await findRelease(q, source, opts());
    expect(out.best?.candidate.releaseId).toBe(10);
    expect(out.swapped).toBe(true);
  });

  it("trusts a release id from the tags when the track is on it, and searches no further", async () => {
    // The file names the reissue: the user's choice stands, though the original would score better.
    const { source, calls } = fakeCatalogue([REISSUE, ORIGINAL]);
    const q = extractTrack({
      filename: "x.mp3",
      tags: { artist: "Mateo & Matos", title: "Groove 4 U", discogsReleaseId: 12 },
    });
    const out = await findRelease(q, source, opts());
    expect(out.best?.candidate.releaseId).toBe(12);
    expect(out.strategies).toEqual(["release-id"]);
    expect(calls.search).toBe(0);
  });

  it("lets the source's faults through, for the pipeline to degrade", async () => {
    const { source } = fakeCatalogue([ORIGINAL], [], () => new UpstreamError("discogs: search answered 503"));
    await expect(
      findRelease(extractTrack({ filename: "Mateo & Matos - Groove 4 U.mp3" }), source, opts()),
    ).rejects.toBeInstanceOf(UpstreamError);
  });
});
