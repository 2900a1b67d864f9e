/**
 * `discmeta index update` end to end against a local dump site: the newest month found through S3
 * listings (pages, folders, an unfinished month), a cut connection resumed with Range, a wrong
 * checksum, a full disk and a subset that keeps nothing, each leaving the index in use as it was.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findNewestDump, parseChecksums } from "../../src/adapters/discogs/dump/fetch-dump.js";
import { openIndexSource } from "../../src/adapters/discogs/index/source.js";
import { runCli } from "../../src/cli/program.js";
import { checksumFile, type DumpSite, releasesDump, startDumpSite } from "../fakes/dump-site.js";
import { captureCli, DUMP_DIR } from "../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-update-"));
const SAMPLE = join(DUMP_DIR, "releases.xml.gz");
const MASTERS = readFileSync(join(DUMP_DIR, "masters.xml.gz"));
const JULY = releasesDump(SAMPLE, 300);
const AUGUST = readFileSync(SAMPLE);
const R7 = "discogs_20200701_releases.xml.gz";
const R8 = "discogs_20200801_releases.xml.gz";
const M8 = "discogs_20200801_masters.xml.gz";

/** Two complete months, one still uploading (no checksum yet), and a new year holding only artists. */
function month(date: string, files: Record<string, Buffer>): Record<string, Buffer> {
  const y = date.slice(0, 4);
  const out: Record<string, Buffer> = {};
  for (const [name, body] of Object.entries(files)) out[`data/${y}/${name}`] = body;
  out[`data/${y}/discogs_${date}_CHECKSUM.txt`] = checksumFile(files);
  return out;
}
const SITE_FILES = {
  ...month("20200701", { [R7]: JULY }),
  ...month("20200801", { [R8]: AUGUST, [M8]: MASTERS }),
  "data/2020/discogs_20200901_releases.xml.gz": JULY,
  "data/2021/discogs_20210101_artists.xml.gz": Buffer.from("x"),
  "index.html": Buffer.from("<html></html>"),
};

let site: DumpSite;
beforeAll(async () => {
  site = await startDumpSite(SITE_FILES, 2);
});
afterAll(async () => {
  await site.close();
  rmSync(DIR, { recursive: true, force: true });
});

const cli = (cache: string, url = site.url) =>
  captureCli({ DISCMETA_CACHE_DIR: cache, DISCOGS_DUMP_URL: url });

function indexDate(path: string): { date: string | null; releases: number } {
  const index = openIndexSource(path);
  try {
    const info = index.info();
    return { date: info.dumpDate, releases: info.releases };
  } finally {
    index.dispose();
  }
}

describe("the dump site", () => {
  it("finds the newest complete month through paged listings, past an unfinished one", async () => {
    const dump = await findNewestDump(site.url);
    expect(dump).toMatchObject({
      date: "2020-08-01",
      releases: { key: `data/2020/${R8}`, size: AUGUST.length },
      masters: { key: `data/2020/${M8}` },
      checksum: { key: "data/2020/discogs_20200801_CHECKSUM.txt" },
    });
  });

  it("says when a site cannot list, and reads both checksum layouts", async () => {
    const plain = await startDumpSite({ "x.txt": Buffer.from("x") });
    try {
      // A static file server answers the listing with its index page or a 404.
      await expect(findNewestDump(`${plain.url}/nothing`)).rejects.toThrow(/answered 404 to its listing/);
    } finally {
      await plain.close();
    }
    const a = "a".repeat(64);
    const b = "B".repeat(64);
    const sums = parseChecksums(`${a} *discogs_1_releases.xml.gz\r\n${b}  discogs_1_masters.xml.gz\njunk\n`);
    expect(sums.get("discogs_1_releases.xml.gz")).toBe(a);
    expect(sums.get("discogs_1_masters.xml.gz")).toBe("b".repeat(64));
    expect(sums.size).toBe(2);
  });
});

describe("discmeta index update", () => {
  const cache = join(DIR, "cache");
  const index = join(cache, "discogs-index.sqlite");

  it("builds a given month, then updates to the newest, resuming a cut download", async () => {
    const first = cli(cache);
    expect(await runCli(["index", "update", "--date", "2020-07-01"], first.io)).toBe(0);
    expect(first.out()).toMatch(/updated to the dump of 2020-07-01: 300 releases/);
    expect(indexDate(index)).toEqual({ date: "2020-07-01", releases: 300 });

    site.requests.length = 0;
    site.cut(`data/2020/${R8}`, 60_000);
    const second = cli(cache);
    const code = await runCli(["index", "update", "--keep-dumps"], second.io);
    expect(second.err()).toMatch(/newest dump 2020-08-01 .* the index holds 2020-07-01/);
    expect(code).toBe(0);
    expect(second.out()).toMatch(
      /updated to the dump of 2020-08-01 \(was 2020-07-01\): 810 releases, 1,000 masters/,
    );
    // The cut download went on from where it stopped, with a Range request.
    const gets = site.requests.filter((r) => r.key === `data/2020/${R8}`);
    expect(gets.length).toBe(2);
    expect(gets[0]!.range).toBeNull();
    expect(Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? "")?.[1])).toBeGreaterThan(0);
    expect(second.err()).toMatch(/downloading discogs_20200801_releases\.xml\.gz.*\/s/);
    expect(second.err()).toMatch(/discogs_20200801_releases\.xml\.gz matches its checksum/);
    expect(second.err()).toMatch(/building: /);
    expect(indexDate(index)).toEqual({ date: "2020-08-01", releases: 810 });
    expect(readdirSync(cache).filter((f) => f.includes(".new"))).toEqual([]);
    // --keep-dumps kept the verified files; nothing partial is left.
    expect(readdirSync(join(cache, "dumps")).sort()).toEqual([M8, R8]);

    site.requests.length = 0;
    const third = cli(cache);
    expect(await runCli(["index", "update"], third.io)).toBe(0);
    expect(third.out()).toMatch(/already holds the dump of 2020-08-01; nothing to do/);
    expect(site.requests.filter((r) => r.key.endsWith(".gz"))).toEqual([]);
  });

  it("reuses a verified download, and deletes the dump after the swap unless asked to keep it", async () => {
    site.requests.length = 0;
    const again = cli(cache);
    expect(await runCli(["index", "update", "--force"], again.io)).toBe(0);
    expect(again.err()).toMatch(/already downloaded and matches its checksum/);
    expect(site.requests.filter((r) => r.key.endsWith(".gz"))).toEqual([]);
    expect(readdirSync(join(cache, "dumps"))).toEqual([]);
  });

  describe("faults leave the index in use as it was", () => {
    const faultCache = join(DIR, "faults");
    const faultIndex = join(faultCache, "discogs-index.sqlite");
    beforeAll(async () => {
      const c = cli(faultCache);
      expect(await runCli(["index", "update", "--date", "2020-07-01", "-q"], c.io)).toBe(0);
    });

    it("a wrong checksum: the download is deleted and nothing is swapped", async () => {
      const bad = await startDumpSite({
        ...SITE_FILES,
        "data/2020/discogs_20200801_CHECKSUM.txt": Buffer.from(`${"0".repeat(64)} *${R8}\n`),
      });
      try {
        const c = cli(faultCache, bad.url);
        expect(await runCli(["index", "update"], c.io)).toBe(2);
        expect(c.err()).toMatch(
          /discogs_20200801_releases\.xml\.gz does not match its published checksum .*; the index in use .* is unchanged/,
        );
      } finally {
        await bad.close();
      }
      expect(indexDate(faultIndex)).toEqual({ date: "2020-07-01", releases: 300 });
      expect(readdirSync(join(faultCache, "dumps"))).toEqual([]);
      expect(existsSync(`${faultIndex}.new`)).toBe(false);
    });

    it("a full disk: stops at once, says so, keeps the old index", async () => {
      const dumps = join(faultCache, "dumps");
      mkdirSync(dumps, { recursive: true });
      // Writing to /dev/full fails with ENOSPC, exactly as a full disk does.
      symlinkSync("/dev/full", join(dumps, `${R8}.part`));
      try {
        const c = cli(faultCache);
        expect(await runCli(["index", "update"], c.io)).toBe(2);
        expect(c.err()).toMatch(
          /the disk is full: discogs_20200801_releases\.xml\.gz stopped at .*free some space/,
        );
        expect(c.err()).toMatch(/the index in use .* is unchanged/);
      } finally {
        rmSync(join(dumps, `${R8}.part`), { force: true });
      }
      expect(indexDate(faultIndex)).toEqual({ date: "2020-07-01", releases: 300 });
    });

    it("a new index that holds nothing is never swapped in", async () => {
      const c = cli(faultCache);
      expect(await runCli(["index", "update", "--genres", "No Such Genre", "-q"], c.io)).toBe(2);
      expect(c.err()).toMatch(/the new index holds no release/);
      expect(indexDate(faultIndex)).toEqual({ date: "2020-07-01", releases: 300 });
      expect(existsSync(`${faultIndex}.new`)).toBe(false);
    });

    it("an unreachable site and a bad --date are clear errors", async () => {
      const c = cli(faultCache, "http://127.0.0.1:9");
      expect(await runCli(["index", "update"], c.io)).toBe(2);
      expect(c.err()).toMatch(/cannot reach 127\.0\.0\.1:9/);
      const d = cli(faultCache);
      expect(await runCli(["index", "update", "--date", "August"], d.io)).toBe(2);
      expect(d.err()).toMatch(/--date must be YYYY-MM-DD/);
      expect(indexDate(faultIndex)).toEqual({ date: "2020-07-01", releases: 300 });
    });
  });
});
