import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel } from "node:worker_threads";
import { gunzipSync, gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Compressor } from "zstd-napi";
import { toRelease, toSearchHit } from "../../../src/adapters/discogs/convert.js";
import { importDump } from "../../../src/adapters/discogs/dump/index.js";
import { slug } from "../../../src/adapters/discogs/dump/to-api.js";
import { buildIndex } from "../../../src/adapters/discogs/index/build.js";
import {
  createCodec,
  headBytes,
  headEndOf,
  packMaster,
  packRelease,
  trainDictionary,
  unpackMaster,
  unpackRelease,
  unpackReleaseHead,
} from "../../../src/adapters/discogs/index/codec.js";
import {
  asciiTokens,
  docFields,
  INDEXED_FIELDS,
  indexFields,
  type Json,
  tokens,
} from "../../../src/adapters/discogs/index/fields.js";
import {
  type PreparedChunk,
  prepareChunk,
  prepareRelease,
} from "../../../src/adapters/discogs/index/prepare.js";
import { searchHitOf, searchRowOf } from "../../../src/adapters/discogs/index/rows.js";
import {
  docId,
  hash31,
  releaseOfDoc,
  videoKey,
  wordBit,
  wordBits,
} from "../../../src/adapters/discogs/index/schema.js";
import { openIndexSource } from "../../../src/adapters/discogs/index/source.js";
import { TextRing } from "../../../src/adapters/discogs/index/text-ring.js";
import { RawRelease, type RawSearchResult } from "../../../src/adapters/discogs/types.js";
import { DUMP_DIR } from "../../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-codec-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const RELEASES = join(DUMP_DIR, "releases.xml.gz");

let sample: Json[] = [];
beforeAll(async () => {
  for await (const rec of importDump(RELEASES)) if (rec.kind === "releases") sample.push(rec.data);
  sample = sample.slice(0, 400);
});

/** A converted release with its credits' ids blanked (the index keeps none). */
function converted(body: Json) {
  const r = toRelease(RawRelease.parse({ ...body, images: [] }));
  return JSON.parse(JSON.stringify(r).replace(/"id":\d+,"name"/g, '"id":null,"name"'));
}

describe("index record codec", () => {
  it("gives back every release as the converters read it, smaller than a tenth of its JSON", () => {
    const codec = createCodec(trainDictionary(sample.slice(0, 100).map(packRelease)));
    let json = 0;
    let stored = 0;
    for (const body of sample) {
      const blob = codec.encode(packRelease(body));
      json += JSON.stringify(body).length;
      stored += blob.length;
      const back = unpackRelease(Number(body.id), Number(body.master_id) || null, codec.decode(blob));
      const again = toRelease(RawRelease.parse(back));
      expect(JSON.parse(JSON.stringify(again))).toEqual(converted(body));
    }
    expect(stored / json).toBeLessThan(0.1);
  });

  it("keeps what is unusual: an address of its own, a status, headings, index tracks, a format's text", () => {
    const codec = createCodec(Buffer.alloc(0));
    const body: Json = {
      id: 7,
      title: "Suite",
      uri: "https://example.org/release/7",
      status: "Draft",
      artists: [{ name: "A", anv: "Ay", join: "&" }, { name: "B" }],
      formats: [{ name: "Vinyl", qty: "2", descriptions: ["LP"], text: "Red" }],
      tracklist: [
        { position: "", type_: "heading", title: "Side A", duration: "" },
        {
          position: "A1",
          type_: "index",
          title: "Suite",
          duration: "",
          sub_tracks: [{ position: "A1a", type_: "track", title: "Part", duration: "1:00" }],
        },
      ],
      extraartists: [{ name: "C", role: "Producer", tracks: "A1" }],
    };
    const back = unpackRelease(7, null, codec.decode(codec.encode(packRelease(body))));
    expect(back).toMatchObject({
      uri: "https://example.org/release/7",
      status: "Draft",
      formats: [{ name: "Vinyl", qty: "2", descriptions: ["LP"], text: "Red" }],
      extraartists: [{ name: "C", role: "Producer", tracks: "A1" }],
    });
    expect((back.tracklist as Json[]).map((t) => t.type_)).toEqual(["heading", "index"]);
    expect(((back.tracklist as Json[])[1]!.sub_tracks as Json[])[0]).toMatchObject({ title: "Part" });
    const master = unpackMaster(3, packMaster({ title: "M", year: 1999, main_release: 7, genres: ["Jazz"] }));
    expect(master).toMatchObject({ id: 3, title: "M", year: 1999, main_release: 7, genres: ["Jazz"] });
  });

  it("keeps the words docFields gives for every indexed field, and the release's own artists apart", () => {
    let withTrackArtists = 0;
    for (const body of sample) {
      const full = docFields(body);
      const lean = indexFields(body);
      for (const name of INDEXED_FIELDS)
        expect([...lean.fields[name]].sort()).toEqual([...full.fields[name]].sort());
      expect(lean.compactCatno).toEqual(full.compactCatno);
      expect(lean.compactBarcode).toEqual(full.compactBarcode);
      expect(lean.titleTokens).toBe(full.titleTokens);
      const own = (body.artists as { name: string; anv?: string }[]).flatMap((a) =>
        tokens(`${a.name.replace(/\s*\(\d+\)$/, "")} ${a.anv ?? ""}`),
      );
      expect(lean.ownArtistWords).toEqual([...new Set(own)]);
      if (lean.fields.artist.size > new Set(own).size) withTrackArtists++;
    }
    // The sample holds compilations, whose tracks' artists are words of the artist field too.
    expect(withTrackArtists).toBeGreaterThan(10);
  });

  it("reads a search row from a record's head alone, the same row as from the whole record", () => {
    const codec = createCodec(trainDictionary(sample.slice(0, 50).map(packRelease)));
    let split = 0;
    let whole = 0;
    let parts = 0;
    for (const body of sample) {
      const id = Number(body.id);
      const packed = packRelease(body);
      const json = JSON.stringify(packed);
      const record = codec.encodeRecord(json, headEndOf(packed, json));
      if (record.tail) {
        split++;
        whole += codec.encode(packed).length;
        parts += record.body.length + record.tail.length;
      }
      const stored = codec.decode(record.body, record.tail);
      expect(stored).toEqual(JSON.parse(json));
      const head = unpackReleaseHead(id, 7, codec.decodeHead(record.body, record.tail !== null));
      expect(head.tracklist).toBeUndefined();
      expect(searchRowOf("release", id, head)).toEqual(
        searchRowOf("release", id, unpackRelease(id, 7, stored)),
      );
    }
    // Long records (one in eight) keep their tail apart, for a few bytes each: the tail is its own
    // frame, which does not reach back into its head (about 5% more for these records).
    expect(split).toBeGreaterThan(sample.length / 20);
    expect(split).toBeLessThan(sample.length / 4);
    expect(parts / whole).toBeLessThan(1.07);
  });

  it("reads a whole record's head alone, and all of it when the head needs more", () => {
    const codec = createCodec(Buffer.alloc(0));
    const body: Json = {
      id: 9,
      title: 'Tricky, "quoted" [title] {x}',
      artists: [{ id: 1, name: "A, B", anv: "", join: "," }],
      year: 2001,
      released: "2001-02-03",
      country: "UK",
      labels: [{ name: "L]", catno: "C,1" }],
      formats: [{ name: "Vinyl", qty: "1", descriptions: ['12"'] }],
      genres: ["Electronic"],
      styles: ["House"],
      tracklist: [{ position: "A", title: "One, two", duration: "5:00" }],
    };
    const json = JSON.stringify(packRelease(body));
    const bytes = Buffer.from(json);
    const end = headBytes(bytes);
    // The head is the first nine fields; their strings' commas and brackets do not count.
    expect(JSON.parse(`${json.slice(0, end)}]`)).toEqual(packRelease(body).slice(0, 9));
    const record = codec.encodeRecord(json, 0);
    expect(record.tail).toBeNull();
    expect(codec.decodeHead(record.body, false)).toHaveLength(9);
    expect(unpackReleaseHead(9, null, codec.decodeHead(record.body, false))).toEqual(
      unpackReleaseHead(9, null, codec.decode(record.body)),
    );
    // Community counts (an API body's) are in the head: such a record is read whole.
    const counted = JSON.stringify(packRelease({ ...body, community: { have: 5, want: 2 } }));
    expect(headBytes(Buffer.from(counted))).toBe(0);
    const head = unpackReleaseHead(9, null, codec.decodeHead(codec.encodeRecord(counted, 0).body, false));
    expect(head.community).toEqual({ have: 5, want: 2 });
    // A short record (no tracklist and nothing after) has no head of its own.
    expect(headBytes(Buffer.from(JSON.stringify(["t", [], 0])))).toBe(0);
  });

  it("builds a search hit from a body, the hit the API's row for it converts to", () => {
    const viaRow = (
      kind: "release" | "master",
      id: number,
      body: Json,
      facts?: Parameters<typeof searchHitOf>[3],
    ) => toSearchHit(searchRowOf(kind, id, body, facts) as RawSearchResult);
    for (const body of sample) {
      const id = Number(body.id);
      expect(searchHitOf("release", id, body)).toEqual(viaRow("release", id, body));
      const facts = { title: `${String(body.title)} (Master)`, year: Number(body.year) || 0, have: 3 };
      expect(searchHitOf("master", 99, body, facts)).toEqual(viaRow("master", 99, body, facts));
    }
    // A name with " - " in it is split where Discogs' joined "Artist - Title" splits.
    const odd = { ...sample[0]!, artists: [{ name: "A - B", anv: "", join: "" }], title: "T" };
    expect(searchHitOf("release", 1, odd)).toMatchObject({ artist: "A", title: "B - T" });
    expect(searchHitOf("release", 1, odd)).toEqual(viaRow("release", 1, odd));
  });

  it("ranks documents by prior in the rowid and gets the release back; masks answer 'no' exactly", () => {
    expect(docId(5, true, 3)).toBeLessThan(docId(4, true, 2));
    expect(docId(4, true, -1)).toBeLessThan(docId(3, false, 3));
    for (const [main, q] of [
      [true, 3],
      [false, -1],
      [false, 9],
    ] as const)
      expect(releaseOfDoc(docId(35_000_000, main, q))).toBe(35_000_000);
    const bits = wordBits(["stockholm", "persuader"]);
    expect(bits & wordBit("stockholm")).not.toBe(0);
    expect(bits).toBeLessThan(2 ** 31);
    expect(hash31("a b")).not.toBe(hash31("b a"));
  });

  it("splits ASCII text into the words Unicode folding gives", () => {
    const cases = [
      "AC/DC & The Who's 'Live' (1999)",
      "Blue Six - Pure (Naked Music NYC)",
      "DJ-Rasoul_2 ft. X",
    ];
    for (const text of cases) {
      // A trailing non-ASCII word takes the Unicode path for the same text.
      expect([...tokens(text), "e"]).toEqual(tokens(`${text} é`));
    }
    expect(tokens("AC/DC & The Who's")).toEqual(["ac", "dc", "and", "the", "whos"]);
    expect(tokens("rock 'n' roll && R&B'")).toEqual(["rock", "n", "roll", "and", "and", "r", "and", "b"]);
    expect(tokens("'")).toEqual([]);
    expect(tokens("Beyoncé’s Œuvre")).toEqual(["beyonces", "œuvre"]);
  });

  it("splits and slugs every ASCII text of the sample dump as the Unicode path does", () => {
    const texts = new Set<string>();
    const walk = (v: unknown): void => {
      if (typeof v === "string") texts.add(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    sample.forEach(walk);
    let ascii = 0;
    for (const text of texts) {
      if (/[^\x20-\x7e]/.test(text)) continue;
      ascii++;
      expect([...asciiTokens(text), "e"]).toEqual(tokens(`${text} é`));
      // The same for a slug (an address), whose ASCII path skips normalization too.
      expect(slug(`${text} é`)).toBe(slug(text) ? `${slug(text)}-e` : "e");
    }
    expect(ascii).toBeGreaterThan(10_000);
  });

  it("keys a YouTube id by the 8 bytes it encodes, and anything else by its text", () => {
    const key = videoKey("dQw4w9WgXcQ");
    expect(Buffer.isBuffer(key) && key.length).toBe(8);
    expect((key as Buffer).toString("base64url")).toBe("dQw4w9WgXcQ");
    expect(videoKey("-_AAAAAAAAA")).toEqual(Buffer.from("-_AAAAAAAAA", "base64url"));
    // The last character carries four bits: one that needs six is not a YouTube id's, and stays text.
    expect(videoKey("dQw4w9WgXcR")).toBe("dQw4w9WgXcR");
    expect(videoKey("short")).toBe("short");
    expect(videoKey("dQw4w9WgXc=")).toBe("dQw4w9WgXc=");
  });
});

describe("index build, corrections and threads", () => {
  it("a correction replaces a release whole: its old words no longer find it", async () => {
    const out = join(DIR, "corrected.sqlite");
    const first = sample[0]!;
    await buildIndex({
      releases: RELEASES,
      out,
      extraReleases: [{ ...first, title: "Zyxwv Corrected", _main_release: false }],
    });
    const index = openIndexSource(out);
    try {
      expect((await index.getRelease(Number(first.id))).title).toBe("Zyxwv Corrected");
      const hits = await index.search({ release_title: "Zyxwv Corrected", type: "release" });
      expect(hits.map((h) => h.id)).toEqual([Number(first.id)]);
      const old = await index.search({ release_title: String(first.title), type: "release", per_page: 100 });
      expect(old.map((h) => h.id)).not.toContain(Number(first.id));
      await expect(index.search({ country: "US" })).rejects.toThrow(/does not search by country/);
    } finally {
      index.dispose();
    }
  });

  it("a correction's catalogue number replaces the old one, and the build's load tables are gone", async () => {
    const out = join(DIR, "corrected-catno.sqlite");
    const first = sample.find(
      (r) => ((r.labels as { catno?: string }[] | undefined)?.[0]?.catno ?? "") !== "",
    )!;
    const oldCatno = (first.labels as { catno: string }[])[0]!.catno;
    const labels = (first.labels as Json[]).map((l) => ({ ...l, catno: "ZQX 4242" }));
    await buildIndex({
      releases: RELEASES,
      out,
      extraReleases: [{ ...first, labels, _main_release: false }],
    });
    const index = openIndexSource(out);
    try {
      const found = await index.search({ catno: "ZQX4242", type: "release" });
      expect(found.map((h) => h.id)).toEqual([Number(first.id)]);
      const old = await index.search({ catno: oldCatno, type: "release", per_page: 100 });
      expect(old.map((h) => h.id)).not.toContain(Number(first.id));
    } finally {
      index.dispose();
    }
    const db = new Database(out, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE '%load%'").all();
      expect(tables).toEqual([]);
      const idents = db.prepare("SELECT COUNT(*) n FROM idents").get() as { n: number };
      expect(idents.n).toBeGreaterThan(sample.length / 2);
    } finally {
      db.close();
    }
  });

  it("a dump out of id order that lists a release twice keeps its last version only", async () => {
    const record = (id: number, title: string, catno: string) =>
      `<release id="${id}" status="Accepted"><artists><artist><id>9</id><name>Twice Artist</name></artist></artists><title>${title}</title><labels><label name="Label" catno="${catno}" id="1"/></labels><formats><format name="Vinyl" qty="1" text=""/></formats><genres><genre>Jazz</genre></genres><country>UK</country><released>1999</released><data_quality>Correct</data_quality><tracklist><track><position>A</position><title>Song</title><duration>3:00</duration></track></tracklist></release>`;
    // 7 comes after 9, so its second version is past no id; 9's second version follows a lower one.
    const xml = [
      "<releases>",
      record(9, "Qwertz First", "QWZ 1"),
      record(7, "Other", "OTH 1"),
      record(9, "Qwertz Second", "QWZ 2"),
      record(7, "Other Again", "OTH 2"),
      "</releases>",
    ];
    const dump = join(DIR, "twice-releases.xml.gz");
    writeFileSync(dump, gzipSync(xml.join("\n")));
    const built = await buildIndex({ releases: dump, out: join(DIR, "twice.sqlite") });
    const index = openIndexSource(built.out);
    try {
      expect((await index.getRelease(9)).title).toBe("Qwertz Second");
      expect((await index.getRelease(7)).title).toBe("Other Again");
      const first = await index.search({ release_title: "Qwertz First", type: "release" });
      expect(first.map((h) => h.id)).toEqual([]);
      const artist = await index.search({ artist: "Twice Artist", type: "release", per_page: 10 });
      expect(artist.map((h) => h.id).sort()).toEqual([7, 9]);
      const oldCatno = await index.search({ catno: "QWZ1", type: "release" });
      expect(oldCatno).toEqual([]);
      const newCatno = await index.search({ catno: "OTH2", type: "release" });
      expect(newCatno.map((h) => h.id)).toEqual([7]);
    } finally {
      index.dispose();
    }
  });

  it("builds the same index on one thread as on two, record for record", async () => {
    const masters = join(DUMP_DIR, "masters.xml.gz");
    const one = await buildIndex({
      releases: RELEASES,
      masters,
      out: join(DIR, "one.sqlite"),
      threads: false,
    });
    const two = await buildIndex({ releases: RELEASES, masters, out: join(DIR, "two.sqlite") });
    expect({ ...one, out: "", seconds: 0 }).toEqual({ ...two, out: "", seconds: 0 });
    // The parsing threads compress the records and hand them back in one buffer a run: same bytes.
    const stored = (path: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return [
          db.prepare("SELECT id, body, tail FROM bodies ORDER BY id").all(),
          db.prepare("SELECT id, body FROM masters ORDER BY id").all(),
        ];
      } finally {
        db.close();
      }
    };
    const [bodies, masterBodies] = stored(one.out);
    expect(bodies).toHaveLength(810);
    expect(masterBodies).toHaveLength(1000);
    expect(stored(two.out)).toEqual([bodies, masterBodies]);
    const a = openIndexSource(one.out);
    const b = openIndexSource(two.out);
    try {
      const q = { artist: "Persuader", per_page: 50 };
      expect(await a.search(q)).toEqual(await b.search(q));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("a sink compresses records into a few shared buffers, byte for byte as the codec does", () => {
    const codec = createCodec(trainDictionary(sample.slice(0, 50).map((r) => packRelease(r))));
    const sink = codec.sink(4096);
    const rows = sample.map((r) => prepareRelease(r, false)!).filter(Boolean);
    expect(rows.some((r) => r.headEnd > 0)).toBe(true);
    const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString("hex") : null);
    // The stored format: zstd-napi's own Compressor at level 7, without dictionary id or checksum,
    // over the same dictionary, its frame's magic number left out.
    const stock = new Compressor();
    stock.setParameters({ compressionLevel: 7, dictIDFlag: false, checksumFlag: false });
    stock.loadDictionary(codec.dictionary);
    const framed = (text: string) => hex(stock.compress(Buffer.from(text)).subarray(4));
    for (const row of rows) {
      expect(hex(codec.encodeText(row.packed))).toBe(framed(row.packed));
      const own = codec.encodeRecord(row.packed, row.headEnd);
      const shared = sink.encodeRecord(row.packed, row.headEnd);
      expect([hex(shared.body), hex(shared.tail)]).toEqual([hex(own.body), hex(own.tail)]);
      for (const view of [shared.body, shared.tail]) if (view) expect(sink.buffers).toContain(view.buffer);
      expect(codec.decode(Buffer.from(shared.body), shared.tail && Buffer.from(shared.tail))).toEqual(
        JSON.parse(row.packed),
      );
    }
    // A few records to a 16 KiB buffer (the least), not a buffer each.
    expect(sink.buffers.length).toBeLessThan(rows.length / 10);
    // A record larger than a buffer gets one of its own; text of four-byte characters fits too.
    const long = JSON.stringify(["𝄞".repeat(20_000), "x".repeat(30_000)]);
    const big = sink.encodeText(long);
    expect(big.buffer.byteLength).toBeGreaterThan(16 * 1024);
    expect(codec.decode(Buffer.from(big))).toEqual(JSON.parse(long));
    expect(hex(sink.encodeText("[1]"))).toBe(hex(codec.encodeText("[1]")));
  });

  it("a run's records are views of the buffers the parsing thread hands over", async () => {
    const codec = createCodec(trainDictionary(sample.slice(0, 50).map((r) => packRelease(r))));
    // A run is the records inside the root element, as the inserting thread cuts them.
    const text = gunzipSync(readFileSync(RELEASES));
    const xml = text.subarray(text.indexOf("<release "), text.lastIndexOf("</releases>"));
    const hygiene = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 };
    const chunk = prepareChunk("releases", xml, undefined, hygiene, codec);
    expect(chunk.releases.length).toBeGreaterThan(100);
    const owned = new Set(chunk.buffers);
    for (const r of chunk.releases) {
      expect(owned.has(r.body.buffer as ArrayBuffer)).toBe(true);
      if (r.tail) expect(owned.has(r.tail.buffer as ArrayBuffer)).toBe(true);
    }
    // Posted as the build posts it: the records arrive whole and the buffers are moved, not copied.
    const { port1, port2 } = new MessageChannel();
    try {
      const received = new Promise<PreparedChunk>((resolve) => port2.once("message", resolve));
      port1.postMessage(chunk, chunk.buffers);
      const got = await received;
      expect(chunk.buffers.every((b) => b.byteLength === 0)).toBe(true);
      const first = got.releases[0]!;
      expect(
        Number(
          unpackRelease(
            first.id,
            first.masterId,
            codec.decode(Buffer.from(first.body), first.tail && Buffer.from(first.tail)),
          ).id,
        ),
      ).toBe(first.id);
    } finally {
      port1.close();
    }
  });

  it("resumes on several threads a build one thread began, mid-run, to the same index", async () => {
    const out = join(DIR, "mixed.sqlite");
    const controller = new AbortController();
    await expect(
      buildIndex({
        releases: RELEASES,
        out,
        threads: false,
        batchSize: 70,
        progressIntervalMs: 0,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.records >= 280) controller.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    // 280 records committed: the parsing threads' runs are cut elsewhere, so one run is half done.
    const resumed = await buildIndex({ releases: RELEASES, out });
    expect(resumed.resumedFrom).toBe(280);
    const whole = await buildIndex({ releases: RELEASES, out: join(DIR, "whole.sqlite"), threads: false });
    expect({ ...resumed, out: "", seconds: 0, resumedFrom: 0 }).toEqual({ ...whole, out: "", seconds: 0 });
    const a = openIndexSource(resumed.out);
    const b = openIndexSource(whole.out);
    try {
      for (const q of [{ artist: "Persuader" }, { q: "love" }, { genre: "Jazz", per_page: 100 }])
        expect(await a.search(q)).toEqual(await b.search(q));
      for (const id of [1, 2, sample.at(-1)!.id as number])
        expect(await a.getRelease(id)).toEqual(await b.getRelease(id));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("a name shared by more releases than a search reads: its best releases first, masters by their best version", async () => {
    // 600 releases by one artist: half of them "Correct", one its master's main release (the highest
    // id of all), a few other versions of masters of their own.
    const xml = ["<releases>"];
    for (let i = 1; i <= 600; i++) {
      const master =
        i === 600
          ? '<master_id is_main_release="true">9000</master_id>'
          : i % 50 === 0
            ? `<master_id is_main_release="false">${1000 + i}</master_id>`
            : "";
      xml.push(
        `<release id="${i}" status="Accepted"><artists><artist><id>9</id><name>Common Artist</name></artist></artists><title>Record ${i}</title><labels><label name="Label" catno="L ${i}" id="1"/></labels><formats><format name="Vinyl" qty="1" text=""/></formats><genres><genre>Jazz</genre></genres><country>UK</country><released>${1960 + (i % 40)}</released><data_quality>${i % 2 === 0 ? "Correct" : "Needs Vote"}</data_quality>${master}<tracklist><track><position>A</position><title>Song ${i}</title><duration>3:00</duration></track></tracklist></release>`,
      );
    }
    xml.push("</releases>");
    const dump = join(DIR, "common-releases.xml.gz");
    writeFileSync(dump, gzipSync(xml.join("\n")));
    const built = await buildIndex({ releases: dump, out: join(DIR, "common.sqlite") });
    const index = openIndexSource(built.out);
    try {
      const hits = await index.search({ artist: "Common Artist", per_page: 50 });
      expect(hits).toHaveLength(50);
      // The master whose version is a main release first, though its id is the highest.
      expect(hits[0]).toMatchObject({ kind: "master", id: 9000, title: "Record 600" });
      // The others follow, all masters ahead of releases (a search reads the best 250 of the 600).
      const kinds = hits.map((h) => h.kind);
      expect(kinds.lastIndexOf("master")).toBeLessThan(kinds.indexOf("release"));
      expect(kinds.filter((k) => k === "master").length).toBeGreaterThanOrEqual(10);
      // The releases: the main release, then "Correct" ones only, oldest first.
      const releases = hits.filter((h) => h.kind === "release");
      expect(releases[0]?.id).toBe(600);
      expect(releases.slice(1).every((h) => h.id % 2 === 0)).toBe(true);
      const years = releases.slice(1).map((h) => h.year ?? 0);
      expect(years).toEqual([...years].sort((a, b) => a - b));
    } finally {
      index.dispose();
    }
  });

  it("a repeated search answers from kept rows, the same as the first time, and each caller owns its copy", async () => {
    const index = openIndexSource(join(DIR, "two.sqlite"));
    const fresh = openIndexSource(join(DIR, "two.sqlite"));
    try {
      const q = { artist: "Persuader", per_page: 50 };
      const first = await index.search(q);
      expect(first.some((h) => h.kind === "release")).toBe(true);
      expect(first.some((h) => h.kind === "master")).toBe(true);
      for (const hit of first) {
        hit.title = "changed by a caller";
        hit.labels.push("changed");
      }
      const again = await index.search(q);
      expect(again).toEqual(await fresh.search(q));
      expect(again.map((h) => h.title)).not.toContain("changed by a caller");
    } finally {
      index.dispose();
      fresh.dispose();
    }
  });
});

describe("the search rows' cache", () => {
  it("keeps texts byte for byte, drops the oldest when full, and keeps what is read lately", () => {
    // 200 bytes, 6 entries at most.
    const ring = new TextRing(200, 6);
    ring.set(1, '{"a":"Sigur Rós"}');
    for (let k = 2; k <= 6; k++) ring.set(k, `text ${k}`);
    expect(ring.size).toBe(6);
    expect(ring.get(7)).toBeUndefined();
    // Key 1 is the oldest when read: written again at the front, so it outlives 2 and 3.
    expect(ring.get(1)).toBe('{"a":"Sigur Rós"}');
    ring.set(7, "text 7");
    ring.set(8, "text 8");
    expect(ring.get(2)).toBeUndefined();
    expect(ring.get(3)).toBeUndefined();
    expect(ring.get(1)).toBe('{"a":"Sigur Rós"}');
    expect(ring.get(8)).toBe("text 8");
    expect(ring.size).toBe(6);
    // Past the ring's bytes, the oldest texts go to make room: 20 texts of 20 bytes in 200.
    const small = new TextRing(200, 100);
    for (let k = 10; k < 30; k++) small.set(k, `${k}`.repeat(10));
    expect(small.get(10)).toBeUndefined();
    expect(small.get(29)).toBe("29".repeat(10));
    expect(small.size).toBeLessThanOrEqual(10);
    expect(small.size).toBeGreaterThanOrEqual(9);
  });

  it("replaces a key's text, and keeps no empty text nor one past an eighth of the ring", () => {
    const ring = new TextRing(800, 10);
    ring.set(5, "first");
    ring.set(5, "second");
    expect(ring.get(5)).toBe("second");
    expect(ring.size).toBe(1);
    ring.set(5, "x".repeat(101));
    expect(ring.get(5)).toBeUndefined();
    ring.set(6, "");
    expect(ring.get(6)).toBeUndefined();
    expect(ring.size).toBe(0);
  });

  it("never answers a text other than the last one kept under the key, round the ring many times", () => {
    // A model check: random keys, lengths and multi-byte texts, many rounds of a small ring.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ring = new TextRing(1000, 40);
    const last = new Map<number, string>();
    let found = 0;
    for (let i = 0; i < 20_000; i++) {
      const key = rand(120) - 60;
      if (rand(3) === 0) {
        const text = `${key}:${"é€x".repeat(rand(40))}${i}`;
        ring.set(key, text);
        last.set(key, text);
      } else {
        const got = ring.get(key);
        if (got !== undefined) {
          expect(got).toBe(last.get(key));
          found++;
        }
      }
      expect(ring.size).toBeLessThanOrEqual(40);
    }
    // A useful cache, not an empty one: a fair share of reads found their text.
    expect(found).toBeGreaterThan(1000);
  });
});
