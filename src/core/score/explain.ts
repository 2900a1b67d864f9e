/**
 * The named penalties of a match in words a person reads when deciding ("year differs", "a reissue, not
 * the original", "duration off by 11–20 s"), most costly first. The review page and the terminal review
 * show these beside the distance; the numbers stay in `match.penalties`.
 */
import { DURATION_BANDS } from "./track.js";

/** One reason a candidate is not a perfect match. */
export interface PenaltyReason {
  /** The penalty's name, as in `match.penalties`. */
  penalty: string;
  /** Its value in [0, 1]. */
  value: number;
  /** What it means, in a few words. */
  text: string;
  /** "major" from 0.5 up: it alone can cost a recommendation. */
  severity: "minor" | "major";
}

/** Penalties below this are rounding noise, not reasons. */
const NOTICEABLE = 0.05;

function durationText(value: number): string {
  const i = DURATION_BANDS.findIndex((b) => b.penalty >= value - 1e-9);
  const band = DURATION_BANDS[Math.max(1, i)]!;
  const from = DURATION_BANDS[Math.max(1, i) - 1]!.upTo + 1;
  return Number.isFinite(band.upTo)
    ? `duration off by ${from}–${band.upTo} s`
    : `duration off by more than ${from - 1} s`;
}

/** Penalties read one way when large (0.5 or more) and another when small: [large, small]. */
const TWO_WAY: Record<string, readonly [string, string]> = {
  artist: ["artist differs", "artist spelled differently"],
  title: ["title differs", "title spelled differently"],
  mix: ["a different mix or version", "mix named differently"],
  country: ["country differs", "country only partly matches"],
  label: ["label differs", "label spelled differently"],
  tracks: ["files fit their tracks poorly", "files fit their tracks loosely"],
  unmatched: ["most files are not on its tracklist", "some files are not on its tracklist"],
  missing: ["most of its tracks are not in the folder", "some of its tracks are not in the folder"],
  album: ["album title differs", "album title spelled differently"],
};

function describe(name: string, v: number): string {
  const twoWay = TWO_WAY[name];
  if (twoWay) return v >= 0.5 ? twoWay[0] : twoWay[1];
  switch (name) {
    case "duration":
      return durationText(v);
    case "year":
      return v <= 0.1
        ? "year is the master's, not this pressing's"
        : v >= 0.5
          ? "year differs"
          : "year off by one";
    case "catno":
      return "catalogue number differs";
    case "kind":
      return v >= 1
        ? "a compilation or unofficial release"
        : v >= 0.7
          ? "a DJ mix"
          : "a promo, or a release Discogs has not accepted";
    case "original":
      return v >= 0.8
        ? "a reissue, not the original"
        : v >= 0.5
          ? "a year after the original"
          : "original pressing not known";
    case "unverified":
      return "tracklist not checked";
    default:
      return `${name} differs`;
  }
}

/** The noticeable penalties as reasons, the largest first. */
export function explainPenalties(penalties: Readonly<Record<string, number>>): PenaltyReason[] {
  return Object.entries(penalties)
    .filter(([, v]) => Number.isFinite(v) && v >= NOTICEABLE)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([penalty, value]) => ({
      penalty,
      value,
      text: describe(penalty, value),
      severity: value >= 0.5 ? "major" : "minor",
    }));
}
