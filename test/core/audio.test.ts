/**
 * Audio analysis in the pure core: synthetic music with a known tempo, key and tuning goes through the
 * streaming analyzer, and what it reports is checked against the truth; the notations and the LLM's
 * estimates are checked as untrusted text.
 */
import { describe, expect, it } from "vitest";
import { type AudioEvidence, createAudioAnalyzer } from "../../src/core/audio/analyzer.js";
import {
  answerWithAudio,
  measureFeatures,
  stylesOf,
  tempoRangeFor,
  withAudioFeatures,
} from "../../src/core/audio/features.js";
import { contrast, rankKeys } from "../../src/core/audio/key.js";
import {
  camelot,
  KEY_NOTATIONS,
  keyName,
  type MusicalKey,
  openKey,
  parseKey,
  tagKey,
} from "../../src/core/audio/notation.js";
import { KEY_PROFILE_NAMES, KEY_PROFILES } from "../../src/core/audio/profiles.js";
import { applyDescription } from "../../src/core/pipeline/llm.js";
import { type TrackMetadata, TrackMetadataSchema } from "../../src/core/schema.js";
import { desiredValues } from "../../src/core/tagging/plan.js";
import { type SynthSpec, synthesize } from "../fakes/audio-synth.js";

const RATE = 11025;

/** Streams the synthesised samples in chunks of `chunk` samples. */
function evidenceOf(spec: SynthSpec, chunk = 4096): AudioEvidence {
  const samples = synthesize({ sampleRate: RATE, ...spec });
  const a = createAudioAnalyzer(RATE);
  for (let i = 0; i < samples.length; i += chunk) a.push(samples.subarray(i, i + chunk));
  return a.finish();
}

const ALL_KEYS: MusicalKey[] = Array.from({ length: 24 }, (_, i) => ({
  tonic: i % 12,
  mode: i < 12 ? "major" : "minor",
}));

describe("key notations", () => {
  it("names the wheel as DJ software does", () => {
    expect(camelot({ tonic: 9, mode: "minor" })).toBe("8A");
    expect(camelot({ tonic: 0, mode: "major" })).toBe("8B");
    expect(camelot({ tonic: 11, mode: "major" })).toBe("1B");
    expect(camelot({ tonic: 8, mode: "minor" })).toBe("1A");
    expect(openKey({ tonic: 0, mode: "major" })).toBe("1d");
    expect(openKey({ tonic: 9, mode: "minor" })).toBe("1m");
    expect(openKey({ tonic: 5, mode: "major" })).toBe("12d");
    expect(keyName({ tonic: 6, mode: "minor" })).toBe("F# minor");
    expect(tagKey({ tonic: 1, mode: "major" }, "standard")).toBe("Db");
    expect(tagKey({ tonic: 10, mode: "minor" }, "standard")).toBe("Bbm");
  });

  it("reads back every key in every notation", () => {
    for (const k of ALL_KEYS) {
      expect(parseKey(keyName(k))).toEqual(k);
      for (const n of KEY_NOTATIONS) expect(parseKey(tagKey(k, n))).toEqual(k);
    }
    expect(parseKey("a min")).toEqual({ tonic: 9, mode: "minor" });
    expect(parseKey("C#")).toEqual({ tonic: 1, mode: "major" });
  });

  it("rejects what is not a key", () => {
    for (const bad of ["H# major", "9999", "13A", "0B", "", "Am; DROP TABLE", "A".repeat(40), "AM"])
      expect(parseKey(bad)).toBeNull();
  });

  it("keeps each profile as twelve positive weights with a source", () => {
    for (const name of KEY_PROFILE_NAMES) {
      const p = KEY_PROFILES[name];
      expect(p.major).toHaveLength(12);
      expect(p.minor).toHaveLength(12);
      expect([...p.major, ...p.minor].every((v) => v > 0)).toBe(true);
      expect(p.source).toMatch(/\(\d{4}\)/);
    }
  });
});

describe("tempo", () => {
  it("measures a four-on-the-floor track to a tenth of a BPM", () => {
    const f = measureFeatures(evidenceOf({ bpm: 128, tonic: 9, mode: "minor", seconds: 40 }));
    expect(f.bpm).toMatchObject({ source: "audio" });
    expect(Math.abs(f.bpm!.value - 128)).toBeLessThanOrEqual(0.1);
    expect(f.bpm!.confidence).toBeGreaterThan(0.5);
    expect(f.details.tempo.steady).toBe(true);
  });

  it("measures a slow broken beat without doubling it", () => {
    const f = measureFeatures(
      evidenceOf({ bpm: 92.5, tonic: 2, mode: "major", seconds: 40, pattern: "breaks", seed: 4 }),
    );
    expect(Math.abs(f.bpm!.value - 92.5)).toBeLessThanOrEqual(0.2);
  });

  it("takes drum and bass at 174, not 87, when the match says drum and bass", () => {
    const e = evidenceOf({ bpm: 174, tonic: 5, mode: "minor", seconds: 40, pattern: "halftime" });
    const styled = measureFeatures(e, { styles: ["Drum n Bass"] });
    expect(Math.abs(styled.bpm!.value - 174)).toBeLessThanOrEqual(0.2);
    expect(styled.details.tempoStyle).toBe("Drum n Bass");
    // Without a style the half-time feel reads as 87: the octave is the style's to settle.
    const plain = measureFeatures(e);
    expect(Math.abs(plain.bpm!.value - 87)).toBeLessThanOrEqual(0.2);
    // A user's range does the same.
    expect(Math.abs(measureFeatures(e, { bpmRange: [120, 240] }).bpm!.value - 174)).toBeLessThanOrEqual(0.2);
  });

  it("leaves a drifting tempo out rather than lying", () => {
    const f = measureFeatures(evidenceOf({ bpm: 120, endBpm: 132, tonic: 2, mode: "major", seconds: 60 }));
    expect(f.bpm).toBeNull();
    expect(f.details.tempo.reason).toBe("drifting");
    expect(f.notes.join(" ")).toMatch(/tempo drifts/);
  });

  it("finds no beat in sustained chords alone, nor in silence", () => {
    const chords = measureFeatures(
      evidenceOf({ bpm: 100, tonic: 0, mode: "major", seconds: 20, drums: false, harmonics: 1 }),
    );
    expect(chords.key?.value).toBe("C major");
    const a = createAudioAnalyzer(RATE);
    a.push(new Float32Array(RATE * 10));
    const silent = measureFeatures(a.finish());
    expect(silent.bpm).toBeNull();
    expect(silent.key).toBeNull();
    expect(silent.notes).toEqual(["no steady beat found", "no tonal content"]);
  });

  it("gives the same answer whatever the chunk size", () => {
    const spec: SynthSpec = { bpm: 133, tonic: 7, mode: "minor", seconds: 15, seed: 9 };
    const a = measureFeatures(evidenceOf(spec, 37));
    const b = measureFeatures(evidenceOf(spec, 65536));
    expect(a.bpm).toEqual(b.bpm);
    expect(a.key).toEqual(b.key);
  });

  it("uses a style's range, else the default", () => {
    expect(tempoRangeFor(["Deep House", "House"], [70, 180])).toEqual({
      range: [110, 130],
      style: "Deep House",
    });
    expect(tempoRangeFor(["Not A Style"], [70, 180])).toEqual({ range: [70, 180], style: null });
    expect(stylesOf({ style: ["Dubstep"], genre: ["Electronic"] })).toEqual(["Dubstep", "Electronic"]);
  });
});

describe("key", () => {
  it.each([
    [{ tonic: 9, mode: "minor" }, "A minor", "8A", "1m"],
    [{ tonic: 0, mode: "major" }, "C major", "8B", "1d"],
    [{ tonic: 6, mode: "minor" }, "F# minor", "11A", "4m"],
    [{ tonic: 3, mode: "major" }, "Eb major", "5B", "10d"],
  ] as const)("reads %o as %s", (k, name, cam, open) => {
    const f = measureFeatures(evidenceOf({ bpm: 124, tonic: k.tonic, mode: k.mode, seconds: 30, seed: 3 }));
    expect(f.key).toMatchObject({ value: name, camelot: cam, openKey: open, source: "audio" });
    expect(f.key!.confidence).toBeGreaterThan(0.5);
  });

  it("reads a track tuned 40 cents sharp, and says how far", () => {
    const f = measureFeatures(
      evidenceOf({ bpm: 120, tonic: 4, mode: "minor", seconds: 30, tuningCents: 40, seed: 2 }),
    );
    expect(f.key?.value).toBe("E minor");
    expect(Math.abs(f.details.tuningCents! - 40)).toBeLessThanOrEqual(3);
  });

  it("gives no key for drums alone, nor for a lone tone", () => {
    const drums = measureFeatures(
      evidenceOf({ bpm: 126, tonic: 0, mode: "major", seconds: 20, harmony: false }),
    );
    expect(drums.bpm).not.toBeNull();
    expect(drums.key).toBeNull();
    const a = createAudioAnalyzer(RATE);
    const tone = new Float32Array(RATE * 5).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    a.push(tone);
    expect(measureFeatures(a.finish()).key).toBeNull();
  });

  it("ranks all 24 keys, and a flat chroma has no contrast", () => {
    const ranked = rankKeys([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], "krumhansl");
    expect(ranked).toHaveLength(24);
    expect(keyName(ranked[0]!.key)).toBe("C major");
    expect(contrast(new Array(12).fill(1))).toBe(1 / 6);
    expect(contrast(new Array(12).fill(0))).toBe(0);
  });
});

function answer(): TrackMetadata {
  return TrackMetadataSchema.parse({
    artist: "A",
    title: "T",
    mix: null,
    featuring: [],
    album: null,
    year: null,
    originalYear: null,
    country: null,
    label: null,
    catalogNumber: null,
    trackPosition: null,
    genre: ["Electronic"],
    style: ["Drum n Bass"],
    audioFeatures: { bpm: 87, key: "Am", vocals: null, atmosphere: [], estimated: true },
    context: { background: null, impact: null },
    description: null,
    tags: [],
    source: "simple",
    confidence: 0.3,
    cached: false,
    discogs: null,
    match: null,
    warnings: [],
    diagnostics: {
      mode: "fast",
      extraction: { source: "filename", confidence: 0.75, pattern: "x" },
      stages: [],
      discogsRequests: 0,
      llmCalls: 0,
      llmTasks: [],
    },
  });
}

describe("measured values in answers", () => {
  it("reads an answer cached in the old shape as the LLM's estimate", () => {
    const a = answer();
    expect(a.audioFeatures.bpm).toEqual({ value: 87, confidence: 0.8, source: "llm" });
    expect(a.audioFeatures.key).toMatchObject({ value: "A minor", camelot: "8A", source: "llm" });
  });

  it("a measured value wins over an estimate, and an estimate stays marked where none was measured", () => {
    const e = evidenceOf({
      bpm: 172,
      tonic: 0,
      mode: "major",
      seconds: 20,
      harmony: false,
      pattern: "halftime",
    });
    const f = measureFeatures(e, { styles: stylesOf(answer()) });
    const merged = answerWithAudio(answer(), f);
    expect(merged.audioFeatures.bpm).toMatchObject({ source: "audio" });
    expect(Math.abs(merged.audioFeatures.bpm!.value - 172)).toBeLessThanOrEqual(0.2);
    expect(merged.audioFeatures.key).toMatchObject({ value: "A minor", source: "llm" });
    expect(merged.audioFeatures.estimated).toBe(true);
    expect(merged.warnings.map((w) => w.code)).toEqual(["audio-uncertain"]);
    const failed = answerWithAudio(answer(), { error: "audio: cannot decode the file" });
    expect(failed.warnings[0]).toMatchObject({ code: "audio-unanalysed", stage: "audio" });
    expect(failed.audioFeatures.bpm).toEqual(answer().audioFeatures.bpm);
  });

  it("never lets an LLM estimate replace a measured value, and rejects impossible ones", () => {
    const measured = withAudioFeatures(answer(), {
      ...measureFeatures(evidenceOf({ bpm: 128, tonic: 9, mode: "minor", seconds: 20 })),
    });
    const described = {
      context: { background: null, impact: null },
      description: null,
      tags: [],
      vocals: null,
      atmosphere: [],
    };
    applyDescription(measured, {
      ...described,
      bpm: { value: "90", confidence: 0.99 },
      key: { value: "C major", confidence: 0.99 },
    });
    expect(measured.audioFeatures.bpm).toMatchObject({ source: "audio", value: 128 });
    expect(measured.audioFeatures.key).toMatchObject({ source: "audio", value: "A minor" });
    const guessed = answer();
    applyDescription(guessed, {
      ...described,
      bpm: { value: "9999", confidence: 1 },
      key: { value: "H# major", confidence: 1 },
    });
    expect(guessed.audioFeatures).toMatchObject({ bpm: null, key: null, estimated: false });
    applyDescription(guessed, {
      ...described,
      bpm: { value: "124", confidence: 0.95 },
      key: { value: "8A", confidence: 0.9 },
    });
    expect(guessed.audioFeatures.bpm).toEqual({ value: 124, confidence: 0.6, source: "llm" });
    expect(guessed.audioFeatures.key).toMatchObject({ value: "A minor", confidence: 0.6, source: "llm" });
  });

  it("writes a measured BPM and key as facts, in the chosen notation; a guess only when asked", () => {
    const measured = withAudioFeatures(
      answer(),
      measureFeatures(evidenceOf({ bpm: 128, tonic: 9, mode: "minor", seconds: 20 })),
    );
    expect(desiredValues(measured, { withDescriptions: false, keyNotation: "camelot" })).toMatchObject({
      bpm: ["128"],
      key: ["8A"],
    });
    expect(desiredValues(measured, { withDescriptions: false, keyNotation: "openkey" }).key).toEqual(["1m"]);
    expect(desiredValues(measured, { withDescriptions: false }).key).toEqual(["Am"]);
    const guessed = answer();
    expect(desiredValues(guessed, { withDescriptions: false }).bpm).toBeUndefined();
    expect(desiredValues(guessed, { withDescriptions: true }).bpm).toEqual(["87"]);
  });
});
