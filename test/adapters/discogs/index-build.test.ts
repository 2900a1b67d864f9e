import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import {
  type BuildProgress,
  buildIndex,
  commonWords,
  readMeta,
} from "../../../src/adapters/discogs/index/build.js";
import {
  COMMON_WORD_FLOOR,
  commonWordLeast,
  dumpDateOf,
  narrowingTerms,
} from "../../../src/adapters/discogs/index/schema.js";
import { openIndexSource } from "../../../src/adapters/discogs/index/source.js";
import { runCli } from "../../../src/cli/program.js";
import { InvalidInputError } from "../../../src/core/errors.js";
import { captureCli, DUMP_DIR } from "../../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-index-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const RELEASES = join(DUMP_DIR, "releases.xml.gz");
const MASTERS = join(DUMP_DIR, "masters.xml.gz");

describe("index build", () => {
  it("builds the sample with progress, counts and a summary", async () => {
    const progress: BuildProgress[] = [];
    const out = join(DIR, "full.sqlite");
    const s = await buildIndex({
      releases: RELEASES,
      masters: MASTERS,
      out,
      batchSize: 100,
      onProgress: (p) => progress.push(p),
    });
    expect(s).toMatchObject({ releases: 810, masters: 1000, videos: 1810, resumedFrom: 0 });
    expect(s.tracks).toBeGreaterThan(5000);
    expect(s.bytes).toBe(statSync(out).size);
    // The finished index is a compacted copy in rollback-journal mode; the partial file and its WAL are gone.
    for (const left of [".partial", ".partial-wal", ".partial-shm", ".partial.vacuum"])
      expect(existsSync(`${out}${left}`)).toBe(false);
    const check = new Database(out, { readonly: true });
    expect(check.pragma("journal_mode", { simple: true })).toBe("delete");
    expect(check.pragma("freelist_count", { simple: true })).toBe(0);
    expect(check.pragma("page_size", { simple: true })).toBe(16384);
    // The build merged FTS5's segments sixteen at a time, and into one at the end: the words are whole.
    expect(check.prepare("SELECT v FROM docs_config WHERE k = 'automerge'").pluck().get()).toBe(16);
    check.close();
    const writable = new Database(out);
    expect(() => writable.exec("INSERT INTO docs (docs) VALUES ('integrity-check')")).not.toThrow();
    writable.close();
    const last = progress.filter((p) => p.phase === "releases").at(-1)!;
    expect(last.records).toBe(810);
    expect(last.bytesRead).toBe(last.totalBytes);
    expect(progress.some((p) => p.phase === "finalize")).toBe(true);
    const info = openIndexSource(out);
    expect(info.info(Date.parse("2020-08-16T00:00:00Z"))).toMatchObject({
      releases: 810,
      ageDays: expect.any(Number),
    });
    info.dispose();
  });

  it("resumes an interrupted build from its checkpoint, and never serves the half-written file", async () => {
    const out = join(DIR, "resume.sqlite");
    const controller = new AbortController();
    let seen = 0;
    await expect(
      buildIndex({
        releases: RELEASES,
        out,
        batchSize: 100,
        progressIntervalMs: 0,
        signal: controller.signal,
        onProgress: (p) => {
          seen = p.records;
          if (p.records >= 300) controller.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    expect(seen).toBeGreaterThanOrEqual(300);
    expect(existsSync(out)).toBe(false);
    // The partial file is not an index anyone may open.
    expect(() => openIndexSource(`${out}.partial`)).toThrow(/unfinished/);
    const s = await buildIndex({ releases: RELEASES, out, batchSize: 100 });
    expect(s.resumedFrom).toBeGreaterThanOrEqual(300);
    expect(s.releases).toBe(810);
    const index = openIndexSource(out);
    expect((await index.getRelease(1)).title).toBe("Stockholm");
    expect(index.info().releases).toBe(810);
    index.dispose();
  });

  it("rebuilds from scratch when asked, or when the sources changed", async () => {
    const out = join(DIR, "rebuild.sqlite");
    await buildIndex({ releases: RELEASES, out });
    const again = await buildIndex({ releases: RELEASES, out, rebuild: true });
    expect(again.resumedFrom).toBe(0);
    expect(again.releases).toBe(810);
  });

  it("refuses a dump of the wrong kind and a missing file, clearly", async () => {
    await expect(buildIndex({ releases: MASTERS, out: join(DIR, "x.sqlite") })).rejects.toThrow(
      /is a masters dump, expected releases/,
    );
    await expect(
      buildIndex({ releases: join(DIR, "nope.xml.gz"), out: join(DIR, "y.sqlite") }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => openIndexSource(join(DIR, "nope.sqlite"))).toThrow(/no index at/);
  });

  it("counts the common words, and a search requires none of them when rarer words narrow it", async () => {
    const out = join(DIR, "common.sqlite");
    await buildIndex({ releases: RELEASES, out, batchSize: 500 });
    const db = new Database(out);
    // 810 releases: no word reaches the floor, so every word of a search counts.
    expect(readMeta(db).common_words).toBe("{}");
    const counted = commonWords(db, 40);
    expect(counted.the).toBeGreaterThan(300);
    expect(Object.keys(counted)).toContain("love");
    const matching = db.prepare("SELECT count(*) AS n FROM docs WHERE docs MATCH ?");
    for (const [word, n] of Object.entries(counted)) {
      expect(n).toBeGreaterThanOrEqual(40);
      expect((matching.get(`"${word}"`) as { n: number }).n).toBe(n);
    }
    // Every word counts: release 53 (Mateo & Matos) holds no "love".
    const before = openIndexSource(out);
    expect(before.info().commonWords).toBe(0);
    expect((await before.search({ q: "mateo matos love" })).map((h) => h.id)).not.toContain(53);
    before.dispose();
    db.prepare("UPDATE meta SET value = ? WHERE key = 'common_words'").run(JSON.stringify(counted));
    db.close();
    const after = openIndexSource(out);
    expect(after.info().commonWords).toBe(Object.keys(counted).length);
    // "love" is common: the two rarer words narrow the search, and it finds the release first.
    const hits = await after.search({ q: "mateo matos love" });
    expect(hits.slice(0, 2).map((h) => `${h.kind} ${h.id}`)).toEqual(["master 324986", "release 53"]);
    // Two words are kept at least: with one rare word, the common one is still required.
    expect((await after.search({ q: "mateo love" })).map((h) => h.id)).not.toContain(53);
    after.dispose();
  });

  it("keeps the rare words of a search, and the rarest common ones up to two", () => {
    const common = new Map([
      ["the", 900],
      ["love", 300],
      ["mix", 500],
    ]);
    const terms = (...words: string[]) => words.map((word) => ({ word }));
    const words = (t: { word: string }[]) => t.map((x) => x.word);
    expect(words(narrowingTerms(terms("the", "beatles", "love", "me", "do"), common))).toEqual([
      "beatles",
      "me",
      "do",
    ]);
    expect(words(narrowingTerms(terms("the", "beatles", "love"), common))).toEqual(["beatles", "love"]);
    expect(words(narrowingTerms(terms("the", "mix", "love"), common))).toEqual(["mix", "love"]);
    expect(words(narrowingTerms(terms("the"), common))).toEqual(["the"]);
    expect(narrowingTerms([], common)).toEqual([]);
    expect(commonWordLeast(810)).toBe(COMMON_WORD_FLOOR);
    expect(commonWordLeast(19_400_000)).toBe(388_000);
  });

  it("reads the dump's date from its name", () => {
    expect(dumpDateOf("/d/discogs_20200806_releases.xml.gz")).toBe("2020-08-06");
    expect(dumpDateOf("releases.xml.gz")).toBeNull();
  });
});

describe("discmeta index", () => {
  const io = () => captureCli({ DISCMETA_CACHE_DIR: DIR });

  it("builds into the cache folder by default and prints a summary, then info", async () => {
    const b = io();
    expect(
      await runCli(
        ["index", "build", "--releases", RELEASES, "--masters", MASTERS, "--dump-date", "2020-08-06"],
        b.io,
      ),
    ).toBe(0);
    expect(b.out()).toMatch(/810 releases, 1,000 masters, .* tracks, 1,810 videos; dump of 2020-08-06/);
    expect(b.out()).toContain(`DISCOGS_INDEX_PATH=${join(DIR, "discogs-index.sqlite")}`);
    const i = io();
    expect(await runCli(["index", "info"], i.io)).toBe(0);
    expect(i.out()).toMatch(/dump date: 2020-08-06 \(age \d+ days, from the build's --dump-date\)/);
    expect(i.out()).toContain("(the default index)");
    expect(i.out()).toMatch(/releases:\s+810/);
  });

  it("says what is wrong with bad input", async () => {
    const a = io();
    expect(await runCli(["index", "build"], a.io)).toBe(2);
    expect(a.err()).toMatch(/required option '--releases <file>' not specified/);
    const b = io();
    expect(await runCli(["index", "build", "--releases", join(DIR, "missing.xml.gz")], b.io)).toBe(2);
    expect(b.err()).toMatch(/does not exist/);
    const c = io();
    expect(await runCli(["index", "info", join(DIR, "missing.sqlite")], c.io)).toBe(2);
    expect(c.err()).toMatch(/no index at/);
  });
});
