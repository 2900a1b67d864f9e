import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex, newestRecordDate } from "../../../src/adapters/discogs/index/build.js";
import { createCodec, unpackRelease } from "../../../src/adapters/discogs/index/codec.js";
import { openIndexSource } from "../../../src/adapters/discogs/index/source.js";
import {
  artistKey,
  describeSubset,
  isSubset,
  subsetFilter,
} from "../../../src/adapters/discogs/index/subset.js";
import { runCli } from "../../../src/cli/program.js";
import { artistsOfLibrary } from "../../../src/core/library-artists.js";
import { createEnricher } from "../../../src/enricher.js";
import { makeAudio, requireFfmpeg } from "../../audio.js";
import { captureCli, DUMP_DIR } from "../../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-subset-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const RELEASES = join(DUMP_DIR, "releases.xml.gz");
const MASTERS = join(DUMP_DIR, "masters.xml.gz");

/** Every release body the index holds, as the dump gave it. */
function bodies(path: string): Record<string, unknown>[] {
  const db = new Database(path, { readonly: true });
  try {
    const meta = db.prepare("SELECT value FROM meta WHERE key = 'dictionary'").get() as { value: string };
    const codec = createCodec(Buffer.from(meta.value, "base64"));
    const rows = db
      .prepare("SELECT r.id, r.master_id, b.body, b.tail FROM releases r JOIN bodies b ON b.id = r.id")
      .all() as {
      id: number;
      master_id: number | null;
      body: Buffer;
      tail: Buffer | null;
    }[];
    return rows.map((r) => unpackRelease(r.id, r.master_id, codec.decode(r.body, r.tail)));
  } finally {
    db.close();
  }
}

const names = (list: unknown) => ((list as { name: string }[] | undefined) ?? []).map((a) => a.name);

describe("subset filter", () => {
  it("keeps a release only when every filter given holds", () => {
    const keep = subsetFilter({ genres: ["electronic"], formats: ["Vinyl"], since: 1990 })!;
    const r = { genres: ["Electronic"], formats: [{ name: "Vinyl" }], year: 1999 };
    expect(keep(r)).toBe(true);
    expect(keep({ ...r, genres: ["Rock"] })).toBe(false);
    expect(keep({ ...r, formats: [{ name: "CD" }] })).toBe(false);
    expect(keep({ ...r, year: 1989 })).toBe(false);
    // An undated release may be anything: kept.
    expect(keep({ ...r, year: 0, released: "" })).toBe(true);
    expect(keep({ ...r, year: undefined, released: "1985-03-00" })).toBe(false);
  });

  it("matches artists by key, in the release's, its credits' and its tracks' artists", () => {
    const keep = subsetFilter({ artists: ["persuader", "Beyoncé"] })!;
    expect(keep({ artists: [{ name: "The Persuader" }] })).toBe(true);
    expect(keep({ artists: [{ name: "Persuader, The (2)" }] })).toBe(true);
    expect(keep({ artists: [{ name: "Various" }], tracklist: [{ artists: [{ name: "BEYONCE" }] }] })).toBe(
      true,
    );
    expect(keep({ artists: [{ name: "Various" }], extraartists: [{ name: "Beyonce" }] })).toBe(true);
    expect(keep({ artists: [{ name: "Someone Else" }], tracklist: [{ title: "x" }] })).toBe(false);
    expect(artistKey("The Beatles")).toBe(artistKey("Beatles, The"));
  });

  it("is no subset without filters, and says what it keeps in words", () => {
    expect(subsetFilter({})).toBeNull();
    expect(isSubset({ genres: [] })).toBe(false);
    expect(describeSubset({ genres: ["Jazz", "Blues"], since: 1990, artists: ["a", "b"] })).toBe(
      "genres Jazz, Blues; since 1990; 2 artists of a music folder",
    );
    expect(describeSubset(undefined)).toBeNull();
  });

  it("dates a dump by its newest record, never after today", () => {
    let d: string | null = null;
    for (const r of ["1999-03-00", "2004", "2019-11-21", "2031-01-01", "garbage", ""])
      d = newestRecordDate(d, r, "2026-12-05");
    expect(d).toBe("2019-11-21");
    expect(newestRecordDate(null, "2004-00-00", "2026-12-05")).toBe("2004-01-01");
  });
});

describe("artists of a library", () => {
  it("reads tags, names, both sides of an unsure name, folders and duos", () => {
    const got = artistsOfLibrary([
      { filename: "01 x.mp3", tags: { artist: "The Persuader", albumArtist: "Various Artists" } },
      { filename: "Lord Vicar - Down The Nails.mp3" },
      { filename: "Night Train ~ The Rivermen.opus" },
      { filename: "02 Song.flac", path: "Simon & Garfunkel - Bookends (1968)/02 Song.flac" },
      { filename: "DJ A feat. MC B - Tune.mp3" },
      { filename: "Unknown Artist - Track 1.mp3" },
    ]);
    expect(got).toEqual(
      expect.arrayContaining([
        "The Persuader",
        "Lord Vicar",
        "The Rivermen",
        "Simon & Garfunkel",
        "Simon",
        "Garfunkel",
        "DJ A",
        "MC B",
      ]),
    );
    expect(got.map((a) => a.toLowerCase())).not.toContain("various artists");
    expect(got.map((a) => a.toLowerCase())).not.toContain("unknown artist");
    // Each once.
    expect(new Set(got.map((a) => a.toLowerCase())).size).toBe(got.length);
  });
});

describe("a subset index", () => {
  const jazz = join(DIR, "jazz.sqlite");
  beforeAll(async () => {
    await buildIndex({ releases: RELEASES, masters: MASTERS, out: jazz, subset: { genres: ["Jazz"] } });
  });

  it("holds only what the subset keeps, and says so in its info", async () => {
    const kept = bodies(jazz);
    expect(kept.length).toBeGreaterThan(20);
    expect(kept.length).toBeLessThan(810);
    expect(kept.every((r) => (r.genres as string[]).includes("Jazz"))).toBe(true);
    const index = openIndexSource(jazz);
    try {
      const info = index.info(Date.parse("2026-12-05T00:00:00Z"));
      expect(info).toMatchObject({ releases: kept.length, recordsRead: 810, subset: "genres Jazz" });
      // No date in the file name: the newest record's date, said to be a lower bound.
      expect(info.dumpDateSource).toBe("records");
      expect(info.dumpDate! >= "2019-01-01" && info.dumpDate! <= "2026-12-05").toBe(true);
      expect(index.subset).toBe("genres Jazz");
      // Only the masters of kept releases stay (the sample's masters dump holds none of them: all go).
      expect(info.masters).toBeLessThan(1000);
      const db = new Database(jazz, { readonly: true });
      const orphans = db
        .prepare(
          "SELECT COUNT(*) n FROM masters m WHERE NOT EXISTS (SELECT 1 FROM releases r WHERE r.master_id = m.id)",
        )
        .get() as { n: number };
      db.close();
      expect(orphans.n).toBe(0);
    } finally {
      index.dispose();
    }
  });

  it("starts again rather than resume when the subset changed", async () => {
    const out = join(DIR, "change.sqlite");
    await buildIndex({ releases: RELEASES, out, subset: { since: 2015 } });
    const again = await buildIndex({ releases: RELEASES, out, subset: { since: 2010 } });
    expect(again.resumedFrom).toBe(0);
    expect(bodies(out).every((r) => !r.year || Number(r.year) >= 2010)).toBe(true);
  });

  it("says in the answer's warnings that a miss may be the subset's, so the API can be tried", async () => {
    const e = createEnricher({
      env: { DISCOGS_INDEX_PATH: jazz, METADATA_MODE: "fast", METADATA_CACHE_ENABLED: "false" },
    });
    try {
      const r = await e.enrich({ filename: "The Persuader - Östermalm.mp3" });
      const w = r.warnings.find((x) => x.code === "subset-index-miss");
      expect(w?.message).toMatch(/holds only a subset of Discogs \(genres Jazz\): the API may know/);
      const stage = r.diagnostics.stages.find((s) => s.stage === "discogs")!;
      expect(stage.outcome).toBe("miss");
      expect(stage.reason).toMatch(/subset/);
    } finally {
      await e.dispose();
    }
  });
});

describe("discmeta index build with a subset, and info", () => {
  const io = (env: Record<string, string> = {}) =>
    captureCli({ DISCMETA_CACHE_DIR: join(DIR, "cache"), ...env });

  it("builds from the filters given and prints what it kept", async () => {
    const out = join(DIR, "cli.sqlite");
    const b = io();
    const code = await runCli(
      [
        "index",
        "build",
        "--releases",
        RELEASES,
        "--out",
        out,
        "--genres",
        "Electronic, Rock",
        "--formats",
        "Vinyl",
        "--since",
        "1990",
        "-q",
      ],
      b.io,
    );
    expect(code).toBe(0);
    expect(b.out()).toMatch(/\d+ releases \(kept of 810 read\)/);
    for (const r of bodies(out)) {
      expect((r.genres as string[]).some((g) => g === "Electronic" || g === "Rock")).toBe(true);
      expect(names(r.formats)).toContain("Vinyl");
    }
    const i = io();
    expect(await runCli(["index", "info", out], i.io)).toBe(0);
    expect(i.out()).toMatch(/subset:\s+genres Electronic, Rock; formats Vinyl; since 1990/);
    expect(i.out()).toMatch(/releases:\s+\d+ \(of 810 in the dump\)/);
    expect(i.out()).toMatch(/from its newest record: the dump is at least this new/);
    expect(i.out()).toMatch(/bytes per release/);
    expect(i.out()).toMatch(/schema:\s+version \d+/);
    expect(i.out()).toMatch(/words:\s+every word of a search is required/);
  });

  it("keeps the artists a music folder names", async () => {
    requireFfmpeg();
    const music = join(DIR, "music");
    mkdirSync(join(music, "Lord Vicar - Fear No Pain (2008)"), { recursive: true });
    makeAudio(music, "whatever", "mp3 (ID3v2.4)", { artist: "The Persuader", title: "Östermalm" });
    makeAudio(join(music, "Lord Vicar - Fear No Pain (2008)"), "01 Down The Nails", "flac");
    const out = join(DIR, "artists.sqlite");
    const b = io();
    expect(
      await runCli(
        ["index", "build", "--releases", RELEASES, "--out", out, "--artists-from", music, "-q"],
        b.io,
      ),
    ).toBe(0);
    expect(b.err()).toMatch(/keeping the releases of \d+ artists found in 2 files/);
    const kept = bodies(out);
    expect(kept.length).toBeGreaterThanOrEqual(7);
    for (const r of kept) {
      const credited = [
        ...names(r.artists),
        ...names(r.extraartists),
        ...((r.tracklist as { artists?: unknown }[]) ?? []).flatMap((t) => names(t.artists)),
      ].map(artistKey);
      expect(credited.some((a) => a === artistKey("Persuader") || a === artistKey("Lord Vicar"))).toBe(true);
    }
    const i = io();
    expect(await runCli(["index", "info", out], i.io)).toBe(0);
    expect(i.out()).toMatch(/subset:\s+\d+ artists of a music folder/);
  });

  it("refuses bad subset options clearly", async () => {
    for (const [args, message] of [
      [["--since", "90s"], /--since must be a year/],
      [["--genres", " , "], /--genres needs a comma-separated list/],
      [["--artists-from", join(DIR, "nowhere")], /is not a folder/],
      [["--artists-from", emptyFolder()], /no audio files under/],
    ] as const) {
      const c = io();
      expect(
        await runCli(
          ["index", "build", "--releases", RELEASES, "--out", join(DIR, "bad.sqlite"), ...args],
          c.io,
        ),
      ).toBe(2);
      expect(c.err()).toMatch(message);
    }
  });

  it("info with no argument reads the configured, else the default, else the bundled sample's index", async () => {
    const empty = io({ DISCMETA_CACHE_DIR: join(DIR, "fresh-cache") });
    expect(await runCli(["index", "info"], empty.io)).toBe(0);
    expect(empty.out()).toMatch(/\(the bundled 810-release sample\)/);
    const configured = io({ DISCOGS_INDEX_PATH: jazzPath() });
    expect(await runCli(["index", "info"], configured.io)).toBe(0);
    expect(configured.out()).toMatch(/\(DISCOGS_INDEX_PATH\)/);
    const missing = io({ DISCOGS_INDEX_PATH: join(DIR, "gone.sqlite") });
    expect(await runCli(["index", "info"], missing.io)).toBe(2);
    expect(missing.err()).toMatch(
      /no index at .*gone\.sqlite: fetch the newest dump with `discmeta index update`/,
    );
  });
});

function emptyFolder(): string {
  const dir = join(DIR, "empty");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function jazzPath(): string {
  return join(DIR, "jazz.sqlite");
}
