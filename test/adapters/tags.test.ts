import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { InvalidInputError } from "../../src/core/errors.js";

const AUDIO = join(import.meta.dirname, "../fixtures/audio");
const reader = createMusicMetadataReader();

describe("music-metadata tag reader", () => {
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
  ])("reads %s", async (file, expected) => {
    const tags = await reader.read(join(AUDIO, file));
    expect(tags).toMatchObject(expected);
    expect(Number(tags.duration)).toBeGreaterThan(1);
  });

  it("reads an untagged opus file as having no artist or title", async () => {
    const tags = await reader.read(join(AUDIO, "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus"));
    expect(tags.artist).toBeUndefined();
    expect(tags.title).toBeUndefined();
  });

  it.each([
    ["missing.mp3", /no such file/],
    ["corrupt.mp3", /cannot read/],
    ["", /not a file|no such file/],
  ])("gives a clear error for %s", async (file, message) => {
    const path = file ? join(AUDIO, file) : AUDIO;
    const err = await reader.read(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/^tags: /);
  });
});
