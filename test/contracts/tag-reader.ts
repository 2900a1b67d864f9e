/**
 * The TagReader contract, as unstorage's testDriver: one suite every tag reader runs, over the
 * committed audio fixtures (MP3 with ID3v2.3, ID3v2.4 and ID3v1 only, FLAC, Ogg Vorbis, Opus, M4A).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/core/errors.js";
import type { TagReader } from "../../src/core/ports.js";

const AUDIO = join(import.meta.dirname, "../fixtures/audio");

/** Runs the contract against one reader. */
export function testTagReader(name: string, make: () => TagReader): void {
  describe(`TagReader contract: ${name}`, () => {
    const reader = make();

    it.each([
      ["T-Fire - Say A Prayer.flac", { artist: "T-Fire", title: "Say A Prayer" }],
      [
        "01 - The Persuader - Östermalm.mp3",
        {
          artist: "The Persuader",
          title: "Östermalm",
          album: "Stockholm",
          year: 1999,
          genre: "Deep House",
          label: "Svek",
          catno: "SK032",
          track: 1,
        },
      ],
      ["id3v23.mp3", { artist: "Rick Astley", title: "Never Gonna Give You Up", year: 1987 }],
      ["id3v1-only.mp3", { artist: "Culture Beat", title: "Pay No Mind", year: 1993 }],
      ["vorbis.ogg", { artist: "Blue Six", title: "Music & Wine (Funkaphonic Vocal)", discogsReleaseId: 11 }],
      ["aac.m4a", { artist: "Kevin Yost", title: "If She Only Knew", album: "Road Of Life", year: 1997 }],
    ])("reads %s, with its duration", async (file, expected) => {
      const tags = await reader.read(join(AUDIO, file));
      expect(tags).toMatchObject(expected);
      expect(Number(tags.duration)).toBeGreaterThan(1);
    });

    it("reads an untagged file as having no artist or title", async () => {
      const tags = await reader.read(join(AUDIO, "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus"));
      expect(tags.artist).toBeUndefined();
      expect(tags.title).toBeUndefined();
    });

    it.each([
      ["01 - The Persuader - Östermalm.mp3", "id3v24", { catalogNumber: ["SK032"], trackTotal: ["6"] }],
      ["id3v23.mp3", "id3v23", { artist: ["Rick Astley"], year: ["1987"] }],
      ["T-Fire - Say A Prayer.flac", "vorbis", { artist: ["T-Fire"], title: ["Say A Prayer"] }],
      ["vorbis.ogg", "vorbis", { discogsReleaseId: ["11"] }],
      ["aac.m4a", "mp4", { album: ["Road Of Life"], year: ["1997"] }],
    ] as const)("reads %s's managed values in one pass: format %s", async (file, format, values) => {
      const read = await reader.readValues(join(AUDIO, file));
      expect(read.format).toBe(format);
      expect(read.values).toMatchObject(values);
      expect(read.hasCover).toBe(false);
      // The tags matching reads are the same as read() gives.
      expect(read.tags).toEqual(await reader.read(join(AUDIO, file)));
    });

    it.each([
      ["missing.mp3", /no such file/],
      ["corrupt.mp3", /cannot read/],
      ["", /not a file|no such file/],
    ])("gives a clear InvalidInputError for %s, from both reads", async (file, message) => {
      const path = file ? join(AUDIO, file) : AUDIO;
      for (const read of [() => reader.read(path), () => reader.readValues(path)]) {
        const err = await read().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).toMatch(/^tags: /);
      }
    });
  });
}
