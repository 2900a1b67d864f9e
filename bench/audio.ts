/**
 * Audio analysis speed and memory on long files: decoding alone (the floor, through the same ffmpeg
 * decoder) against decoding plus analysis, and the resident memory after a 1-minute and a 10-minute
 * file (constant memory means the second costs no more than the first).
 *
 *   npx tsx bench/audio.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createFfmpegDecoder } from "../src/adapters/audio/ffmpeg.js";
import { ANALYSIS_SAMPLE_RATE, analyzeAudio } from "../src/core/audio/analyze.js";
import { synthesize, wavBytes } from "../test/fakes/audio-synth.js";

const dir = mkdtempSync(join(tmpdir(), "discmeta-audio-bench-"));
const decoder = createFfmpegDecoder();

function make(name: string, seconds: number, codec: string[]): string {
  const wav = join(dir, `${name}.wav`);
  writeFileSync(
    wav,
    wavBytes(synthesize({ bpm: 126, tonic: 9, mode: "minor", seconds, sampleRate: 22050 }), 22050),
  );
  const out = join(dir, `${name}${codec[0] === "libmp3lame" ? ".mp3" : ".flac"}`);
  execFileSync("ffmpeg", ["-y", "-hide_banner", "-loglevel", "error", "-i", wav, "-c:a", ...codec, out]);
  rmSync(wav);
  return out;
}

async function floor(path: string): Promise<number> {
  const t = performance.now();
  for await (const _ of decoder.decode(path, { sampleRate: ANALYSIS_SAMPLE_RATE, maxSeconds: 600 })) {
    // decoding only
  }
  return performance.now() - t;
}

try {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? "?"} x${cpus().length}`);
  for (const [name, seconds, codec] of [
    ["6 min mp3 (192k)", 360, ["libmp3lame", "-b:a", "192k"]],
    ["6 min flac", 360, ["flac"]],
  ] as const) {
    const path = make(name.replace(/\W+/g, "-"), seconds, [...codec]);
    const d = Math.min(await floor(path), await floor(path));
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await analyzeAudio(decoder, path);
      runs.push(performance.now() - t);
    }
    const a = Math.min(...runs);
    console.log(
      `${name}: decoding alone ${(d / 1000).toFixed(2)} s (${(seconds / (d / 1000)).toFixed(0)}x real time); ` +
        `decoding + analysis ${(a / 1000).toFixed(2)} s (${(seconds / (a / 1000)).toFixed(0)}x real time), ` +
        `${(a / d).toFixed(2)}x the floor`,
    );
  }
  // Memory: the same analysis over 1 and 10 minutes.
  const short = make("one-minute", 60, ["flac"]);
  const long = make("ten-minutes", 600, ["flac"]);
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  await analyzeAudio(decoder, short);
  const afterShort = process.memoryUsage().rss;
  await analyzeAudio(decoder, long);
  const afterLong = process.memoryUsage().rss;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(
    `resident memory: ${mb(base)} MB before, ${mb(afterShort)} MB after 1 min, ${mb(afterLong)} MB after 10 min ` +
      `(+${mb(afterLong - afterShort)} MB for 9 more minutes of audio)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
