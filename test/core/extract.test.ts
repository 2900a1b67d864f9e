import { describe, expect, it } from "vitest";
import { extractTrack, isJunkArtist, isJunkTitle, isSuspectArtist } from "../../src/core/extract.js";

describe("Stage 1 extraction", () => {
  it("prefers good tags, with confidence 0.95", () => {
    const q = extractTrack({
      filename: "whatever.mp3",
      tags: { artist: "T-Fire", title: "Say A Prayer (Extended Mix)" },
    });
    expect(q).toMatchObject({
      artist: "T-Fire",
      title: "Say A Prayer",
      mix: "Extended Mix",
      source: "tags",
      confidence: 0.95,
    });
  });

  it("falls back to the filename when tags are junk", () => {
    const q = extractTrack({
      filename: "DJ Rasoul - You Feel That.mp3",
      tags: { artist: "Unknown Artist", title: "Track 01" },
    });
    expect(q).toMatchObject({
      artist: "DJ Rasoul",
      title: "You Feel That",
      source: "filename",
      confidence: 0.75,
    });
  });

  it("uses the filename hints beside tags, tags winning", () => {
    const q = extractTrack({
      filename: "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus",
      tags: {
        artist: "T-Fire",
        title: "Say A Prayer",
        year: "1980",
        duration: 245.4,
        track: "3/12",
        album: "Prayers",
      },
    });
    expect(q.hints).toMatchObject({
      year: 1980,
      country: "Nigeria",
      durationSec: 245,
      trackNumber: 3,
      album: "Prayers",
    });
  });

  it("reads Title - Artist when the tags show the order", () => {
    const q = extractTrack({ filename: "Say A Prayer - T-Fire.mp3", tags: { artist: "T-Fire" } });
    expect(q).toMatchObject({ artist: "T-Fire", title: "Say A Prayer", source: "filename" });
  });

  it("strips an artist prefix some rippers write into the title tag", () => {
    const q = extractTrack({
      filename: "x.mp3",
      tags: { artist: "Kevin Yost", title: "Kevin Yost - If She Only Knew" },
    });
    expect(q.title).toBe("If She Only Knew");
  });

  it("joins multi-value artists", () => {
    const q = extractTrack({ filename: "x.mp3", tags: { artists: ["Mateo", "Matos"], title: "Groove 4 U" } });
    expect(q.artist).toBe("Mateo & Matos");
  });

  it("returns a fallback with confidence 0.3 when nothing splits", () => {
    const q = extractTrack({ filename: "track01.mp3" });
    expect(q).toMatchObject({ source: "fallback", confidence: 0.3, artist: null });
  });

  it("reads a Discogs release id from tags", () => {
    expect(
      extractTrack({ filename: "a - b.mp3", tags: { discogsReleaseId: "11" } }).hints.discogsReleaseId,
    ).toBe(11);
  });

  it("detects junk", () => {
    expect(isJunkTitle("Track 01")).toBe(true);
    expect(isJunkTitle("  ")).toBe(true);
    expect(isJunkTitle("Track Of The Year")).toBe(false);
    expect(isJunkArtist("Unknown Artist")).toBe(true);
    expect(isJunkArtist("Weezer")).toBe(false);
    expect(isSuspectArtist("Weezer", "weezer")).toBe(true);
    expect(isSuspectArtist("Weezer", "Pinkerton")).toBe(false);
  });

  it("lets a full tag pair beat the file name, and the file name beat a lone artist equal to the album", () => {
    // Tags beat names: a dash in the file name, or in the tagged title, says nothing against the tags.
    const tagged = extractTrack({
      filename: "03 - Damaskus - Dakar.ogg",
      path: "Solitaire - Solitaire (1995)/03 - Damaskus - Dakar.ogg",
      tags: { artist: "Solitaire", album: "Solitaire", title: "Damaskus - Dakar" },
    });
    expect(tagged).toMatchObject({ artist: "Solitaire", title: "Damaskus - Dakar", source: "tags" });
    const pair = extractTrack({
      filename: "Rivers Cuomo - Buddy Holly.mp3",
      tags: { artist: "Weezer", album: "Weezer", title: "Buddy Holly" },
    });
    expect(pair).toMatchObject({ artist: "Weezer", title: "Buddy Holly", source: "tags" });
    // With no title tag, an artist tag equal to the album is what rippers write: the file name wins.
    const lone = extractTrack({
      filename: "Rivers Cuomo - Buddy Holly.mp3",
      tags: { artist: "Weezer", album: "Weezer" },
    });
    expect(lone).toMatchObject({ artist: "Rivers Cuomo", title: "Buddy Holly", source: "filename" });
  });

  it("prefers a good title tag to the filename's title", () => {
    const q = extractTrack({
      filename: "04 Track.mp3",
      tags: { artist: "Unknown Artist", title: "Deep Chair" },
    });
    expect(q.title).toBe("Deep Chair");
  });
});
