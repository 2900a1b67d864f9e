/**
 * Synthetic music with a known tempo and key, for the audio analysis tests and the audio eval: a kick
 * on every beat, a snare on two and four, hi-hats on the off-beats, a bass line on the chord roots and
 * sustained chords with harmonics, in a chosen key, tempo and tuning. Deterministic for a seed.
 */
import { seededRandom } from "./discogs-simulator/index.js";

export interface SynthSpec {
  bpm: number;
  /** Tonic pitch class (C = 0) and mode. */
  tonic: number;
  mode: "major" | "minor";
  seconds: number;
  sampleRate?: number;
  /** Cents away from A = 440 Hz. */
  tuningCents?: number;
  /** The tempo at the end, for a drifting track (a linear ramp from `bpm`). */
  endBpm?: number;
  /** Leave out the drums or the harmony. */
  drums?: boolean;
  harmony?: boolean;
  /** Drum pattern: four on the floor, or a half-time backbeat (kick on 1, snare on 3). */
  pattern?: "four" | "halftime" | "breaks";
  /** Harmonics of the chords: 1 is a sine, more is brighter. */
  harmonics?: number;
  /** White noise level (0–1). */
  noise?: number;
  seed?: number;
}

/** A small deterministic random source: the simulator's mulberry32. */
export const random = seededRandom;

// Chord progressions by scale degree (semitones above the tonic, triad quality), as pop and dance
// music use them: the tonic chord opens the loop, and minor loops lean on it.
type Chord = [number, "maj" | "min"];
const MAJOR_PROGRESSIONS: Chord[][] = [
  [
    [0, "maj"],
    [7, "maj"],
    [9, "min"],
    [5, "maj"],
  ],
  [
    [0, "maj"],
    [5, "maj"],
    [7, "maj"],
    [0, "maj"],
  ],
  [
    [0, "maj"],
    [9, "min"],
    [5, "maj"],
    [7, "maj"],
  ],
];
const MINOR_PROGRESSIONS: Chord[][] = [
  [
    [0, "min"],
    [8, "maj"],
    [10, "maj"],
    [0, "min"],
  ],
  [
    [0, "min"],
    [5, "min"],
    [10, "maj"],
    [0, "min"],
  ],
  [
    [0, "min"],
    [8, "maj"],
    [5, "min"],
    [7, "maj"],
  ],
];

/** Mono samples (−1…1) of the described track. */
export function synthesize(spec: SynthSpec): Float32Array {
  const sr = spec.sampleRate ?? 11025;
  const n = Math.round(spec.seconds * sr);
  const out = new Float32Array(n);
  const rnd = random(spec.seed ?? 1);
  const tuning = 2 ** ((spec.tuningCents ?? 0) / 1200);
  const hz = (midi: number) => 440 * tuning * 2 ** ((midi - 69) / 12);
  const endBpm = spec.endBpm ?? spec.bpm;
  // Beat times from the (possibly ramping) tempo.
  const beats: number[] = [];
  for (let t = 0; t < spec.seconds; t += 60 / (spec.bpm + ((endBpm - spec.bpm) * t) / spec.seconds)) {
    beats.push(t);
  }
  const addHit = (start: number, length: number, f: (t: number) => number) => {
    const a = Math.round(start * sr);
    const b = Math.min(n, a + Math.round(length * sr));
    for (let i = a; i < b; i++) out[i]! += f((i - a) / sr);
  };
  if (spec.drums !== false) {
    const pattern = spec.pattern ?? "four";
    beats.forEach((t, i) => {
      const inBar = i % 4;
      const kick =
        pattern === "four" ||
        (pattern === "halftime" && inBar === 0) ||
        (pattern === "breaks" && inBar !== 1);
      const snare = pattern === "halftime" ? inBar === 2 : inBar === 1 || inBar === 3;
      if (kick)
        addHit(
          t,
          0.25,
          (x) => 0.8 * Math.exp(-x * 18) * Math.sin(2 * Math.PI * (50 + 80 * Math.exp(-x * 30)) * x),
        );
      if (snare) {
        const a = Math.round(t * sr);
        for (let i = a; i < Math.min(n, a + Math.round(0.15 * sr)); i++)
          out[i]! += 0.35 * Math.exp(-((i - a) / sr) * 25) * (rnd() * 2 - 1);
      }
      const next = beats[i + 1] ?? t + 60 / spec.bpm;
      const off = (t + next) / 2;
      const a = Math.round(off * sr);
      for (let i = a; i < Math.min(n, a + Math.round(0.04 * sr)); i++)
        out[i]! += 0.15 * Math.exp(-((i - a) / sr) * 80) * (rnd() * 2 - 1);
    });
  }
  if (spec.harmony !== false) {
    const choices = spec.mode === "major" ? MAJOR_PROGRESSIONS : MINOR_PROGRESSIONS;
    const progression = choices[Math.floor(rnd() * choices.length)]!;
    const harmonics = spec.harmonics ?? 4;
    for (let bar = 0; bar * 4 < beats.length; bar++) {
      const start = beats[bar * 4]!;
      const end = beats[bar * 4 + 4] ?? spec.seconds;
      const [degree, quality] = progression[bar % progression.length]!;
      const root = 48 + ((spec.tonic + degree) % 12);
      const third = quality === "maj" ? 4 : 3;
      const notes = [root + 12, root + 12 + third, root + 19];
      const a = Math.round(start * sr);
      const b = Math.min(n, Math.round(end * sr));
      for (let i = a; i < b; i++) {
        const x = (i - a) / sr;
        const env = Math.min(1, x * 20) * Math.min(1, (b - i) / sr / 0.05);
        let v = 0;
        for (const m of notes)
          for (let h = 1; h <= harmonics; h++) v += Math.sin(2 * Math.PI * hz(m) * h * x) / (h * h);
        // The bass on the root, an octave below, on each beat of the bar.
        v += 0.8 * Math.sin(2 * Math.PI * hz(root - 12) * x) * Math.exp(-(((x * spec.bpm) / 60) % 1) * 3);
        out[i]! += 0.08 * env * v;
      }
    }
  }
  const noise = spec.noise ?? 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    out[i]! += noise * (rnd() * 2 - 1);
    peak = Math.max(peak, Math.abs(out[i]!));
  }
  if (peak > 0.95) for (let i = 0; i < n; i++) out[i] = (out[i]! * 0.95) / peak;
  return out;
}

/** The samples as a 16-bit mono WAV file, for ffmpeg to encode. */
export function wavBytes(samples: Float32Array, sampleRate = 11025): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++)
    data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767))), i * 2);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
