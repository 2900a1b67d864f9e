/**
 * From accumulated evidence to what an answer reports: a BPM and a key with their confidence and
 * `source: "audio"`, or null with the reason. The octave of the tempo follows the match's style when one
 * is known. Pure.
 */
import { type AudioPolicy, DEFAULT_POLICY } from "../policy.js";
import type { Bpm, Key, TrackMetadata } from "../schema.js";
import { warning } from "../warnings.js";
import type { AudioEvidence } from "./analyzer.js";
import { estimateKey, type KeyEstimate } from "./key.js";
import { keyName, keyNotations } from "./notation.js";
import type { KeyProfileName } from "./profiles.js";
import { estimateTempo, type TempoEstimate } from "./tempo.js";

/** What analysis measured in one file, with what a reader needs to judge it. */
export interface AudioFeatures {
  bpm: Bpm | null;
  key: Key | null;
  /** Seconds of audio analysed. */
  seconds: number;
  /** Why a value is missing: "no beat", "tempo drifts", "not sure of the key", "no tonal content". */
  notes: string[];
  details: {
    /** The range the tempo was moved into, and the style that chose it (null for the default). */
    tempoRange: readonly [number, number];
    tempoStyle: string | null;
    tempo: TempoEstimate;
    tuningCents: number | null;
    keyProfile: KeyProfileName;
  };
}

export interface FeatureOptions {
  /** The match's styles and genres, most specific first: they choose the tempo's octave. */
  styles?: readonly string[];
  /** The default range instead of the policy's (AUDIO_BPM_RANGE). */
  bpmRange?: readonly [number, number];
  keyProfile?: KeyProfileName;
  policy?: AudioPolicy;
}

/** The key profile measured best on the synthetic corpus's dev half (docs/benchmarks.md). */
export const DEFAULT_KEY_PROFILE: KeyProfileName = "edma";

/** The range a style sets for the tempo, or the default with no style known. */
export function tempoRangeFor(
  styles: readonly string[],
  fallback: readonly [number, number],
  policy: AudioPolicy = DEFAULT_POLICY.audio,
): { range: readonly [number, number]; style: string | null } {
  for (const s of styles) {
    const range = policy.styleTempo[s];
    if (range) return { range, style: s };
  }
  return { range: fallback, style: null };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function keyOf(k: KeyEstimate): Key {
  return { ...keyNotations(k.key), confidence: round2(k.confidence), source: "audio" };
}

/** The BPM and key of the evidence, each only when sure enough. */
export function measureFeatures(evidence: AudioEvidence, options: FeatureOptions = {}): AudioFeatures {
  const policy = options.policy ?? DEFAULT_POLICY.audio;
  const { range, style } = tempoRangeFor(options.styles ?? [], options.bpmRange ?? policy.bpmRange, policy);
  const tempo = estimateTempo(evidence.tempo, {
    range,
    maxSpread: policy.maxTempoSpread,
    minAgreement: policy.minTempoAgreement,
  });
  const keyProfile = options.keyProfile ?? DEFAULT_KEY_PROFILE;
  const key = estimateKey(evidence.pitch, keyProfile);
  const notes: string[] = [];
  let bpm: Bpm | null = null;
  if (tempo.reason === "drifting")
    notes.push(`tempo drifts (windows spread ${(tempo.spread * 100).toFixed(1)}%): no BPM given`);
  else if (tempo.bpm === null) notes.push("no steady beat found");
  else if (tempo.confidence < policy.minBpmConfidence)
    notes.push(`beat too weak to trust (confidence ${tempo.confidence})`);
  else bpm = { value: tempo.bpm, confidence: tempo.confidence, source: "audio" };
  let keyAnswer: Key | null = null;
  if (!key) notes.push("no tonal content");
  else if (key.confidence < policy.minKeyConfidence)
    notes.push(`key unclear (best ${keyName(key.key)}, confidence ${round2(key.confidence)})`);
  else keyAnswer = keyOf(key);
  return {
    bpm,
    key: keyAnswer,
    seconds: Math.round(evidence.seconds * 10) / 10,
    notes,
    details: {
      tempoRange: range,
      tempoStyle: style,
      tempo,
      tuningCents: key?.tuningCents ?? null,
      keyProfile,
    },
  };
}

/**
 * The answer with the measured values in place: a value measured from the audio always wins over an
 * LLM estimate; a value the audio could not give leaves the answer's own (an estimate stays marked).
 */
export function withAudioFeatures(answer: TrackMetadata, features: AudioFeatures): TrackMetadata {
  const bpm = features.bpm ?? answer.audioFeatures.bpm;
  const key = features.key ?? answer.audioFeatures.key;
  return {
    ...answer,
    audioFeatures: {
      ...answer.audioFeatures,
      bpm,
      key,
      estimated: bpm?.source === "llm" || key?.source === "llm",
    },
  };
}

/** The styles and genres of an answer, most specific first, for the tempo's octave. */
export function stylesOf(answer: Pick<TrackMetadata, "style" | "genre">): string[] {
  return [...answer.style, ...answer.genre];
}

/**
 * The answer with what the audio gave: the measured values in place, and a warning for each value left
 * out (with why), or one for audio that could not be analysed at all.
 */
export function answerWithAudio(
  answer: TrackMetadata,
  outcome: AudioFeatures | { error: string },
): TrackMetadata {
  if ("error" in outcome)
    return {
      ...answer,
      warnings: [
        ...answer.warnings,
        warning("audio-unanalysed", "audio", `audio not analysed: ${outcome.error}`),
      ],
    };
  const merged = withAudioFeatures(answer, outcome);
  const notes = outcome.notes.map((n) => warning("audio-uncertain", "audio", n));
  return notes.length > 0 ? { ...merged, warnings: [...merged.warnings, ...notes] } : merged;
}
