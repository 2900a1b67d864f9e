/**
 * Measuring a file: its decoded stream fed through the analyzer, then judged. The decoder is a port;
 * nothing here touches a file.
 */
import { type AudioPolicy, DEFAULT_POLICY } from "../policy.js";
import type { AudioDecoder } from "../ports.js";
import { type AudioEvidence, createAudioAnalyzer } from "./analyzer.js";
import { type AudioFeatures, type FeatureOptions, measureFeatures } from "./features.js";

/** The rate audio is decoded at: enough for rhythm and for harmony up to about 5 kHz. */
export const ANALYSIS_SAMPLE_RATE = 11025;

export interface AnalyzeOptions extends FeatureOptions {
  signal?: AbortSignal;
}

/**
 * Decodes one file into evidence, which can be judged now or once the match's style is known. Throws
 * the decoder's errors (a file it cannot decode, no decoder).
 */
export async function collectEvidence(
  decoder: AudioDecoder,
  path: string,
  options: { signal?: AbortSignal; policy?: AudioPolicy } = {},
): Promise<AudioEvidence> {
  const policy = options.policy ?? DEFAULT_POLICY.audio;
  const analyzer = createAudioAnalyzer(ANALYSIS_SAMPLE_RATE);
  for await (const chunk of decoder.decode(path, {
    sampleRate: ANALYSIS_SAMPLE_RATE,
    maxSeconds: policy.maxSeconds,
    signal: options.signal,
  })) {
    analyzer.push(chunk);
  }
  return analyzer.finish();
}

/** Decodes and measures one file. */
export async function analyzeAudio(
  decoder: AudioDecoder,
  path: string,
  options: AnalyzeOptions = {},
): Promise<AudioFeatures> {
  return measureFeatures(await collectEvidence(decoder, path, options), options);
}

/** Audio analysis as the shells use it: a decoder and the settings, bound once. */
export interface AudioAnalysis {
  /** Decodes a file into evidence (judge it with `measure` once the match's style is known). */
  collect(path: string, signal?: AbortSignal): Promise<AudioEvidence>;
  /** Judges evidence, with the match's styles and genres choosing the tempo's octave. */
  measure(evidence: AudioEvidence, styles?: readonly string[]): AudioFeatures;
  /** Both at once, for a file with no match. */
  analyze(
    path: string,
    options?: { styles?: readonly string[]; signal?: AbortSignal },
  ): Promise<AudioFeatures>;
}

export function createAudioAnalysis(
  decoder: AudioDecoder,
  settings: Omit<FeatureOptions, "styles"> = {},
): AudioAnalysis {
  const policy = settings.policy ?? DEFAULT_POLICY.audio;
  const collect = (path: string, signal?: AbortSignal) =>
    collectEvidence(decoder, path, { policy, ...(signal ? { signal } : {}) });
  const measure = (evidence: AudioEvidence, styles: readonly string[] = []) =>
    measureFeatures(evidence, { ...settings, policy, styles });
  return {
    collect,
    measure,
    async analyze(path, options = {}) {
      return measure(await collect(path, options.signal), options.styles);
    },
  };
}
