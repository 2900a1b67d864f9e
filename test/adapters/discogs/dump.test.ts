import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { SaxesParser } from "saxes";
import { describe, expect, it } from "vitest";
import {
  type DumpProgress,
  type DumpRecord,
  importChunk,
  importDump,
  readRecordChunks,
} from "../../../src/adapters/discogs/dump/index.js";
import { createTextGuard, DumpSaxesParser } from "../../../src/adapters/discogs/dump/xml-records.js";
import { RawMaster, RawRelease } from "../../../src/adapters/discogs/types.js";
import { InvalidInputError } from "../../../src/core/errors.js";
import { apiSample, DUMP_DIR } from "../../helpers.js";

async function all(path: string) {
  const out = [];
  for await (const r of importDump(path)) out.push(r);
  return out;
}

describe("dump importer", () => {
  it.each([
    ["releases", 810],
    ["masters", 1000],
    ["artists", 1000],
    ["labels", 1000],
  ])("streams every %s record", async (kind, count) => {
    const records = await all(join(DUMP_DIR, `${kind}.xml.gz`));
    expect(records).toHaveLength(count);
    expect(records.every((r) => r.kind === kind)).toBe(true);
  });

  it("gives release 1 (The Persuader - Stockholm) the API's fields", async () => {
    const first = (await all(join(DUMP_DIR, "releases.xml.gz")))[0]!;
    expect(first.kind).toBe("releases");
    const r = RawRelease.parse(first.data);
    expect(r).toMatchObject({
      id: 1,
      title: "Stockholm",
      year: 1999,
      released: "1999-03-00",
      country: "Sweden",
      master_id: 1660109,
      genres: ["Electronic"],
      styles: ["Deep House"],
      status: "Accepted",
    });
    expect(r.artists?.[0]).toMatchObject({ name: "The Persuader", anv: "", join: "", id: 1 });
    expect(r.labels?.[0]).toMatchObject({ name: "Svek", catno: "SK032", id: 5 });
    expect(r.formats?.[0]).toMatchObject({ name: "Vinyl", qty: "2", descriptions: ['12"', "33 ⅓ RPM"] });
    expect(r.tracklist?.map((t) => [t.position, t.title, t.duration, t.type_])).toEqual([
      ["A", "Östermalm", "4:45", "track"],
      ["B1", "Vasastaden", "6:11", "track"],
      ["B2", "Kungsholmen", "2:49", "track"],
      ["C1", "Södermalm", "5:38", "track"],
      ["C2", "Norrmalm", "4:52", "track"],
      ["D", "Gamla Stan", "5:16", "track"],
    ]);
    expect((first as { isMainRelease: boolean }).isMainRelease).toBe(true);
  });

  it("produces every top-level key type the real API body has", async () => {
    const sample = apiSample("release-71989.json") as Record<string, unknown>;
    const first = (await all(join(DUMP_DIR, "releases.xml.gz")))[0]!.data;
    for (const key of [
      "id",
      "status",
      "year",
      "resource_url",
      "uri",
      "artists",
      "labels",
      "formats",
      "title",
      "country",
      "released",
      "genres",
      "styles",
      "tracklist",
      "extraartists",
      "identifiers",
      "videos",
      "master_id",
    ]) {
      expect(typeof first[key], key).toBe(typeof sample[key]);
    }
  });

  it("shapes masters as the API does", async () => {
    const m = (await all(join(DUMP_DIR, "masters.xml.gz")))[0]!.data;
    expect(RawMaster.parse(m)).toMatchObject({
      id: 113,
      main_release: 116925,
      title: "Moments In Time",
      year: 2002,
    });
  });

  it("gives a clear error for a truncated .gz", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-"));
    const bytes = await readFile(join(DUMP_DIR, "releases.xml.gz"));
    const path = join(dir, "releases.xml.gz");
    await writeFile(path, bytes.subarray(0, 20_000));
    const err = await all(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(
      /^dump: cannot read ".*releases\.xml\.gz": (truncated gzip stream|unexpected end of file)/,
    );
  });

  it("gives a clear error for corrupt gzip and for broken XML", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-"));
    await writeFile(join(dir, "a.xml.gz"), Buffer.from("this is not gzip at all"));
    await expect(all(join(dir, "a.xml.gz"))).rejects.toThrow(/^dump: cannot read .*a\.xml\.gz/);
    // Broken outside any record: the dump itself is unreadable.
    await writeFile(join(dir, "b.xml.gz"), gzipSync("<releases><release id='1'></release></masters>"));
    await expect(all(join(dir, "b.xml.gz"))).rejects.toThrow(InvalidInputError);
    await writeFile(join(dir, "c.xml"), "<nonsense><x/></nonsense>");
    await expect(all(join(dir, "c.xml"))).rejects.toThrow(/root element <nonsense>/);
    await expect(all(join(dir, "missing.xml"))).rejects.toThrow(/ENOENT|no such file/);
  });
});

/** Writes a gzipped dump from parts, a part repeated `times` times, without holding it whole. */
async function hostileDump(path: string, parts: [string, number][]): Promise<void> {
  const { createGzip, constants } = await import("node:zlib");
  const { createWriteStream } = await import("node:fs");
  const gz = createGzip({ level: constants.Z_BEST_SPEED });
  const done = new Promise<void>((resolve, reject) => {
    gz.pipe(createWriteStream(path)).on("finish", resolve).on("error", reject);
  });
  for (const [part, times] of parts)
    for (let i = 0; i < times; i++) if (!gz.write(part)) await new Promise((r) => gz.once("drain", r));
  gz.end();
  await done;
}

describe("hostile dumps (#24 item 8)", () => {
  const MB = "A".repeat(1 << 20);
  it("a 64 MiB title is cut at 4,096 characters, in constant memory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-hostile-"));
    const path = join(dir, "releases.xml.gz");
    await hostileDump(path, [
      ["<releases><release id='1' status='Accepted'><title>", 1],
      [MB, 64],
      [
        "</title><country>UK</country></release><release id='2' status='Accepted'><title>Fine</title></release></releases>",
        1,
      ],
    ]);
    let peak = 0;
    const base = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 5);
    const progress = { bytesRead: 0 } as Parameters<typeof importDump>[1] & object;
    const out = [];
    for await (const r of importDump(path, progress)) out.push(r);
    clearInterval(timer);
    expect(out).toHaveLength(2);
    const title = (out[0]!.data as { title: string }).title;
    expect(title.length).toBeLessThanOrEqual(4096);
    expect((out[1]!.data as { title: string }).title).toBe("Fine");
    expect(progress.truncated).toBe(1);
    // Before the guard the parser held the whole title: about 20 bytes of memory per character.
    expect(peak).toBeLessThan(150 * 1024 * 1024);
  }, 60_000);

  it("600 MB of whitespace inside a record (past V8's longest string) does not end the import", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-hostile-"));
    const path = join(dir, "releases.xml.gz");
    await hostileDump(path, [
      ["<releases><release id='7' status='Accepted'>", 1],
      [" ".repeat(1 << 20), 600],
      ["<title>After The Gap</title></release></releases>", 1],
    ]);
    const out = await all(path);
    expect(out.map((r) => (r.data as { title: string }).title)).toEqual(["After The Gap"]);
  }, 120_000);

  it("a record with broken XML is skipped, counted and named; its neighbours stay", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-hostile-"));
    const path = join(dir, "releases.xml.gz");
    await writeFile(
      path,
      gzipSync(
        "<releases><release id='1' status='Accepted'><title>One</title></release>" +
          "<release id='2' status='Accepted'><title>x</titl><notes>a</notes></release>" +
          "<release id='3' status='Accepted'><title>Three</title></release></releases>",
      ),
    );
    const progress = { bytesRead: 0 } as Parameters<typeof importDump>[1] & object;
    const out = [];
    for await (const r of importDump(path, progress)) out.push(r);
    expect(out.map((r) => (r.data as { title: string }).title)).toEqual(["One", "Three"]);
    expect(progress.skipped).toBe(1);
    expect(progress.skippedIds).toEqual(["release 2: broken XML (1:121: unexpected close tag.)"]);
  });

  it("control characters are dropped and counted; the record and its neighbours stay", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-hostile-"));
    const path = join(dir, "releases.xml.gz");
    await writeFile(
      path,
      gzipSync(
        "<releases><release id='1' status='Accepted'><title>Bell\u0007 Ring\u0001</title></release>" +
          "<release id='2' status='Accepted'><title>Next</title></release></releases>",
      ),
    );
    const progress = { bytesRead: 0 } as Parameters<typeof importDump>[1] & object;
    const out = [];
    for await (const r of importDump(path, progress)) out.push(r);
    expect(out.map((r) => (r.data as { title: string }).title)).toEqual(["Bell Ring", "Next"]);
    expect(progress.repaired).toBe(2);
  });
});

/** A dump read as the build's parsing threads read it: runs of whole records, each parsed apart. */
async function allChunked(path: string, chunkBytes = 4096, progress: DumpProgress = { bytesRead: 0 }) {
  const out: DumpRecord[] = [];
  let runs = 0;
  for await (const run of readRecordChunks(path, progress, chunkBytes)) {
    runs++;
    expect(run.bytes.length).toBeLessThan(chunkBytes + 64 * 1024 + 4 * 1024 * 1024);
    out.push(...importChunk(run.kind, run.bytes, progress));
  }
  return { out, runs, progress };
}

describe("dump runs for parsing threads", () => {
  it.each(["releases", "masters"])("gives the %s the file gives, run by run", async (kind) => {
    const path = join(DUMP_DIR, `${kind}.xml.gz`);
    const { out, runs, progress } = await allChunked(path);
    expect(runs).toBeGreaterThan(10);
    expect(out).toEqual(await all(path));
    expect(progress.bytesRead).toBeGreaterThan(0);
  });

  it("gives the same clear errors as the file reader", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-runs-"));
    const bytes = await readFile(join(DUMP_DIR, "releases.xml.gz"));
    await writeFile(join(dir, "releases.xml.gz"), bytes.subarray(0, 20_000));
    await expect(allChunked(join(dir, "releases.xml.gz"))).rejects.toThrow(
      /^dump: cannot read ".*releases\.xml\.gz": (truncated gzip stream|unexpected end of file)/,
    );
    await writeFile(join(dir, "a.xml.gz"), Buffer.from("this is not gzip at all"));
    await expect(allChunked(join(dir, "a.xml.gz"))).rejects.toThrow(/^dump: cannot read .*a\.xml\.gz/);
    await writeFile(join(dir, "b.xml.gz"), gzipSync("<releases><release id='1'></release></masters>"));
    await expect(allChunked(join(dir, "b.xml.gz"))).rejects.toThrow(/ends inside its <releases> element/);
    await writeFile(join(dir, "c.xml"), "<?xml version='1.0'?><nonsense><x/></nonsense>");
    await expect(allChunked(join(dir, "c.xml"))).rejects.toThrow(/root element <nonsense>/);
    await writeFile(join(dir, "d.xml"), " ".repeat(70_000));
    await expect(allChunked(join(dir, "d.xml"))).rejects.toThrow(/no root element/);
    await expect(allChunked(join(dir, "missing.xml"))).rejects.toThrow(/ENOENT|no such file/);
  });

  it("skips and names a broken record, and counts repaired characters, as the file reader does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-runs-"));
    const path = join(dir, "releases.xml.gz");
    await writeFile(
      path,
      gzipSync(
        "<releases><release id='1' status='Accepted'><title>One\u0007</title></release>" +
          "<release id='2' status='Accepted'><title>x</titl><notes>a</notes></release>" +
          "<release id='3' status='Accepted'><title>Three</title></release></releases>",
      ),
    );
    const { out, progress } = await allChunked(path, 16);
    expect(out.map((r) => (r.data as { title: string }).title)).toEqual(["One", "Three"]);
    expect(progress.skipped).toBe(1);
    expect(progress.skippedIds).toEqual([expect.stringMatching(/^release 2: broken XML/)]);
    expect(progress.repaired).toBe(1);
  });

  it("a 64 MiB title, or 600 MB of whitespace, in a record is cut, in bounded memory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dump-runs-"));
    const path = join(dir, "releases.xml.gz");
    // Multi-byte characters and an entity at the cut: the run is cut on a character.
    const MB = "é€A&amp;".repeat(1 << 17);
    await hostileDump(path, [
      ["<releases><release id='1' status='Accepted'><title>", 1],
      [MB, 64],
      ["</title><country>UK</country></release><release id='7' status='Accepted'>", 1],
      [" ".repeat(1 << 20), 600],
      ["<title>After The Gap</title></release></releases>", 1],
    ]);
    let peak = 0;
    const base = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 5);
    const { out, progress } = await allChunked(path, 96 * 1024);
    clearInterval(timer);
    expect(out).toHaveLength(2);
    const title = (out[0]!.data as { title: string }).title;
    expect(title.length).toBeLessThanOrEqual(4096);
    expect(title.startsWith("é€A&é€A&")).toBe(true);
    expect((out[0]!.data as { country: string }).country).toBe("UK");
    expect((out[1]!.data as { title: string }).title).toBe("After The Gap");
    // Two text runs cut: the title, and the whitespace (as the file reader counts them).
    expect(progress.truncated).toBe(2);
    expect(peak).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);
});

describe("text guard", () => {
  // Runs of text at, under and past MAX_TEXT (4096), tags, entities and multi-byte characters.
  const text = [
    "<a>",
    "x".repeat(4096),
    "</a><b k='v'>",
    "é".repeat(4091),
    "&amp;",
    "</b><c>",
    "y".repeat(5000),
    "&amp;z</c><d/>",
    "w".repeat(100),
    "</d>",
  ].join("");

  it("cuts a run inside an entity before the entity, when nothing after it in the piece ends it", () => {
    // (The cut happens in the piece where the run passes MAX_TEXT; a half entity a piece before it has
    // gone on already: the record then breaks and is skipped, as the file reader always did.)
    const progress: DumpProgress = { bytesRead: 0 };
    const out = createTextGuard(progress)(`<e>${"v".repeat(4094)}&amp</e><f>&amp;</f>`);
    expect(out).toBe(`<e>${"v".repeat(4094)}</e><f>&amp;</f>`);
    expect(progress.truncated).toBe(1);
    // And with no ";" anywhere after it.
    expect(createTextGuard()(`<e>${"v".repeat(4094)}&amp</e>`)).toBe(`<e>${"v".repeat(4094)}</e>`);
  });

  it("gives the same text, and counts the same cuts, whatever the pieces it is fed in", () => {
    const whole: DumpProgress = { bytesRead: 0 };
    const once = createTextGuard(whole)(text);
    expect(whole.truncated).toBe(1);
    expect(once).toContain(`<a>${"x".repeat(4096)}</a>`);
    expect(once).toContain(`<c>${"y".repeat(4096)}</c>`);
    for (const size of [1, 7, 1000, 4096, 16 * 1024]) {
      const progress: DumpProgress = { bytesRead: 0 };
      const guard = createTextGuard(progress);
      let out = "";
      for (let at = 0; at < text.length; at += size) out += guard(text.slice(at, at + size));
      expect(out).toBe(once);
      expect(progress.truncated).toBe(1);
    }
  });
});

describe("the dump's XML parser", () => {
  /** Every element of a text, as stock saxes 6.0.0 gives it: name, attributes, text; depth first. */
  function elements(parser: SaxesParser, xml: string): string[] {
    const out: string[] = [];
    parser.on("opentag", (t) => out.push(`<${t.name} ${JSON.stringify({ ...t.attributes })}`));
    parser.on("text", (t) => out.push(t));
    parser.on("closetag", (t) => out.push(`</${t.name}`));
    parser.write(xml).close();
    return out;
  }

  it.each(["releases", "masters", "artists", "labels"])(
    "gives every element of the %s sample as stock saxes does",
    async (kind) => {
      const xml = gunzipSync(await readFile(join(DUMP_DIR, `${kind}.xml.gz`))).toString("utf8");
      const ours = elements(new DumpSaxesParser(), xml);
      expect(ours.length).toBeGreaterThan(10_000);
      expect(ours).toEqual(elements(new SaxesParser(), xml));
    },
  );

  it("keeps odd attribute names as attributes, fails on a duplicate, and shares no written object", () => {
    const xml = `<r><a __proto__="x" constructor="y" toString="z"/><b/><c id="1" id="2"/></r>`;
    const seen: Record<string, Record<string, string>> = {};
    const errors: string[] = [];
    const parser = new DumpSaxesParser();
    parser.on("opentag", (t) => (seen[t.name] = t.attributes as Record<string, string>));
    parser.on("error", (e) => errors.push(e.message));
    parser.write(xml).close();
    expect(Object.entries(seen.a!)).toEqual([
      ["__proto__", "x"],
      ["constructor", "y"],
      ["toString", "z"],
    ]);
    expect(Object.keys(seen.b!)).toEqual([]);
    expect(Object.isFrozen(seen.b)).toBe(true);
    expect(errors.join(" ")).toMatch(/duplicate attribute: id/);
  });
});
