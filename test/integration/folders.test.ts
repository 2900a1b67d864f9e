/**
 * Folders read as a whole, through the real container against the Discogs simulator (real dump data,
 * real response shapes): playlists of bare titles, of one title's mixes, of "Title - Artist" names, and
 * of names that carry their album; album-placed files with a verdict of their own; and a mixed folder
 * that costs no more than its tracks one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWindowLimiter } from "../../src/adapters/discogs/rate-limit.js";
import { createDiscogsSource } from "../../src/adapters/discogs/source.js";
import { loadConfig } from "../../src/config.js";
import { type Container, createContainer } from "../../src/container.js";
import type { TrackMetadata } from "../../src/core/schema.js";
import type { TrackInput } from "../../src/core/types.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR } from "../helpers.js";

let sim: DiscogsSimulator;
let container: Container;

beforeAll(async () => {
  sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR, rateLimit: { authenticated: 1e9 } });
  const config = loadConfig({
    DISCOGS_API_URL: sim.url,
    DISCOGS_USER_TOKEN: "t",
    METADATA_MODE: "fast",
    METADATA_USE_LLM_FALLBACK: "false",
    METADATA_CACHE_ENABLED: "false",
    METADATA_TIMEOUT_MS: "0",
  });
  const source = createDiscogsSource({
    baseUrl: sim.url,
    token: "t",
    userAgent: "discmeta-test/1",
    limiter: createWindowLimiter({ limit: 1e9 }),
  });
  container = createContainer(config, { source, cache: null });
});
afterAll(async () => {
  await container.dispose();
  await sim.close();
});

const folder = (name: string, files: string[]): TrackInput[] =>
  files.map((filename) => ({ filename, path: `${name}/${filename}` }));

const STOCKHOLM = ["Östermalm", "Vasastaden", "Kungsholmen", "Södermalm", "Norrmalm", "Gamla Stan"];
const requests = (answers: TrackMetadata[]) => answers.reduce((s, a) => s + a.diagnostics.discogsRequests, 0);

function expectAlbum(answers: TrackMetadata[], releaseId: number) {
  for (const a of answers) {
    expect(a).toMatchObject({ source: "discogs", discogs: { releaseId } });
    expect(a.albumMatch?.releaseId).toBe(releaseId);
    expect(a.match?.recommendation).not.toBe("none");
    expect(a.confidence).toBeGreaterThanOrEqual(0.7);
  }
}

describe("playlists read as a whole", () => {
  it("places a folder of bare titles on the release their searches share", async () => {
    const inputs = folder(
      "Playlist 1",
      STOCKHOLM.slice(0, 4).map((t) => `${t}.opus`),
    );
    // Matched one by one, no file names an artist: nothing is searched, nothing answered.
    const alone = await container.resolveBatch(inputs, { albums: false });
    expect(alone.every((a) => a.source === "simple")).toBe(true);
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 1);
    expect(answers.map((a) => a.title)).toEqual(STOCKHOLM.slice(0, 4));
    expect(answers[0]!.albumMatch?.strategy).toBe("track-votes");
  });

  it("points the mixes of one title to their single", async () => {
    const mixes = [
      "Pure (Mig's Petalpusher Vocal)",
      "Pure (Aquanote Tidal Mix)",
      "Pure (Jay's Undercover Dub)",
    ];
    const answers = await container.resolveBatch(
      folder(
        "Playlist 2",
        mixes.map((t) => `${t}.opus`),
      ),
    );
    expectAlbum(answers, 9);
    expect(answers.map((a) => a.mix)).toEqual([
      "Mig's Petalpusher Vocal",
      "Aquanote Tidal Mix",
      "Jay's Undercover Dub",
    ]);
  });

  it("reads 'Title - Artist' folders the other way round when one name closes every file", async () => {
    const inputs = folder(
      "Playlist 3",
      STOCKHOLM.slice(0, 4).map((t, i) => `${i + 1} ${t} - The Persuader.opus`),
    );
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 1);
    expect(answers.map((a) => a.artist)).toEqual(Array(4).fill("The Persuader"));
    expect(answers.map((a) => a.title)).toEqual(STOCKHOLM.slice(0, 4));
  });

  it("reads an opening that every unsplit name shares as the artist, and drops a shared closing", async () => {
    const inputs = folder(
      "Playlist 6",
      STOCKHOLM.slice(0, 3).map((t) => `THE PERSUADER ${t} Svek SK032.opus`),
    );
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 1);
    expect(answers.map((a) => a.title)).toEqual(STOCKHOLM.slice(0, 3));
  });

  it("reads the album a name carries: 'Title, from Album' and 'Artist ｜ Album - Title'", async () => {
    const from = await container.resolveBatch(
      folder(
        "Playlist 4",
        STOCKHOLM.slice(0, 3).map((t) => `${t}, from Stockholm (1999).opus`),
      ),
    );
    expectAlbum(from, 1);
    expect(from[0]!.albumMatch?.strategy).toBe("album-search");
    const barred = await container.resolveBatch(
      folder(
        "Playlist 5",
        STOCKHOLM.slice(2, 5).map((t) => `The Persuader ｜ Stockholm - ${t}.opus`),
      ),
    );
    expectAlbum(barred, 1);
  });

  it("reads a playlist of one artist the catalogue credits otherwise (a real name behind an alias) by its titles", async () => {
    const inputs = folder(
      "Playlist 6",
      ["Mad Mood", "Damaskus-Dakar", "Indian Mantra", "P.M."].map((t) => `David Moufang - ${t}.opus`),
    );
    // One by one, no release credits David Moufang as its artist: nothing is found.
    const alone = await container.resolveBatch(inputs, { albums: false });
    expect(alone.every((a) => a.source === "simple")).toBe(true);
    // Together, the titles land on Solitaire's album, which credits him as its writer.
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 59);
    expect(answers.map((a) => [a.artist, a.title])).toEqual([
      ["Solitaire", "Mad Mood"],
      ["Solitaire", "Damaskus - Dakar"],
      ["Solitaire", "Indian Mantra"],
      ["Solitaire", "P.M."],
    ]);
  });
});

describe("names split on a separator titles also hold", () => {
  it("answers 'Nr. 1 C-Dur: Allegro' in an album folder by the whole name, not as an artist and a title", async () => {
    const rows = ["Nr. 1 C-Dur: Allegro", "Nr. 2 A-Moll: Allegro", "Nr. 3 E-Dur: Lento, Ma Non Troppo"];
    const inputs = folder(
      "Frédéric Chopin, Maurizio Pollini - Etudes ∙ Préludes _ Polonaises (1980)",
      rows.map((t, i) => `0${i + 1} - ${t}.mp3`),
    );
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 4497850);
    expect(answers.map((a) => [a.title, a.trackPosition])).toEqual([
      ["Nr. 1 C-Dur: Allegro", "A1"],
      ["Nr. 2 A-Moll: Allegro", "A2"],
      ["Nr. 3 E-Dur: Lento, Ma Non Troppo", "A3"],
    ]);
  });
});

describe("album answers and their cost", () => {
  it("gives each placed file a track-level verdict that means what it says", async () => {
    const inputs = folder(
      "The Persuader - Stockholm (1999)",
      STOCKHOLM.map((t, i) => `${String(i + 1).padStart(2, "0")} - ${t}.mp3`),
    );
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 1);
    for (const a of answers) {
      expect(a.match?.recommendation).toBe("strong");
      expect(a.albumMatch?.recommendation).toBe("strong");
    }
    // One search and one release fetch for the album (the search row tells the master's year).
    expect(requests(answers)).toBeLessThanOrEqual(3);
  });

  it("places titles too plain to search for ('Untitled') on their album, by their numbers", async () => {
    const tags = { artist: "Paul Klaui", album: "Appointments With Infinity", title: "Untitled" };
    const inputs = [1, 2, 3].map((n) => ({
      filename: `0${n} Track.mp3`,
      path: `Appointments/0${n} Track.mp3`,
      tags,
    }));
    // Alone, "Untitled" is no title to search for.
    const alone = await container.resolveBatch(inputs, { albums: false });
    expect(alone.every((a) => a.source === "simple")).toBe(true);
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers, 1586414);
    expect(answers.map((a) => a.release?.trackNumber)).toEqual([1, 2, 3]);
  });

  it("costs no more for a mixed folder than for its tracks one by one, for the same answers", async () => {
    const names = [
      "The Persuader - Östermalm.mp3",
      "Mateo & Matos - Groove 4 U.mp3",
      "Blue Six - Pure.mp3",
      "Larry Heard - Missing You.mp3",
      "Kevin Yost - If She Only Knew.mp3",
    ];
    const inputs = folder("Downloads", names);
    const albums = await container.resolveBatch(inputs);
    const singles = await container.resolveBatch(inputs, { albums: false });
    expect(albums.map((a) => a.discogs?.releaseId)).toEqual(singles.map((a) => a.discogs?.releaseId));
    expect(requests(albums)).toBeLessThanOrEqual(requests(singles));
    expect(albums.every((a) => a.albumMatch === null)).toBe(true);
  });
});

describe("an album the files only imply", () => {
  it("is judged on the files it places: two stray videos do not sink a playlist of live takes", async () => {
    const live = [
      "Love Surrounds Us",
      "Three Flowers",
      "Genesis",
      "Uptown",
      "Lotus Flower",
      "Blues For Basie",
    ];
    const inputs = folder("Playlist 9", [
      ...live.map((t) => `${t} (Live at the Blue Note).opus`),
      "GP Wu - Smoking.opus",
      "Gp Wu - Party People (HD) | Official Video.opus",
    ]);
    const answers = await container.resolveBatch(inputs);
    expectAlbum(answers.slice(0, 6), 4497892);
    expect(answers[0]!.albumMatch?.recommendation).toBe("medium");
    // The strays keep their own answers, on their own record.
    for (const a of answers.slice(6)) expect(a.discogs?.releaseId).not.toBe(4497892);
  });
});

describe("a folder vouches for the files nothing answered", () => {
  const SLIDER = ["T. Rex - Metal Guru.opus", "T. Rex - Telegram Sam.opus", "T. Rex - Baby Strange.opus"];
  const LIVE = "T.Rex Buick Mackane Live Studio 1973 Germany.opus";
  const STRAY = "Kraftwerk Radioactivity Live 1981.opus";

  it("answers a file no row fits on the album its folder agrees on, album facts only, and leaves a stray alone", async () => {
    const inputs = folder("Playlist", [...SLIDER, LIVE, STRAY]);
    // Alone, the live take's unsplit name finds nothing.
    const alone = await container.resolveBatch(inputs, { albums: false });
    expect(alone[3]!.source).toBe("simple");
    const reported: number[] = [];
    const answers = await container.resolveBatch(inputs, { onAnswer: (i) => reported.push(i) });
    // Every file is reported once, the held ones last.
    expect(reported.sort()).toEqual([0, 1, 2, 3, 4]);
    const placed = answers.slice(0, 3);
    for (const a of placed) expect(a).toMatchObject({ source: "discogs", discogs: { releaseId: 7697991 } });
    const live = answers[3]!;
    expect(live).toMatchObject({
      source: "discogs",
      artist: "T. Rex",
      title: "Buick Mackane Live Studio 1973 Germany",
      album: "The Slider",
      trackPosition: null,
      match: null,
      discogs: { releaseId: 7697991, masterId: placed[0]!.discogs!.masterId },
      albumMatch: { releaseId: 7697991, position: null, strategy: "folder-answers", items: 5 },
    });
    expect(live.label).toBe(placed[0]!.label);
    expect(live.genre).toEqual(placed[0]!.genre);
    expect(live.release).toMatchObject({ trackTitle: null, trackNumber: null, discNumber: null });
    expect(live.release?.credits.every((c) => c.scope === "release")).toBe(true);
    expect(live.warnings.map((w) => w.code)).toContain("album-only");
    expect(live.warnings.map((w) => w.code)).not.toContain("no-artist");
    expect(live.diagnostics.stages.at(-1)).toMatchObject({ stage: "album", outcome: "hit" });
    // 3 of the 3 answered files agree: (3 + 1) / (3 + 2), no surer than they are.
    expect(live.confidence).toBe(0.8);
    // The stray names nothing of the record: it stays as matching it alone left it.
    expect(answers[4]).toMatchObject({ source: "simple", discogs: null, albumMatch: null });
    // Files matched as singles vouch for nothing.
    expect(alone[3]!.albumMatch).toBeNull();
  });

  it("answers a file no row fits but that names the release the user chose with the album's facts", async () => {
    const [live] = await container.resolveOnRelease(folder("Playlist", [LIVE]), 7697991);
    expect(live).toMatchObject({
      source: "discogs",
      artist: "T. Rex",
      title: "Buick Mackane Live Studio 1973 Germany",
      album: "The Slider",
      trackPosition: null,
      match: null,
      confidence: 1,
      discogs: { releaseId: 7697991 },
      albumMatch: { releaseId: 7697991, position: null, strategy: "release-id", recommendation: "strong" },
      release: { trackNumber: null, trackTotal: null, albumArtist: "T. Rex" },
    });
    expect("warnings" in live! && live.warnings.map((w) => w.code)).toContain("album-only");
    // A release its name names nothing of (a mistyped id) is refused, as before.
    const [wrong] = await container.resolveOnRelease(folder("Playlist", [LIVE]), 1);
    expect(wrong).toEqual({ error: expect.stringMatching(/no track of release 1 fits this file/) });
  });

  it("vouches for nothing when the agreeing files are few among the folder's answers", async () => {
    const others = [
      "Hidden Orchestra - Wingbeats.opus",
      "Thin Lizzy - Massacre.opus",
      "Shur-I-Kan - Niomi's Dream.opus",
      "Black Science Orchestra - New Jersey Deep.opus",
      "Mateo & Matos - Groove 4 U.opus",
    ];
    const inputs = folder("Downloads", [...SLIDER.slice(0, 2), ...others, LIVE]);
    const answers = await container.resolveBatch(inputs);
    expect(answers.filter((a) => a.source === "discogs").length).toBeGreaterThanOrEqual(6);
    // Two of eight files on The Slider are no album folder: the live take is left unanswered.
    expect(answers[7]).toMatchObject({ source: "simple", albumMatch: null });
  });
});
