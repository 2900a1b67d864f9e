/**
 * Tempo: an onset-strength envelope (how much the spectrum rises from one short frame to the next) is
 * cut into overlapping windows of about 12 s; each window's autocorrelation is added to the track's and
 * its own strongest beat period kept, so memory stays constant whatever the length. The track's period
 * is the autocorrelation's best peak, moved by octaves into the preferred range (a style's when the
 * match knows one), then refined to a tenth of a BPM with a comb over many beats. Windows that disagree
 * with it mark a tempo that drifts, which is left out rather than reported. Pure.
 */
import { clamp01 } from "../score/distance.js";

/** The search span of a beat, in BPM, before any range is applied. */
const SEARCH_BPM = { low: 40, high: 240 } as const;
/** Envelope frames per autocorrelation window, and the hop between windows (half: 50% overlap). */
export const TEMPO_WINDOW = 1024;
const WINDOW_HOP = TEMPO_WINDOW / 2;
/** The longest lag kept, as a share of a window. */
const MAX_LAG_SHARE = 0.6;
/** A window's own period within this share of the track's agrees with it. */
const AGREE = 0.02;
/** Where a window looks for its own peak around the track's period (and its octaves). */
const NEAR = 0.08;
/** A window whose strongest periodicity is weaker than this has no beat to judge (a breakdown). */
const NO_BEAT = 0.1;

/** A small Gaussian (σ ≈ 1.5 frames), one side of it. */
const SMOOTH = [1, 0.8, 0.41, 0.14, 0.03];

/** What one window leaves behind: its strongest peaks (lag in frames, normalised strength). */
interface WindowPeaks {
  peaks: [lag: number, value: number][];
}

/** The running state: the current window, the summed autocorrelation, and each window's peaks. */
export interface TempoAccumulator {
  /** Envelope frames per second. */
  readonly fps: number;
  readonly maxLag: number;
  readonly acf: Float64Array;
  windows: number;
  readonly peaks: WindowPeaks[];
  /** The envelope frames not yet consumed by a full window (at most one window). */
  buffer: Float64Array;
  filled: number;
  /** Frames since the last window was taken. */
  sinceWindow: number;
  total: number;
}

export function createTempoAccumulator(fps: number): TempoAccumulator {
  const maxLag = Math.floor(TEMPO_WINDOW * MAX_LAG_SHARE);
  return {
    fps,
    maxLag,
    acf: new Float64Array(maxLag + 1),
    windows: 0,
    peaks: [],
    buffer: new Float64Array(TEMPO_WINDOW),
    filled: 0,
    sinceWindow: 0,
    total: 0,
  };
}

/** Adds one onset-strength value. */
export function addOnset(acc: TempoAccumulator, value: number): void {
  if (acc.filled === TEMPO_WINDOW) {
    acc.buffer.copyWithin(0, 1);
    acc.buffer[TEMPO_WINDOW - 1] = value;
  } else {
    acc.buffer[acc.filled++] = value;
  }
  acc.total++;
  acc.sinceWindow++;
  if (acc.filled === TEMPO_WINDOW && (acc.windows === 0 || acc.sinceWindow >= WINDOW_HOP)) {
    takeWindow(acc, acc.buffer);
  }
}

/** Takes the last, partial window: a short track still gets one, a long one its tail. */
export function flushTempo(acc: TempoAccumulator): void {
  const minimum = Math.round(acc.fps * 4);
  if (acc.windows === 0 && acc.filled >= minimum) takeWindow(acc, acc.buffer.subarray(0, acc.filled));
  else if (acc.windows > 0 && acc.sinceWindow >= WINDOW_HOP / 2) takeWindow(acc, acc.buffer);
}

function takeWindow(acc: TempoAccumulator, env: Float64Array): void {
  acc.sinceWindow = 0;
  const n = env.length;
  // Smooth the envelope a little (onsets are a frame or two wide, too sharp for whole-frame lags),
  // then remove the slow loudness trend (a moving mean of about half a second) before correlating.
  const smooth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let w = 0;
    for (let j = -SMOOTH.length + 1; j < SMOOTH.length; j++) {
      const v = env[i + j];
      if (v === undefined) continue;
      const k = SMOOTH[Math.abs(j)]!;
      s += v * k;
      w += k;
    }
    smooth[i] = s / w;
  }
  const half = Math.max(1, Math.round(acc.fps / 4));
  const x = new Float64Array(n);
  let sum = 0;
  let lo = 0;
  let hi = -1;
  for (let i = 0; i < n; i++) {
    while (hi < Math.min(n - 1, i + half)) sum += smooth[++hi]!;
    while (lo < i - half) sum -= smooth[lo++]!;
    x[i] = smooth[i]! - sum / (hi - lo + 1);
  }
  const maxLag = Math.min(acc.maxLag, Math.floor(n * MAX_LAG_SHARE));
  const r = new Float64Array(maxLag + 1);
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += x[i]! * x[i + lag]!;
    r[lag] = s / (n - lag);
  }
  if (r[0]! <= 1e-12) return;
  const r0 = r[0]!;
  for (let lag = 0; lag <= maxLag; lag++) r[lag] = r[lag]! / r0;
  for (let lag = 0; lag <= maxLag; lag++) acc.acf[lag]! += r[lag]!;
  acc.windows++;
  acc.peaks.push({ peaks: localPeaks(r, lagOf(acc.fps, SEARCH_BPM.high), lagOf(acc.fps, SEARCH_BPM.low)) });
}

const lagOf = (fps: number, bpm: number) => (60 * fps) / bpm;
const bpmOf = (fps: number, lag: number) => (60 * fps) / lag;

/** The local maxima of `r` between two lags, refined by a parabola, strongest first (at most 8). */
function localPeaks(r: ArrayLike<number>, fromLag: number, toLag: number): [number, number][] {
  const out: [number, number][] = [];
  const a = Math.max(1, Math.floor(fromLag));
  const b = Math.min(r.length - 2, Math.ceil(toLag));
  for (let k = a; k <= b; k++) {
    const y0 = r[k - 1]!;
    const y1 = r[k]!;
    const y2 = r[k + 1]!;
    if (y1 <= y0 || y1 < y2) continue;
    const den = y0 - 2 * y1 + y2;
    const d = den < 0 ? (0.5 * (y0 - y2)) / den : 0;
    out.push([k + d, y1 - 0.25 * (y0 - y2) * d]);
  }
  return out.sort((p, q) => q[1] - p[1]).slice(0, 8);
}

/** The autocorrelation at a fractional lag (linear), 0 beyond its end. */
function at(r: ArrayLike<number>, lag: number): number {
  const i = Math.floor(lag);
  if (i < 0 || i + 1 >= r.length) return 0;
  const f = lag - i;
  return r[i]! * (1 - f) + r[i + 1]! * f;
}

/** The mean autocorrelation at every multiple of `lag` that fits: high for the beat's true period. */
function comb(r: ArrayLike<number>, lag: number): number {
  let s = 0;
  let k = 1;
  for (; k * lag < r.length - 1; k++) s += at(r, k * lag);
  return k > 1 ? s / (k - 1) : 0;
}

/** What the tempo detector reports. */
export interface TempoEstimate {
  /** Beats per minute, rounded to 0.1; null when the tempo drifts or no beat was found. */
  bpm: number | null;
  confidence: number;
  /** False when the windows disagree: a tempo that changes over the track. */
  steady: boolean;
  /** Windows whose own period agrees with the track's, of those that have a beat. */
  agreement: number;
  /** The spread (10th to 90th percentile) of the windows' periods around the track's, as a share. */
  spread: number;
  /** Why no BPM is reported, when none is. */
  reason: "no-beat" | "drifting" | null;
}

export interface TempoOptions {
  /** The range a tempo is moved into by octaves: a style's, or the default (70–180). */
  range: readonly [number, number];
  /** The most the windows' periods may spread before the tempo is called drifting. */
  maxSpread: number;
  /** The least share of windows that must agree. */
  minAgreement: number;
}

/**
 * Listeners and DJ software hear most music between about 85 and 170 BPM: the preferred tempo is 120
 * when the range holds it, else the range's middle.
 */
const TYPICAL_BPM = 120;
/** The prior's width when choosing among octaves (narrow: it decides) and when finding the peak. */
const OCTAVE_PRIOR_WIDTH = 0.5;
const PEAK_PRIOR_WIDTH = 1;

/** A preference for tempos near the range's typical one (log-normal, `width` octaves wide). */
function prior(bpm: number, range: readonly [number, number], width = PEAK_PRIOR_WIDTH): number {
  const centre =
    TYPICAL_BPM >= range[0] && TYPICAL_BPM <= range[1] ? TYPICAL_BPM : Math.sqrt(range[0] * range[1]);
  const octaves = Math.log2(bpm / centre) / width;
  return Math.exp(-0.5 * octaves * octaves);
}

/**
 * Moves a tempo by octaves into the range. Of several that fit, the one the comb and a prior centred
 * on the range's typical tempo prefer together.
 */
function intoRange(r: ArrayLike<number>, fps: number, bpm: number, range: readonly [number, number]): number {
  const family = [0.125, 0.25, 0.5, 1, 2, 4, 8].map((f) => bpm * f);
  const inside = family.filter((b) => b >= range[0] && b <= range[1]);
  if (inside.length === 0) {
    // A range narrower than an octave that the family steps over: the nearest member, in octaves.
    const gap = (b: number) => Math.abs(Math.log2(b / Math.min(range[1], Math.max(range[0], b))));
    return family.reduce((best, b) => (gap(b) < gap(best) ? b : best));
  }
  const score = (b: number) => comb(r, lagOf(fps, b)) * prior(b, range, OCTAVE_PRIOR_WIDTH);
  return inside.reduce((best, b) => (score(b) > score(best) ? b : best));
}

/** The lag near `lag` (within ±3%) where the comb over many beats peaks: a tenth of a BPM. */
function refine(r: ArrayLike<number>, lag: number): number {
  let best = lag;
  let bestScore = Number.NEGATIVE_INFINITY;
  const step = Math.max(0.001, lag * 0.00005);
  for (let l = lag * 0.97; l <= lag * 1.03; l += step) {
    const s = comb(r, l);
    if (s > bestScore) {
      bestScore = s;
      best = l;
    }
  }
  return best;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))));
  return sorted[i]!;
}

/** How each window's own period sits against the track's: the agreeing share and the spread. */
function windowsAgainst(acc: TempoAccumulator, lag: number): { agreement: number; spread: number } {
  const devs: number[] = [];
  let judged = 0;
  for (const w of acc.peaks) {
    const strongest = w.peaks[0]?.[1] ?? 0;
    if (strongest < NO_BEAT) continue;
    judged++;
    let best: [number, number] | undefined;
    for (const f of [0.5, 1, 2]) {
      for (const p of w.peaks) {
        if (Math.abs(p[0] / (lag * f) - 1) <= NEAR && (!best || p[1] > best[1])) best = [p[0] / f, p[1]];
      }
    }
    if (best && best[1] >= 0.5 * strongest) devs.push(best[0] / lag - 1);
  }
  if (judged === 0) return { agreement: 1, spread: 0 };
  const agreeing = devs.filter((d) => Math.abs(d) <= AGREE).length;
  const sorted = [...devs].sort((a, b) => a - b);
  // A window with a strong beat elsewhere counts as the widest spread.
  const spread = devs.length < judged ? 1 : percentile(sorted, 0.9) - percentile(sorted, 0.1);
  return { agreement: agreeing / judged, spread };
}

/** The track's tempo from everything accumulated. */
export function estimateTempo(acc: TempoAccumulator, options: TempoOptions): TempoEstimate {
  const none = (reason: TempoEstimate["reason"]): TempoEstimate => ({
    bpm: null,
    confidence: 0,
    steady: reason !== "drifting",
    agreement: 0,
    spread: 0,
    reason,
  });
  if (acc.windows === 0) return none("no-beat");
  const r = Array.from(acc.acf, (v) => v / acc.windows);
  const fps = acc.fps;
  // The best peak by its strength plus half its double's (the "enhanced" autocorrelation), weakly
  // preferring the middle of the range.
  const peaks = localPeaks(r, lagOf(fps, SEARCH_BPM.high), lagOf(fps, SEARCH_BPM.low));
  const top = peaks
    .map(([lag, v]) => ({ lag, score: (v + 0.5 * at(r, 2 * lag)) * prior(bpmOf(fps, lag), options.range) }))
    .sort((a, b) => b.score - a.score)[0];
  if (!top || at(r, top.lag) < NO_BEAT) return none("no-beat");
  const chosen = intoRange(r, fps, bpmOf(fps, top.lag), options.range);
  const lag = refine(r, lagOf(fps, chosen));
  const { agreement, spread } = windowsAgainst(acc, lag);
  const steady = agreement >= options.minAgreement && spread <= options.maxSpread;
  const strength = comb(r, lag);
  const confidence = clamp01((strength - 0.05) / 0.4) * (acc.windows > 1 ? agreement : 0.8);
  if (!steady) return { ...none("drifting"), agreement, spread };
  return {
    bpm: Math.round(bpmOf(fps, lag) * 10) / 10,
    confidence: Math.round(confidence * 100) / 100,
    steady,
    agreement: Math.round(agreement * 100) / 100,
    spread: Math.round(spread * 1000) / 1000,
    reason: null,
  };
}
