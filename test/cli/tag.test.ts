/**
 * `discmeta tag` end to end: real audio files of every format (ffmpeg), the real pipeline over the Discogs
 * simulator (real dump data and response shapes), the real writer. Dry run, --write, --cover, reruns
 * that search nothing, the review file with --apply, the interactive review, and files that fail alone.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { runCli } from "../../src/cli/program.js";
import type { FileOutcome } from "../../src/cli/tag.js";
import { parseReviewFile } from "../../src/core/tagging/review.js";
import { audioMd5, makeAudio, requireFfmpeg } from "../audio.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { captureCli, FIXTURES } from "../helpers.js";

const ROOT = mkdtempSync(join(tmpdir(), "discmeta-tag-"));
const reader = createMusicMetadataReader();
let sim: DiscogsSimulator;

beforeAll(async () => {
  requireFfmpeg();
  sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
});
afterAll(async () => {
  await sim?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

/** A fresh cache folder per call unless one is given: a rerun with an empty cache proves the request count. */
function capture(cacheDir = mkdtempSync(join(ROOT, "cache-")), prompts: string[] = []) {
  const env = {
    DISCMETA_CACHE_DIR: cacheDir,
    DISCOGS_USER_TOKEN: "test-token",
    DISCOGS_API_URL: sim.url,
    METADATA_MODE: "fast",
  };
  const c = captureCli(env, prompts.length > 0 ? { prompt: async () => prompts.shift() ?? "q" } : {});
  return { ...c, lines: () => c.lines<FileOutcome>() };
}

/** The Persuader – Stockholm (release 1 of the dump sample), one file per format. */
function makeAlbum(parent: string): string[] {
  const dir = join(parent, "The Persuader - Stockholm (1999)");
  mkdirSync(dir, { recursive: true });
  return [
    makeAudio(dir, "01 - Östermalm", "mp3 (ID3v2.4)"),
    makeAudio(dir, "02 - Vasastaden", "flac"),
    makeAudio(dir, "03 - Kungsholmen", "ogg vorbis"),
    makeAudio(dir, "04 - Södermalm", "opus"),
    makeAudio(dir, "05 - Norrmalm", "m4a"),
    makeAudio(dir, "06 - Gamla Stan", "mp3 (ID3v2.3)"),
  ];
}

const bytes = (paths: string[]) => paths.map((p) => readFileSync(p).toString("base64"));
const searches = () =>
  Object.entries(sim.stats().byEndpoint)
    .filter(([k]) => k.startsWith("search "))
    .reduce((n, [, v]) => n + v, 0);
const endpoint = (name: string) => sim.stats().byEndpoint[`${name} 200`] ?? 0;

describe("discmeta tag on an album of every format", () => {
  const parent = join(ROOT, "library");
  let files: string[];
  let md5: string[];
  beforeAll(() => {
    files = makeAlbum(parent);
    md5 = files.map(audioMd5);
  });

  it("a dry run shows the diff and changes nothing", async () => {
    const before = bytes(files);
    const c = capture();
    expect(await runCli(["tag", "--json", parent], c.io)).toBe(0);
    const lines = c.lines();
    expect(lines.map((l) => l.status)).toEqual(Array(6).fill("would-change"));
    expect(lines.every((l) => l.releaseId === 1)).toBe(true);
    const first = lines[0]!.changes;
    expect(first).toContainEqual({ field: "album", from: [], to: ["Stockholm"] });
    expect(first).toContainEqual({ field: "discogsReleaseId", from: [], to: ["1"] });
    expect(first).toContainEqual({ field: "trackNumber", from: [], to: ["1"] });
    expect(bytes(files)).toEqual(before);
    expect(c.err()).toMatch(/6 would change/);
    expect(c.err()).toMatch(/dry run: nothing was written/);
  });

  it("the human diff names each field's old and new value", async () => {
    const c = capture();
    expect(await runCli(["tag", files[0]!], c.io)).toBe(0);
    expect(c.out()).toMatch(/~ .*01 - Östermalm\.mp3 \[r1 \w+\]\s+would change \d+ fields/);
    expect(c.out()).toMatch(/album: \(none\) -> "Stockholm"/);
  });

  it("--write --cover writes every file, the cover once per release, and the audio stays identical", async () => {
    sim.resetStats();
    const c = capture();
    expect(await runCli(["tag", "--json", "--write", "--cover", parent], c.io)).toBe(0);
    expect(c.lines().map((l) => l.status)).toEqual(Array(6).fill("written"));
    expect(c.lines().every((l) => l.cover)).toBe(true);
    expect(endpoint("image")).toBe(1);
    expect(files.map(audioMd5)).toEqual(md5);
    const titles = ["Östermalm", "Vasastaden", "Kungsholmen", "Södermalm", "Norrmalm", "Gamla Stan"];
    for (const [i, path] of files.entries()) {
      const { values, hasCover } = await reader.readValues(path);
      expect(values).toMatchObject({
        artist: ["The Persuader"],
        title: [titles[i]],
        album: ["Stockholm"],
        // A 2 × LP, sides A to D: sides pair into records, each track numbered on its record.
        trackNumber: [String((i % 3) + 1)],
        trackTotal: ["3"],
        discNumber: [String(Math.floor(i / 3) + 1)],
        discTotal: ["2"],
        discogsReleaseId: ["1"],
        label: ["Svek"],
        catalogNumber: ["SK032"],
      });
      expect(hasCover).toBe(true);
    }
    expect(c.err()).toMatch(/6 written/);
    expect(c.err()).toMatch(/1 covers fetched/);
  });

  it("a rerun with an empty cache searches nothing: one release fetch for the album", async () => {
    sim.resetStats();
    const c = capture();
    expect(await runCli(["tag", "--json", parent], c.io)).toBe(0);
    expect(c.lines().map((l) => l.status)).toEqual(Array(6).fill("unchanged"));
    expect(searches()).toBe(0);
    expect(endpoint("release")).toBe(1);
    expect(endpoint("master")).toBe(0);
  });

  it("a file tagged before and matched alone costs one release fetch and no search", async () => {
    sim.resetStats();
    const c = capture();
    expect(await runCli(["tag", "--json", "--singles", files[1]!], c.io)).toBe(0);
    expect(c.lines()[0]!.status).toBe("unchanged");
    expect(searches()).toBe(0);
    expect(sim.stats().requests).toBe(1);
  });
});

describe("a rerun settles", () => {
  it("after --write, a rerun with the same cache shows 0 changes and sends 0 searches", async () => {
    // Every format, a catalogue number with a slash in ID3v2.3 (Solitaire, release 59: "PS 08/63"),
    // and a file held for review.
    const parent = join(ROOT, "settle");
    const stockholm = makeAlbum(parent);
    const dir = join(parent, "Solitaire - Solitaire (1995)");
    mkdirSync(dir, { recursive: true });
    const tags = { artist: "Solitaire", album: "Solitaire" };
    makeAudio(dir, "01 - In-Out", "mp3 (ID3v2.3)", { ...tags, title: "In/Out" });
    makeAudio(dir, "02 - Mad Mood", "mp3 (ID3v2.3)", { ...tags, title: "Mad Mood" });
    const heldDir = join(parent, "Singles");
    mkdirSync(heldDir, { recursive: true });
    makeAudio(heldDir, "Nobody Known - Östermalm", "mp3 (ID3v2.4)");
    const cache = mkdtempSync(join(ROOT, "cache-"));
    const reviewFile = join(ROOT, "settle-review.json");
    const first = capture(cache);
    expect(await runCli(["tag", "--json", "--write", "--review-file", reviewFile, parent], first.io)).toBe(0);
    const written = first.lines().filter((l) => l.status === "written");
    expect(written).toHaveLength(stockholm.length + 2);
    expect(first.lines().filter((l) => l.status === "review")).toHaveLength(1);
    const solitaire = await reader.readValues(join(dir, "01 - In-Out.mp3"));
    expect(solitaire.values.catalogNumber).toEqual(["PS 08/63"]);
    sim.resetStats();
    const again = capture(cache);
    expect(await runCli(["tag", "--json", "--review-file", reviewFile, parent], again.io)).toBe(0);
    const statuses = again.lines().map((l) => l.status);
    expect(statuses.filter((s) => s === "unchanged")).toHaveLength(stockholm.length + 2);
    expect(statuses.filter((s) => s === "would-change")).toEqual([]);
    expect(searches()).toBe(0);
  });
});

describe("a killed write's temporary file", () => {
  it("is never collected, and the next tag run removes a stale one (a live one is left alone)", async () => {
    const dir = join(ROOT, "temps", "The Persuader - Stockholm (1999)");
    mkdirSync(dir, { recursive: true });
    const real = makeAudio(dir, "01 - Östermalm", "flac");
    const stale = join(dir, ".01 - Östermalm.flac.discmeta-0a1b2c3d.flac");
    const live = join(dir, ".01 - Östermalm.flac.discmeta-4e5f6a7b.flac");
    copyFileSync(real, stale);
    copyFileSync(real, live);
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(stale, old, old);
    const c = capture();
    expect(await runCli(["tag", "--json", dir], c.io)).toBe(0);
    expect(c.lines().map((l) => l.file)).toEqual([real]);
    expect(c.err()).toMatch(
      /removed ".*discmeta-0a1b2c3d\.flac", a temporary file an interrupted write left behind/,
    );
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    const e = capture();
    expect(await runCli(["enrich", dir], e.io)).toBe(0);
    expect(e.lines().map((l) => l.file)).toEqual([real]);
  });
});

describe("files that cannot be written fail alone", () => {
  it("a read-only and a corrupt file fail with their reasons; the rest are written; exit code 1", async () => {
    const dir = join(ROOT, "mixed", "The Persuader - Stockholm (1999)");
    mkdirSync(dir, { recursive: true });
    const ok = makeAudio(dir, "01 - Östermalm", "flac");
    const locked = makeAudio(dir, "02 - Vasastaden", "flac");
    chmodSync(locked, 0o444);
    const corrupt = join(dir, "03 - Kungsholmen.mp3");
    copyFileSync(join(FIXTURES, "audio/corrupt.mp3"), corrupt);
    const c = capture();
    expect(await runCli(["tag", "--json", "--write", dir], c.io)).toBe(1);
    const byFile = Object.fromEntries(c.lines().map((l) => [l.file, l]));
    expect(byFile[ok]?.status).toBe("written");
    expect(byFile[locked]).toMatchObject({ status: "failed", reason: expect.stringMatching(/read-only/) });
    expect(byFile[corrupt]).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/cannot (read|write)/),
    });
    expect(c.err()).toMatch(/1 written.*2 failed to tag/);
    chmodSync(locked, 0o644);
  });
});

describe("review", () => {
  /** A file whose artist plainly differs from the catalogue's: matched at best "low", so never written unasked. */
  function uncertain(name: string): string {
    const dir = join(ROOT, name);
    mkdirSync(dir, { recursive: true });
    return makeAudio(dir, "Nobody Known - Östermalm", "mp3 (ID3v2.4)");
  }

  it("off a terminal, uncertain files go to a review file; --apply writes the choices", async () => {
    const path = uncertain("review-file");
    const reviewPath = join(ROOT, "review.json");
    const c = capture();
    expect(await runCli(["tag", "--json", "--write", "--review-file", reviewPath, path], c.io)).toBe(0);
    expect(c.lines()[0]!.status).toBe("review");
    expect(c.err()).toMatch(/1 item to review \(1 undecided\) saved in .*review\.json.*--apply/);
    const review = parseReviewFile(readFileSync(reviewPath, "utf8"));
    expect(review.items).toHaveLength(1);
    expect(review.items[0]!.files).toEqual([path]);
    expect(review.items[0]!.choice).toBeNull();

    // The user picks release 1 (any release id is accepted, listed or not).
    review.items[0]!.choice = 1;
    writeFileSync(reviewPath, JSON.stringify(review));
    sim.resetStats();
    const a = capture();
    expect(await runCli(["tag", "--json", "--write", "--apply", reviewPath], a.io)).toBe(0);
    expect(a.lines()[0]).toMatchObject({ file: path, status: "written", releaseId: 1 });
    // The summary counts what --apply did.
    expect(a.err()).toMatch(/1 file in .*1 written/);
    expect(searches()).toBe(0);
    const { values } = await reader.readValues(path);
    expect(values).toMatchObject({
      artist: ["The Persuader"],
      title: ["Östermalm"],
      discogsReleaseId: ["1"],
    });
    // Applied items leave the file.
    expect(parseReviewFile(readFileSync(reviewPath, "utf8")).items).toEqual([]);
  });

  it("--apply reports a release that does not hold the track, and a bad review file", async () => {
    const path = uncertain("review-wrong");
    const reviewPath = join(ROOT, "review-wrong.json");
    await runCli(["tag", "--json", "--review-file", reviewPath, path], capture().io);
    const review = parseReviewFile(readFileSync(reviewPath, "utf8"));
    review.items[0]!.choice = 999_999_999;
    writeFileSync(reviewPath, JSON.stringify(review));
    const a = capture();
    expect(await runCli(["tag", "--json", "--write", "--apply", reviewPath], a.io)).toBe(1);
    expect(a.lines()[0]).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/release 999999999/),
    });

    writeFileSync(reviewPath, JSON.stringify({ version: 1, items: [{ choice: "maybe" }] }));
    const b = capture();
    expect(await runCli(["tag", "--apply", reviewPath], b.io)).toBe(2);
    expect(b.err()).toMatch(/cannot apply ".*": review file: /);
  });

  it("--apply writes no file outside the folders the review was made for, symlinks resolved", async () => {
    const inside = uncertain("review-confined");
    const outsideDir = mkdtempSync(join(tmpdir(), "discmeta-outside-"));
    const outside = makeAudio(outsideDir, "Nobody Known - Östermalm", "mp3 (ID3v2.4)");
    const link = join(dirname(inside), "link.mp3");
    symlinkSync(outside, link);
    const reviewPath = join(ROOT, "review-confined.json");
    await runCli(["tag", "--json", "--review-file", reviewPath, inside], capture().io);
    const review = parseReviewFile(readFileSync(reviewPath, "utf8"));
    expect(review.roots).toEqual([realpathSync(inside)]);
    // A tampered file: the item now names a file elsewhere, and a link from inside to it.
    review.items[0]!.files.push(outside, link);
    review.items[0]!.choice = 1;
    writeFileSync(reviewPath, JSON.stringify(review));
    const before = readFileSync(outside);
    const a = capture();
    expect(await runCli(["tag", "--json", "--write", "--apply", reviewPath], a.io)).toBe(1);
    const byFile = Object.fromEntries(a.lines().map((l) => [l.file, l]));
    expect(byFile[inside]?.status).toBe("written");
    for (const f of [outside, link])
      expect(byFile[f]).toMatchObject({
        status: "failed",
        reason: expect.stringMatching(/outside the folders/),
      });
    expect(readFileSync(outside).equals(before)).toBe(true);
    rmSync(outsideDir, { recursive: true, force: true });
  });

  it("keeps the review file in the state folder by default, and a new run loses no decision", async () => {
    const lib = join(ROOT, "review-merge");
    const one = join(lib, "one");
    const two = join(lib, "two");
    mkdirSync(one, { recursive: true });
    mkdirSync(two, { recursive: true });
    const a = makeAudio(one, "Nobody Known - Östermalm", "mp3 (ID3v2.4)");
    const b = makeAudio(two, "Nobody Known - Vasastaden", "mp3 (ID3v2.4)");
    const cache = mkdtempSync(join(ROOT, "cache-"));
    const first = capture(cache);
    expect(await runCli(["tag", "--json", lib], first.io)).toBe(0);
    const saved = /saved in (\S+\.json)/.exec(first.err())?.[1];
    expect(saved).toBeDefined();
    expect(saved!.startsWith(join(cache, "reviews"))).toBe(true);
    expect(first.err()).toMatch(
      /2 items to review \(2 undecided\) saved in .*dry run: your files were not written/,
    );
    // Nothing lands in the current folder.
    expect(readdirSync(process.cwd()).filter((f) => f.startsWith("discmeta-review"))).toEqual([]);
    // The user decides one item; a run over part of the library keeps both.
    const review = parseReviewFile(readFileSync(saved!, "utf8"));
    review.items.find((i) => i.files[0] === a)!.choice = "skip";
    writeFileSync(saved!, JSON.stringify(review));
    const again = capture(cache);
    expect(await runCli(["tag", "--json", "--review-file", saved!, one], again.io)).toBe(0);
    const after = parseReviewFile(readFileSync(saved!, "utf8"));
    expect(after.items.map((i) => [i.files[0], i.choice])).toEqual(
      expect.arrayContaining([
        [a, "skip"],
        [b, null],
      ]),
    );
    // A file there that is not a review file is never replaced.
    writeFileSync(saved!, "not json");
    const refused = capture(cache);
    expect(await runCli(["tag", "--json", "--review-file", saved!, one], refused.io)).toBe(0);
    expect(refused.err()).toMatch(/not saving the review items: .* is not a review file/);
    expect(readFileSync(saved!, "utf8")).toBe("not json");
  });

  it("on a terminal, --review asks and writes the choice at once", async () => {
    const path = uncertain("review-tty");
    const c = capture(undefined, ["nonsense", "r 1"]);
    expect(await runCli(["tag", "--json", "--write", "--review", path], c.io)).toBe(0);
    expect(c.err()).toMatch(
      /Review 1 of 1: 1 file: match is \w+, below medium|Review 1 of 1: 1 file: no Discogs match/,
    );
    expect(c.err()).toMatch(/"nonsense" is not a choice/);
    const lines = c.lines();
    expect(lines.at(-1)).toMatchObject({ file: path, status: "written", releaseId: 1 });
    expect((await reader.readValues(path)).values.discogsReleaseId).toEqual(["1"]);
  });

  it("a user may lower the bar with --min-recommendation", async () => {
    const path = uncertain("review-min");
    const c = capture();
    await runCli(
      ["tag", "--json", "--min-recommendation", "low", "--review-file", join(ROOT, "r.json"), path],
      c.io,
    );
    const line = c.lines()[0]!;
    // Either the match was low (now written without asking) or there was none to write at all.
    expect(["would-change", "review"]).toContain(line.status);
    if (line.status === "review") expect(line.reason).toMatch(/no Discogs match|below low/);
  });
});
