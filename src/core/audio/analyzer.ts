/**
 * The streaming front end of audio analysis: mono samples at a low rate go in, in chunks of any size;
 * short frames feed the onset envelope (tempo), long frames the pitch circle (key). Memory is constant:
 * one long frame of samples, one tempo window of envelope, and fixed-size sums. Pure.
 */
import FFT from "fft.js";
import { addSpectrum, createPitchAccumulator, type PitchAccumulator } from "./key.js";
import { addOnset, createTempoAccumulator, flushTempo, type TempoAccumulator } from "./tempo.js";

/** Samples per onset frame and the hop between them (about 93 ms and 11.6 ms at 11,025 Hz). */
const ONSET_FRAME = 1024;
const ONSET_HOP = 128;
/** Samples per pitch frame and the hop between them (about 0.74 s and 0.37 s at 11,025 Hz). */
const PITCH_FRAME = 8192;
const PITCH_HOP = 4096;
/**
 * The onset envelope sums the rise of each of a few bands, spaced by octave thirds from 40 Hz, so a
 * kick drum counts as much as a broadband hi-hat (summing bins would let noise drown the kick).
 */
const ONSET_BANDS = 20;
const ONSET_LOW_HZ = 40;
const ONSET_GAIN = 100;

/** The first FFT bin of each onset band, and the end of the last. */
function onsetBands(sampleRate: number): number[] {
  const binHz = sampleRate / ONSET_FRAME;
  const top = ONSET_FRAME / 2;
  const edges: number[] = [1];
  for (let b = 1; b <= ONSET_BANDS; b++) {
    const hz = ONSET_LOW_HZ * 2 ** ((b * Math.log2(sampleRate / 2 / ONSET_LOW_HZ)) / ONSET_BANDS);
    edges.push(Math.max(edges[b - 1]! + 1, Math.min(top + 1, Math.round(hz / binHz))));
  }
  return edges;
}

/** Frames quieter than this (RMS) carry no pitch worth counting. */
const SILENCE_RMS = 1e-4;

/** What analysis accumulated over a whole stream. */
export interface AudioEvidence {
  tempo: TempoAccumulator;
  pitch: PitchAccumulator;
  /** Seconds of audio analysed. */
  seconds: number;
}

export interface AudioAnalyzer {
  /** Adds mono samples (−1…1) at the analyzer's rate. */
  push(samples: Float32Array): void;
  /** Ends the stream and returns the evidence. */
  finish(): AudioEvidence;
}

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}

/** One FFT size, its window and scratch space, reused for every frame. */
function spectrum(size: number) {
  const fft = new FFT(size);
  const window = hann(size);
  const input = new Float64Array(size);
  const out = fft.createComplexArray() as number[];
  const mag = new Float64Array(size / 2 + 1);
  return (samples: Float32Array, end: number): Float64Array => {
    const start = end - size;
    for (let i = 0; i < size; i++) input[i] = samples[start + i]! * window[i]!;
    fft.realTransform(out, input);
    // Math.sqrt rather than Math.hypot: the same here, and several times faster in V8.
    for (let k = 0; k <= size / 2; k++) {
      const re = out[2 * k]!;
      const im = out[2 * k + 1]!;
      mag[k] = Math.sqrt(re * re + im * im) * (2 / size);
    }
    return mag;
  };
}

export function createAudioAnalyzer(sampleRate: number): AudioAnalyzer {
  const tempo = createTempoAccumulator(sampleRate / ONSET_HOP);
  const pitch = createPitchAccumulator();
  const onsetSpectrum = spectrum(ONSET_FRAME);
  const pitchSpectrum = spectrum(PITCH_FRAME);
  const previous = new Float64Array(ONSET_BANDS);
  let hadPrevious = false;
  // A sliding buffer: the last PITCH_FRAME samples at least, and room for a chunk's worth more.
  let buffer = new Float32Array(PITCH_FRAME * 4);
  let length = 0;
  /** Absolute index of buffer[0], and of the end of the next onset and pitch frames. */
  let offset = 0;
  let nextOnset = ONSET_FRAME;
  let nextPitch = PITCH_FRAME;
  let total = 0;

  const bands = onsetBands(sampleRate);
  const onsetFrame = (end: number) => {
    const mag = onsetSpectrum(buffer, end - offset);
    let flux = 0;
    for (let b = 0; b < bands.length - 1; b++) {
      let energy = 0;
      for (let k = bands[b]!; k < bands[b + 1]!; k++) energy += mag[k]!;
      const v = Math.log1p(ONSET_GAIN * energy);
      if (hadPrevious && v > previous[b]!) flux += v - previous[b]!;
      previous[b] = v;
    }
    if (hadPrevious) addOnset(tempo, flux);
    hadPrevious = true;
  };
  const pitchFrame = (end: number) => {
    const start = end - offset - PITCH_FRAME;
    let energy = 0;
    for (let i = start; i < start + PITCH_FRAME; i++) energy += buffer[i]! * buffer[i]!;
    if (Math.sqrt(energy / PITCH_FRAME) < SILENCE_RMS) return;
    addSpectrum(pitch, pitchSpectrum(buffer, end - offset), PITCH_FRAME, sampleRate);
  };

  return {
    push(samples) {
      let read = 0;
      while (read < samples.length) {
        if (length === buffer.length) {
          // Keep the last long frame; drop the rest.
          const keep = PITCH_FRAME;
          buffer.copyWithin(0, length - keep, length);
          offset += length - keep;
          length = keep;
        }
        const n = Math.min(samples.length - read, buffer.length - length);
        buffer.set(samples.subarray(read, read + n), length);
        length += n;
        read += n;
        total += n;
        const end = offset + length;
        while (nextOnset <= end) {
          onsetFrame(nextOnset);
          nextOnset += ONSET_HOP;
        }
        while (nextPitch <= end) {
          pitchFrame(nextPitch);
          nextPitch += PITCH_HOP;
        }
      }
    },
    finish() {
      flushTempo(tempo);
      buffer = new Float32Array(0);
      return { tempo, pitch, seconds: total / sampleRate };
    },
  };
}
