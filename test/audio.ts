/**
 * Real audio files for the tag-writing tests, made by ffmpeg (Debian's package; .ci/run installs it):
 * about a second of tone in each format, with a few tags of its own, and the decoded audio's MD5.
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type SynthSpec, synthesize, wavBytes } from "./fakes/audio-synth.js";

/** The formats `discmeta tag` writes, with the ffmpeg arguments that make each. */
export const FORMATS = {
  "mp3 (ID3v2.4)": { ext: ".mp3", args: ["-c:a", "libmp3lame", "-b:a", "32k", "-id3v2_version", "4"] },
  "mp3 (ID3v2.3)": { ext: ".mp3", args: ["-c:a", "libmp3lame", "-b:a", "32k", "-id3v2_version", "3"] },
  flac: { ext: ".flac", args: ["-c:a", "flac"] },
  "ogg vorbis": { ext: ".ogg", args: ["-c:a", "libvorbis", "-q:a", "0"] },
  opus: { ext: ".opus", args: ["-c:a", "libopus", "-b:a", "16k"], rate: 48000 },
  m4a: { ext: ".m4a", args: ["-c:a", "aac", "-b:a", "32k"] },
} as const satisfies Record<string, { ext: string; args: readonly string[]; rate?: number }>;
export type FormatName = keyof typeof FORMATS;

/** Fails with a clear message when ffmpeg is missing. */
export function requireFfmpeg(): void {
  try {
    execFileSync("ffmpeg", ["-version"], { stdio: "ignore" });
  } catch {
    throw new Error("these tests need ffmpeg: apt-get install ffmpeg (.ci/run installs it)");
  }
}

/** Makes `name` + the format's extension in `dir`, with tags; returns its path. */
export function makeAudio(
  dir: string,
  name: string,
  format: FormatName,
  tags: Record<string, string> = {},
  seconds = 1.2,
): string {
  const f = FORMATS[format];
  const path = join(dir, `${name}${f.ext}`);
  const rate = "rate" in f ? f.rate : 44100;
  execFileSync(
    "ffmpeg",
    [
      ...["-y", "-hide_banner", "-loglevel", "error"],
      ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}:sample_rate=${rate}`, "-ac", "1"],
      ...Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]),
      ...f.args,
      path,
    ],
    { stdio: "pipe" },
  );
  return path;
}

/** The MD5 of the decoded audio: equal before and after a tag write when the audio is untouched. */
export function audioMd5(path: string): string {
  return execFileSync(
    "ffmpeg",
    ["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a", "-f", "md5", "-"],
    {
      encoding: "utf8",
    },
  ).trim();
}

/**
 * Makes `name` + the format's extension in `dir` holding synthetic music with a known tempo and key
 * (fakes/audio-synth.ts), encoded by ffmpeg; returns its path.
 */
export function makeMusic(
  dir: string,
  name: string,
  format: FormatName | "wav",
  spec: SynthSpec,
  tags: Record<string, string> = {},
): string {
  const wav = join(dir, `${name}.source.wav`);
  writeFileSync(wav, wavBytes(synthesize({ sampleRate: 22050, ...spec }), spec.sampleRate ?? 22050));
  const ext = format === "wav" ? ".wav" : FORMATS[format].ext;
  const args = format === "wav" ? ["-c:a", "pcm_s16le"] : FORMATS[format].args;
  const path = join(dir, `${name}${ext}`);
  execFileSync(
    "ffmpeg",
    [
      ...["-y", "-hide_banner", "-loglevel", "error", "-i", wav],
      ...Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]),
      ...args,
      path,
    ],
    { stdio: "pipe" },
  );
  rmSync(wav);
  return path;
}
