/**
 * Key detection: spectral peaks folded onto one octave at a resolution of a cent, the tuning read from
 * where the peaks fall between semitones, a chroma (pitch-class profile) centred on that tuning, and the
 * chroma correlated with a key profile turned to each of the 24 keys. Pure; fed one magnitude spectrum
 * at a time, in constant memory.
 */
import { clamp01 } from "../score/distance.js";
import type { MusicalKey } from "./notation.js";
import { KEY_PROFILES, type KeyProfileName } from "./profiles.js";

const CENTS = 1200;

/** What the key detector keeps between frames: energy per cent of the octave. */
export interface PitchAccumulator {
  /** Energy at each cent of the octave, C = 0. */
  readonly circle: Float64Array;
  /** Frames that carried tonal peaks. */
  frames: number;
}

export function createPitchAccumulator(): PitchAccumulator {
  return { circle: new Float64Array(CENTS), frames: 0 };
}

/** The band the key is read from: low enough for bass lines, high enough to skip most overtones. */
export const KEY_BAND_HZ = { low: 55, high: 2000 } as const;
/** Peaks this far (as a ratio) below the frame's loudest are noise. */
const PEAK_FLOOR = 0.02;

/**
 * Adds one frame: `mag` is the magnitude spectrum of a window of `fftSize` samples at `sampleRate`.
 * Local maxima are refined by parabolic interpolation on the log magnitude, then placed on the circle.
 */
export function addSpectrum(
  acc: PitchAccumulator,
  mag: Float64Array | Float32Array,
  fftSize: number,
  sampleRate: number,
): void {
  const binHz = sampleRate / fftSize;
  const lo = Math.max(2, Math.floor(KEY_BAND_HZ.low / binHz));
  const hi = Math.min(mag.length - 3, Math.ceil(KEY_BAND_HZ.high / binHz));
  let max = 0;
  for (let k = lo; k <= hi; k++) if (mag[k]! > max) max = mag[k]!;
  if (max <= 1e-9) return;
  const floor = max * PEAK_FLOOR;
  let total = 0;
  const peaks: number[] = [];
  for (let k = lo; k <= hi; k++) {
    const m = mag[k]!;
    if (m < floor || m <= mag[k - 1]! || m < mag[k + 1]! || m <= mag[k - 2]! || m < mag[k + 2]!) continue;
    const a = Math.log(mag[k - 1]! + 1e-12);
    const b = Math.log(m + 1e-12);
    const c = Math.log(mag[k + 1]! + 1e-12);
    const den = a - 2 * b + c;
    const delta = den < 0 ? (0.5 * (a - c)) / den : 0;
    const hz = (k + Math.max(-0.5, Math.min(0.5, delta))) * binHz;
    peaks.push(hz, m);
    total += m;
  }
  if (total === 0) return;
  for (let i = 0; i < peaks.length; i += 2) {
    // Cents above C of the peak's pitch, on one octave.
    const midiCents = 6900 + 1200 * Math.log2(peaks[i]! / 440);
    const at = ((Math.round(midiCents) % CENTS) + CENTS) % CENTS;
    // Each frame weighs the same, whatever its loudness.
    acc.circle[at]! += peaks[i + 1]! / total;
  }
  acc.frames++;
}

/**
 * The tuning: how many cents (−50 to +50) the music sits from A = 440 Hz, as the circular mean of
 * where the energy falls between semitones.
 */
export function tuningOf(acc: PitchAccumulator): number {
  let re = 0;
  let im = 0;
  for (let c = 0; c < CENTS; c++) {
    const w = acc.circle[c]!;
    if (w === 0) continue;
    const angle = (2 * Math.PI * (c % 100)) / 100;
    re += w * Math.cos(angle);
    im += w * Math.sin(angle);
  }
  if (re === 0 && im === 0) return 0;
  const cents = (Math.atan2(im, re) * 100) / (2 * Math.PI);
  return Math.round(cents * 10) / 10;
}

/** The twelve pitch classes' energy, each semitone centred on the tuning (a raised-cosine window). */
export function chromaOf(acc: PitchAccumulator, tuning: number): number[] {
  const chroma = new Array<number>(12).fill(0);
  for (let c = 0; c < CENTS; c++) {
    const w = acc.circle[c]!;
    if (w === 0) continue;
    const pos = (c - tuning + CENTS) % CENTS;
    const semitone = Math.round(pos / 100) % 12;
    const off = Math.abs(pos - Math.round(pos / 100) * 100);
    chroma[semitone]! += w * Math.cos((off / 100) * Math.PI) ** 2;
  }
  const sum = chroma.reduce((a, b) => a + b, 0);
  return sum > 0 ? chroma.map((v) => v / sum) : chroma;
}

function pearson(x: readonly number[], y: readonly number[], shift: number): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < 12; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= 12;
  my /= 12;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < 12; i++) {
    const dx = x[(i + shift) % 12]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** One key's fit: the correlation of the chroma with the profile turned to that key. */
export interface KeyScore {
  key: MusicalKey;
  correlation: number;
}

/** All 24 keys, best first. */
export function rankKeys(chroma: readonly number[], profile: KeyProfileName): KeyScore[] {
  const p = KEY_PROFILES[profile];
  const scores: KeyScore[] = [];
  for (let tonic = 0; tonic < 12; tonic++) {
    scores.push({ key: { tonic, mode: "major" }, correlation: pearson(chroma, p.major, tonic) });
    scores.push({ key: { tonic, mode: "minor" }, correlation: pearson(chroma, p.minor, tonic) });
  }
  return scores.sort((a, b) => b.correlation - a.correlation);
}

/**
 * How tonal a chroma is: the energy of its seven strongest pitch classes (a scale's worth) less that of
 * the other five. Music in a key scores about 0.7; drums and noise, nearly flat, about 0.3.
 */
export function contrast(chroma: readonly number[]): number {
  const sorted = [...chroma].sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const top = sorted.slice(0, 7).reduce((a, b) => a + b, 0);
  return (top - (total - top)) / total;
}

const MIN_PITCHES = 3;
const MIN_PITCH_SHARE = 0.05;

/** The detector's reading of the key, before it is judged sure enough to report. */
export interface KeyEstimate {
  key: MusicalKey;
  /** 0–1: how clearly the best key beats the runner-up, and how well it fits at all. */
  confidence: number;
  correlation: number;
  tuningCents: number;
  chroma: number[];
}

/**
 * The best key and how sure it is. The confidence grows with the best key's correlation and with its
 * lead over the runner-up; a chroma with no tonal frames gives null.
 */
export function estimateKey(acc: PitchAccumulator, profile: KeyProfileName): KeyEstimate | null {
  if (acc.frames === 0) return null;
  const tuningCents = tuningOf(acc);
  const chroma = chromaOf(acc, tuningCents);
  // A key needs several pitches: a lone tone or an octave is not one.
  if (chroma.filter((v) => v >= MIN_PITCH_SHARE).length < MIN_PITCHES) return null;
  const [best, second] = rankKeys(chroma, profile);
  if (!best || !second || best.correlation <= 0) return null;
  const lead = best.correlation - second.correlation;
  const confidence =
    clamp01(best.correlation / 0.8) * clamp01(0.35 + lead / 0.12) * clamp01((contrast(chroma) - 0.35) / 0.3);
  return {
    key: best.key,
    confidence: Math.round(confidence * 100) / 100,
    correlation: best.correlation,
    tuningCents,
    chroma,
  };
}
