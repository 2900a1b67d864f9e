/**
 * BPM and key measured from audio, on a synthetic corpus with known answers: each track is synthesised
 * (test/fakes/audio-synth.ts: drums, bass and chords in a chosen key, tempo and tuning), encoded by
 * ffmpeg to MP3, Ogg Vorbis, Opus, M4A/AAC, FLAC or WAV, and decoded back by discmeta's own decoder, so
 * the whole path is measured. Tracks alternate between a dev half (used to choose the key profile and
 * the thresholds) and a held-out half (reported, never tuned on).
 *
 * Reported per half:
 * - BPM: within 0.5 BPM; within 4% (MIREX "Acc1"); octave errors; drifting tracks left out (as they
 *   should be); steady tracks wrongly left out;
 * - key, per profile: exact; MIREX weighted score (1 exact, 0.5 fifth, 0.3 relative, 0.2 parallel);
 *   answered share; drums-only tracks left without a key (as they should be);
 * - speed: seconds of audio per second of wall time, for decoding alone (the floor) and for decoding
 *   plus analysis, and the ratio of the two.
 *
 *   npm run eval:audio                 80 tracks of 30 s
 *   npm run eval:audio -- --tracks 40 --seconds 20
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createFfmpegDecoder } from "../../src/adapters/audio/ffmpeg.js";
import { ANALYSIS_SAMPLE_RATE, collectEvidence } from "../../src/core/audio/analyze.js";
import { measureFeatures } from "../../src/core/audio/features.js";
import { keyName, type MusicalKey, parseKey } from "../../src/core/audio/notation.js";
import { KEY_PROFILE_NAMES, type KeyProfileName } from "../../src/core/audio/profiles.js";
import { random, synthesize, wavBytes } from "../../test/fakes/audio-synth.js";

const { values: args } = parseArgs({
  options: {
    tracks: { type: "string", default: "80" },
    seconds: { type: "string", default: "30" },
  },
});
const TRACKS = Number(args.tracks);
const SECONDS = Number(args.seconds);
const STYLES: [string, number, number, "four" | "halftime" | "breaks"][] = [
  ["House", 118, 130, "four"],
  ["Techno", 125, 140, "four"],
  ["Trance", 130, 142, "four"],
  ["Drum n Bass", 165, 178, "halftime"],
  ["Hip Hop", 80, 100, "breaks"],
  ["Downtempo", 70, 100, "breaks"],
  ["Disco", 110, 128, "four"],
  ["Breakbeat", 125, 140, "breaks"],
];
const FORMATS: [ext: string, codec: string[]][] = [
  [".mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]],
  [".ogg", ["-c:a", "libvorbis", "-q:a", "3"]],
  [".opus", ["-c:a", "libopus", "-b:a", "64k"]],
  [".m4a", ["-c:a", "aac", "-b:a", "96k"]],
  [".flac", ["-c:a", "flac"]],
  [".wav", ["-c:a", "pcm_s16le"]],
];

interface Truth {
  bpm: number;
  key: MusicalKey;
  drifting: boolean;
  drumsOnly: boolean;
  styles: string[];
  format: string;
}

function caseOf(i: number): { spec: Parameters<typeof synthesize>[0]; truth: Omit<Truth, "format"> } {
  const rnd = random(1000 + i);
  const kind = rnd();
  // Tempos as styles have them, each style with its usual drum pattern; half the tracks have their
  // style known (as a Discogs match gives it), half not.
  const [style, low, high, pattern] = STYLES[Math.floor(rnd() * STYLES.length)]!;
  const bpm = Math.round((low + rnd() * (high - low)) * 10) / 10;
  const styles = rnd() < 0.5 ? [style] : [];
  const drifting = kind < 0.1;
  const drumsOnly = kind >= 0.1 && kind < 0.15;
  const key: MusicalKey = { tonic: Math.floor(rnd() * 12), mode: rnd() < 0.5 ? "major" : "minor" };
  return {
    spec: {
      bpm,
      ...(drifting ? { endBpm: bpm * (1.06 + rnd() * 0.06) } : {}),
      tonic: key.tonic,
      mode: key.mode,
      seconds: SECONDS,
      sampleRate: 22050,
      tuningCents: Math.round((rnd() * 2 - 1) * 45),
      harmonics: 1 + Math.floor(rnd() * 6),
      noise: rnd() * 0.04,
      pattern,
      harmony: !drumsOnly,
      seed: i + 1,
    },
    truth: { bpm, key, drifting, drumsOnly, styles },
  };
}

const RELATIVE = (a: MusicalKey, b: MusicalKey) =>
  a.mode !== b.mode && (a.mode === "major" ? (a.tonic + 9) % 12 === b.tonic : (a.tonic + 3) % 12 === b.tonic);
const FIFTH = (a: MusicalKey, b: MusicalKey) =>
  a.mode === b.mode && ((a.tonic + 7) % 12 === b.tonic || (a.tonic + 5) % 12 === b.tonic);

/** MIREX's weighted key score. */
function keyScore(truth: MusicalKey, got: MusicalKey | null): number {
  if (!got) return 0;
  if (got.tonic === truth.tonic && got.mode === truth.mode) return 1;
  if (FIFTH(truth, got)) return 0.5;
  if (RELATIVE(truth, got)) return 0.3;
  if (got.tonic === truth.tonic) return 0.2;
  return 0;
}

interface Tally {
  tracks: number;
  steady: number;
  bpmExact: number;
  bpmAcc1: number;
  octave: number;
  steadyDropped: number;
  drifting: number;
  driftDropped: number;
  tonal: number;
  drumsOnly: number;
  drumsNoKey: number;
  key: Record<string, { exact: number; score: number; answered: number; wrongSure: number }>;
}

function newTally(): Tally {
  return {
    tracks: 0,
    steady: 0,
    bpmExact: 0,
    bpmAcc1: 0,
    octave: 0,
    steadyDropped: 0,
    drifting: 0,
    driftDropped: 0,
    tonal: 0,
    drumsOnly: 0,
    drumsNoKey: 0,
    key: Object.fromEntries(
      KEY_PROFILE_NAMES.map((p) => [p, { exact: 0, score: 0, answered: 0, wrongSure: 0 }]),
    ),
  };
}

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "discmeta-audio-eval-"));
  const decoder = createFfmpegDecoder();
  const halves = { dev: newTally(), "held-out": newTally() };
  let audioSeconds = 0;
  let decodeMs = 0;
  let analyzeMs = 0;
  const misses: unknown[] = [];
  try {
    for (let i = 0; i < TRACKS; i++) {
      const { spec, truth } = caseOf(i);
      const [ext, codec] = FORMATS[i % FORMATS.length]!;
      const wav = join(dir, `${i}.src.wav`);
      const file = join(dir, `${i}${ext}`);
      await writeFile(wav, wavBytes(synthesize(spec), spec.sampleRate));
      execFileSync("ffmpeg", ["-y", "-hide_banner", "-loglevel", "error", "-i", wav, ...codec, file]);
      await rm(wav);
      // The floor: decoding alone, through the same decoder.
      let t = performance.now();
      for await (const _ of decoder.decode(file, { sampleRate: ANALYSIS_SAMPLE_RATE, maxSeconds: 600 })) {
        // only decoding
      }
      decodeMs += performance.now() - t;
      t = performance.now();
      const evidence = await collectEvidence(decoder, file);
      const measured = measureFeatures(evidence, { styles: truth.styles });
      analyzeMs += performance.now() - t;
      audioSeconds += evidence.seconds;
      const half = i % 2 === 0 ? halves.dev : halves["held-out"];
      half.tracks++;
      if (truth.drifting) {
        half.drifting++;
        if (measured.bpm === null) half.driftDropped++;
      } else {
        half.steady++;
        const got = measured.bpm?.value ?? null;
        if (got === null) half.steadyDropped++;
        else {
          if (Math.abs(got - truth.bpm) <= 0.5) half.bpmExact++;
          if (Math.abs(got / truth.bpm - 1) <= 0.04) half.bpmAcc1++;
          else if ([0.5, 2, 1 / 3, 3, 2 / 3, 1.5].some((f) => Math.abs(got / (truth.bpm * f) - 1) <= 0.04))
            half.octave++;
          if (Math.abs(got - truth.bpm) > 0.5)
            misses.push({ i, what: "bpm", truth: truth.bpm, got, styles: truth.styles, ext });
        }
      }
      if (truth.drumsOnly) {
        half.drumsOnly++;
        if (measured.key === null) half.drumsNoKey++;
        continue;
      }
      half.tonal++;
      for (const profile of KEY_PROFILE_NAMES) {
        const m = measureFeatures(evidence, { styles: truth.styles, keyProfile: profile as KeyProfileName });
        const got = m.key ? parseKey(m.key.value) : null;
        const k = half.key[profile]!;
        if (got) k.answered++;
        const score = keyScore(truth.key, got);
        k.score += score;
        if (score === 1) k.exact++;
        else if (got && m.key!.confidence >= 0.7) k.wrongSure++;
        if (profile === "edma" && score < 1)
          misses.push({ i, what: "key", truth: keyName(truth.key), got: m.key?.value ?? null, ext });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const rows: string[] = [];
  for (const [name, h] of Object.entries(halves)) {
    rows.push(
      `${name}: ${h.tracks} tracks | BPM ±0.5 ${pct(h.bpmExact, h.steady)}, within 4% ${pct(h.bpmAcc1, h.steady)}, ` +
        `octave/ternary errors ${pct(h.octave, h.steady)}, steady left out ${pct(h.steadyDropped, h.steady)}, ` +
        `drifting left out ${h.driftDropped}/${h.drifting}`,
    );
    for (const [profile, k] of Object.entries(h.key))
      rows.push(
        `  key ${profile.padEnd(10)} exact ${pct(k.exact, h.tonal)}, MIREX ${pct(k.score, h.tonal)}, ` +
          `answered ${pct(k.answered, h.tonal)}, wrong at confidence >= 0.7: ${k.wrongSure} | drums-only without key ${h.drumsNoKey}/${h.drumsOnly}`,
      );
  }
  rows.push(
    `speed: ${audioSeconds.toFixed(0)} s of audio; decoding alone ${(audioSeconds / (decodeMs / 1000)).toFixed(0)}x real time, ` +
      `decoding + analysis ${(audioSeconds / (analyzeMs / 1000)).toFixed(0)}x real time (analysis adds ${(analyzeMs / decodeMs).toFixed(2)}x the decoding floor)`,
  );
  console.log(rows.join("\n"));
  const out = resolve(import.meta.dirname, "../out");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "audio-misses.json"), JSON.stringify(misses, null, 2));
}

await main();
