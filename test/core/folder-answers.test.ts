import { describe, expect, it } from "vitest";
import { extractTrack } from "../../src/core/extract.js";
import { DEFAULT_PIPELINE_SETTINGS } from "../../src/core/pipeline/deps.js";
import {
  folderMayVouch,
  folderVerdict,
  mayBeVouchedFor,
  namesRecord,
  openingArtist,
} from "../../src/core/pipeline/folder-answers.js";
import { blankMetadata } from "../../src/core/pipeline/simple.js";
import type { TrackMetadata } from "../../src/core/schema.js";

const deps = { settings: DEFAULT_PIPELINE_SETTINGS };

/** An answer as the pipeline gives one: unanswered, or matched on a record with a confidence. */
function answer(on?: { releaseId: number; masterId: number | null; confidence: number }): TrackMetadata {
  const a = blankMetadata(extractTrack({ filename: "T. Rex - Metal Guru.mp3" }), "fast");
  if (!on) return a;
  return {
    ...a,
    source: "discogs",
    confidence: on.confidence,
    album: "The Slider",
    discogs: { releaseId: on.releaseId, masterId: on.masterId, url: "https://www.discogs.com/release/1" },
    match: { distance: 0, recommendation: "strong", margin: null, penalties: {}, selectedBy: "scorer" },
    release: {
      format: "Vinyl, LP",
      albumArtist: "T. Rex",
      trackTitle: "Metal Guru",
      trackNumber: 1,
      trackTotal: 11,
      discNumber: 1,
      discTotal: 1,
      discTitle: null,
      credits: [],
      tracklist: ["A1 Metal Guru", "A2 Mystic Lady", "B6 Buick Mackane", "Telegram Sam"],
      coverUrl: null,
    },
  };
}
const slider = (confidence = 0.99, releaseId = 10) => answer({ releaseId, masterId: 7, confidence });

describe("folderVerdict", () => {
  it("vouches by the rule of succession over the answered files, no surer than they are", () => {
    const v = folderVerdict([slider(), slider(), slider(), answer()], deps)!;
    expect(v.confidence).toBe(0.8);
    expect(v.agree).toBe(3);
    expect(v.files).toBe(4);
    expect(folderVerdict([slider(0.75), slider(0.75), slider(0.75), answer()], deps)!.confidence).toBe(0.75);
  });

  it("answers on the release most agreeing files named, counting a master's releases as one record", () => {
    const v = folderVerdict([slider(0.9, 11), slider(0.99, 10), slider(0.95, 10), answer()], deps)!;
    expect(v.agree).toBe(3);
    expect(v.on.discogs.releaseId).toBe(10);
    expect(v.on.confidence).toBe(0.99);
  });

  it("vouches for nothing with one agreeing file, too small a share of the folder, or rivals", () => {
    expect(folderVerdict([slider(), answer(), answer()], deps)).toBeNull();
    expect(
      folderVerdict([slider(), slider(), ...Array.from({ length: 5 }, () => answer())], deps),
    ).toBeNull();
    const rivals = [1, 2, 3].map((r) => answer({ releaseId: 100 + r, masterId: null, confidence: 0.99 }));
    // 2 of 5 answered: (2 + 1) / (5 + 2) = 0.43.
    expect(folderVerdict([slider(), slider(), ...rivals], deps)).toBeNull();
    // Answers below the minimum confidence vouch for nothing.
    expect(folderVerdict([slider(0.5), slider(0.5), slider(0.5)], deps)).toBeNull();
  });

  it("ties a file to the record by its album, artists and row titles (positions dropped), whole words only", () => {
    const { names } = folderVerdict([slider(), slider(), answer()], deps)!;
    expect(names).toEqual(expect.arrayContaining(["the slider", "t rex", "buick mackane", "telegram sam"]));
    expect(namesRecord("T.Rex  Buick Mackane  Live Studio 1973 Germany [cEJfPRdpxgA]", names)).toBe(true);
    expect(namesRecord("The Slider (Full Album)", names)).toBe(true);
    expect(namesRecord("Kraftwerk Radioactivity Live 1981", names)).toBe(false);
    expect(namesRecord("Metal Gurus of the world", ["metal guru"])).toBe(false);
  });
});

describe("openingArtist", () => {
  it("reads an unsplit name that opens with the record's artist as that artist and a title", () => {
    expect(openingArtist("T.Rex Buick Mackane Live", ["T. Rex"])).toEqual({
      artist: "T. Rex",
      title: "Buick Mackane Live",
    });
    expect(openingArtist("Buick Mackane", ["T. Rex"])).toBeNull();
    expect(openingArtist("T. Rex", ["T. Rex"])).toBeNull();
    expect(openingArtist(null, ["T. Rex"])).toBeNull();
  });
});

describe("folderMayVouch", () => {
  it("needs a folder that can hold the agreeing files and one more: its other files are not held back", () => {
    expect(folderMayVouch(2, DEFAULT_PIPELINE_SETTINGS.policy)).toBe(false);
    expect(folderMayVouch(3, DEFAULT_PIPELINE_SETTINGS.policy)).toBe(true);
  });
});

describe("mayBeVouchedFor", () => {
  it("is a file nothing in the catalogue answered and whose answer is not cut short", () => {
    expect(mayBeVouchedFor(answer())).toBe(true);
    expect(mayBeVouchedFor(slider())).toBe(false);
    expect(mayBeVouchedFor({ ...answer(), degraded: { reason: "budget", retryAfterSeconds: 30 } })).toBe(
      false,
    );
  });
});
