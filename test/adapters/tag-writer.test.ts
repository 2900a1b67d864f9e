/**
 * The taglib writer on real files of every supported format, made by ffmpeg: the decoded audio is
 * bit-identical after a write, every managed field reads back through music-metadata (the reader the
 * product uses), tags we do not manage survive, and a bad file fails alone with a clear reason.
 */
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFile } from "music-metadata";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { createTaglibWriter, describeWriteError } from "../../src/adapters/tags/taglib.js";
import { InvalidInputError } from "../../src/core/errors.js";
import type { TagValues } from "../../src/core/tagging/fields.js";
import { diffValues } from "../../src/core/tagging/plan.js";
import { audioMd5, FORMATS, type FormatName, makeAudio, requireFfmpeg } from "../audio.js";
import { FIXTURES } from "../helpers.js";

const DIR = mkdtempSync(join(tmpdir(), "discmeta-tagwrite-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
beforeAll(() => requireFfmpeg());

const writer = createTaglibWriter();
const reader = createMusicMetadataReader();
const COVER = {
  data: new Uint8Array(readFileSync(join(FIXTURES, "images/cover.jpg"))),
  mimeType: "image/jpeg",
};

/** Every managed field, with the shapes Discogs gives (several genres, credits, ids, a long format). */
const ALL: TagValues = {
  artist: ["Rick Astley"],
  title: ["Never Gonna Give You Up (Cake Mix)"],
  album: ["Never Gonna Give You Up"],
  albumArtist: ["Rick Astley"],
  trackNumber: ["1"],
  trackTotal: ["3"],
  discNumber: ["1"],
  discTotal: ["1"],
  discTitle: ["The Studio Album"],
  year: ["1987"],
  originalYear: ["1987"],
  label: ["RCA"],
  catalogNumber: ["PT 41448"],
  country: ["UK"],
  genre: ["Electronic", "Pop"],
  style: ["Synth-pop", "Euro House"],
  media: ['Vinyl, 12", 45 RPM, Maxi-Single'],
  remixer: ["Pete Hammond"],
  producer: ["Stock, Aitken & Waterman"],
  composer: ["Mike Stock", "Matt Aitken"],
  discogsReleaseId: ["1503102"],
  discogsMasterId: ["96559"],
  bpm: ["113"],
  key: ["Ab"],
  mood: ["uplifting", "bright"],
  description: ["A 1987 Stock Aitken Waterman production."],
};

const formats = Object.keys(FORMATS) as FormatName[];

describe.each(formats)("%s", (format) => {
  let path: string;
  let before: string;
  beforeAll(() => {
    path = makeAudio(DIR, `all-${format.replace(/\W+/g, "-")}`, format, {
      artist: "Someone Else",
      comment: "keep me",
      // ffmpeg's MP4 muxer drops unknown keys; "grouping" (©grp) is an atom we do not manage either.
      ...(format === "m4a" ? { grouping: "mine" } : { MYTAG: "mine" }),
    });
    before = audioMd5(path);
  });

  it("writes every field, atomically, and the audio is bit-identical", async () => {
    const { format: written } = await writer.write(path, ALL, { cover: COVER });
    expect(written).toBe(
      format.includes("2.3")
        ? "id3v23"
        : format.startsWith("mp3")
          ? "id3v24"
          : format === "m4a"
            ? "mp4"
            : "vorbis",
    );
    expect(audioMd5(path)).toBe(before);
    // No temporary file is left beside it.
    expect(readdirSync(DIR).filter((f) => f.includes(".discmeta-"))).toEqual([]);
  });

  it("reads every field back through music-metadata", async () => {
    const back = await reader.readValues(path);
    expect(back.values).toEqual(ALL);
    expect(back.hasCover).toBe(true);
    const meta = await parseFile(path);
    expect(meta.common).toMatchObject({
      artist: "Rick Astley",
      title: "Never Gonna Give You Up (Cake Mix)",
      album: "Never Gonna Give You Up",
      albumartist: "Rick Astley",
      track: { no: 1, of: 3 },
      disk: { no: 1, of: 1 },
      year: 1987,
    });
    expect(meta.common.picture?.[0]?.format).toBe("image/jpeg");
    expect(meta.common.picture?.[0]?.data.length).toBe(COVER.data.length);
    const raw = await reader.read(path);
    expect(raw).toMatchObject({ discogsReleaseId: expect.anything(), discogsMasterId: expect.anything() });
    expect(Number(raw.discogsReleaseId)).toBe(1503102);
  });

  it("keeps tags it does not manage", async () => {
    const meta = await parseFile(path);
    const native = Object.values(meta.native)
      .flat()
      .map((t) => `${t.id}=${typeof t.value === "string" ? t.value : ""}`)
      .join("\n");
    expect(native).toMatch(/keep me/);
    expect(native).toMatch(/mine/);
  });

  it("round-trips every field that can hold a separator, so a rerun settles (no change to write)", async () => {
    // Values with the characters containers split on: "/" (ID3v2.3), ";" and "," (MP4's joined atoms).
    const separated: TagValues = {
      title: ["AC/DC Tribute (Part 1/2)"],
      artist: ["Earth, Wind & Fire / Friends"],
      album: ["Live 1/2; Disc A"],
      albumArtist: ["Simon & Garfunkel"],
      label: ["Fax +49-69/450464"],
      catalogNumber: ["PS 08/63"],
      country: ["UK & Europe"],
      genre: ["Funk / Soul", "Folk, World, & Country"],
      style: ["Drum n Bass", "Hip Hop/Rap"],
      media: ['2 × Vinyl, 12", 33 ⅓ RPM'],
      remixer: ["A/B"],
      producer: ["Stock, Aitken & Waterman"],
      composer: ["Lennon/McCartney", "Harrison"],
    };
    const file = makeAudio(DIR, `separators-${format.replace(/\W+/g, "-")}`, format);
    const { format: tagFormat } = await writer.write(file, separated);
    const back = await reader.readValues(file);
    expect(diffValues(back.values, separated, tagFormat)).toEqual([]);
    // One-value fields read back exactly, "/" included.
    for (const field of ["title", "album", "label", "catalogNumber"] as const)
      expect(back.values[field]).toEqual(separated[field]);
  });

  it("changes one field and leaves the others", async () => {
    await writer.write(path, { title: ["Never Gonna Give You Up"] });
    const back = await reader.readValues(path);
    expect(back.values).toEqual({ ...ALL, title: ["Never Gonna Give You Up"] });
    expect(audioMd5(path)).toBe(before);
  });
});

describe("a file that cannot be written fails alone, with a clear reason", () => {
  it("a read-only file is refused and left as it was", async () => {
    const path = makeAudio(DIR, "read-only", "flac", { title: "Original" });
    chmodSync(path, 0o444);
    const bytes = readFileSync(path);
    await expect(writer.write(path, { title: ["New"] })).rejects.toThrow(
      /cannot write ".*read-only\.flac": the file is read-only/,
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
    chmodSync(path, 0o644);
  });

  it("a corrupt file is refused, nothing is left behind", async () => {
    const path = join(DIR, "corrupt.mp3");
    copyFileSync(join(FIXTURES, "audio/corrupt.mp3"), path);
    const bytes = readFileSync(path);
    const err = await writer.write(path, { title: ["New"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(
      /cannot write ".*corrupt\.mp3": not an audio file discmeta can write/,
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(DIR).filter((f) => f.includes(".discmeta-"))).toEqual([]);
  });

  it("a text file with an audio extension is refused", async () => {
    const path = join(DIR, "notes.flac");
    writeFileSync(path, "not audio at all\n".repeat(100));
    await expect(writer.write(path, { title: ["x"] })).rejects.toThrow(
      /not an audio file discmeta can write/,
    );
  });

  it("a missing file and an unsupported format say so", async () => {
    await expect(writer.write(join(DIR, "nope.mp3"), { title: ["x"] })).rejects.toThrow(/no such file/);
    const wav = join(DIR, "x.wav");
    writeFileSync(wav, "RIFF");
    await expect(writer.write(wav, { title: ["x"] })).rejects.toThrow(
      /\.wav is not a format discmeta writes/,
    );
  });

  it("a link is followed: the file it names is written and the link stays a link", async () => {
    const target = makeAudio(DIR, "target", "flac");
    const link = join(DIR, "link.flac");
    symlinkSync(target, link);
    await writer.write(link, { title: ["Via Link"] });
    expect((await reader.readValues(target)).values.title).toEqual(["Via Link"]);
    expect(readdirSync(DIR)).toContain("link.flac");
  });

  it("names the cause of a full disk and of a permission error", () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(describeWriteError(err("ENOSPC"))).toBe("the disk is full");
    expect(describeWriteError(err("EDQUOT"))).toBe("the disk is full");
    expect(describeWriteError(err("EACCES"))).toBe("permission denied");
    expect(describeWriteError(err("EROFS"))).toBe("the file system is read-only");
  });
});
