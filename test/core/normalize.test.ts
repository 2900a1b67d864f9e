import { describe, expect, it } from "vitest";
import {
  cleanText,
  extractFeaturing,
  foldAscii,
  isOriginalMix,
  moveTrailingArticle,
  normalizeKey,
  normalizeMix,
  normalizeName,
  parseDuration,
  parseYear,
  smartTitleCase,
  splitArtists,
  stripDiscogsSuffix,
} from "../../src/core/normalize.js";

describe("normalisation", () => {
  it("shares a key between spellings of one track", () => {
    expect(normalizeKey("T-Fire - Say a Prayer")).toBe(normalizeKey("t-fire – say a prayer "));
    expect(normalizeKey("Röyksopp")).toBe("royksopp");
    expect(normalizeKey("Кино")).toBe("кино");
    expect(normalizeKey("Simon & Garfunkel")).toBe("simon and garfunkel");
  });

  it.each([
    ["loretta lynn", "Loretta Lynn"],
    ["THE ARCHIES", "The Archies"],
    ["dj rasoul", "DJ Rasoul"],
    ["mc solaar", "MC Solaar"],
    ["rocky iv theme", "Rocky IV Theme"],
    ["artist feat. guest", "Artist feat. Guest"],
    ["t-fire", "T-Fire"],
    ["deadmau5 is Mixed", "deadmau5 is Mixed"],
    ["MGMT - Kids", "MGMT - Kids"],
    ["宇多田ヒカル", "宇多田ヒカル"],
  ])("smart title case %s", (input, expected) => {
    expect(smartTitleCase(input)).toBe(expected);
  });

  it("cleans names", () => {
    expect(stripDiscogsSuffix("Bad Company (3)")).toBe("Bad Company");
    expect(moveTrailingArticle("Beatles, The")).toBe("The Beatles");
    expect(normalizeName("  Intro (3) ")).toBe("Intro");
    expect(cleanText("a\u200e  –  b “c”")).toBe('a - b "c"');
    expect(foldAscii("Södermalm Łódź")).toBe("Sodermalm Lodz");
  });

  it("treats Original Mix as no mix", () => {
    expect(isOriginalMix("Original Mix")).toBe(true);
    expect(normalizeMix("(Original Mix)")).toBeNull();
    expect(normalizeMix("extended mix")).toBe("Extended Mix");
    expect(isOriginalMix("Radio Edit")).toBe(false);
  });

  it("splits artists and featuring", () => {
    expect(splitArtists("A & B, C x D vs. E")).toEqual(["A", "B", "C", "D", "E"]);
    expect(extractFeaturing("Song (feat. X & Y)")).toEqual({ text: "Song", featuring: ["X", "Y"] });
    expect(extractFeaturing("Artist ft. Guest")).toEqual({ text: "Artist", featuring: ["Guest"] });
  });

  it("parses durations and years", () => {
    expect(parseDuration("4:45")).toBe(285);
    expect(parseDuration("1:02:03")).toBe(3723);
    expect(parseDuration(" 300.4 ")).toBe(300);
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration("abc")).toBeUndefined();
    expect(parseYear("1999-03-00")).toBe(1999);
    expect(parseYear("0")).toBeUndefined();
    expect(parseYear(2018)).toBe(2018);
  });
});
