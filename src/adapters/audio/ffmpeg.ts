/**
 * The audio decoder: ffmpeg in its own process, asked for mono 32-bit float samples at a low rate on
 * its standard output, read as they come (constant memory). ffmpeg decodes every format discmeta reads,
 * M4A/AAC included, with its native decoders; running it as a separate program keeps discmeta's MIT
 * licence clear of ffmpeg's. The file name is passed as an argument (no shell) with the `file:`
 * protocol, so a name such as "http:x.mp3" or "-y" is only ever a local file.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { AbortedError, AudioUnavailableError, InvalidInputError } from "../../core/errors.js";
import type { AudioDecoder } from "../../core/ports.js";

export interface FfmpegOptions {
  /** The ffmpeg program (FFMPEG_PATH); default "ffmpeg" on the PATH. */
  binary?: string;
}

/** The first line of ffmpeg's complaint, without the file's path, short. */
function complaint(stderr: string, path: string): string {
  const line =
    stderr
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "no audio stream";
  return line
    .split(path)
    .join("<file>")
    .replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, "")
    .slice(0, 200);
}

export function createFfmpegDecoder(options: FfmpegOptions = {}): AudioDecoder {
  const binary = options.binary ?? "ffmpeg";
  return {
    async *decode(path, { sampleRate, maxSeconds, signal }) {
      if (signal?.aborted) throw new AbortedError("audio: decoding cancelled");
      const absolute = resolve(path);
      const args = [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        `file:${absolute}`,
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-t",
        String(maxSeconds),
        "-ac",
        "1",
        "-ar",
        String(sampleRate),
        "-f",
        "f32le",
        "pipe:1",
      ];
      const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (d: string) => {
        if (stderr.length < 4096) stderr += d;
      });
      const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((done) => {
        child.once("error", (error: NodeJS.ErrnoException) => done({ code: null, error }));
        child.once("close", (code) => done({ code }));
      });
      const abort = () => child.kill("SIGKILL");
      signal?.addEventListener("abort", abort, { once: true });
      // Bytes of a sample split across two chunks wait for the rest.
      let carry: Buffer = Buffer.alloc(0);
      try {
        for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
          const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
          const whole = bytes.length - (bytes.length % 4);
          carry = bytes.subarray(whole);
          if (whole === 0) continue;
          // A copy, aligned for Float32Array (a Buffer's offset in its pool may not be).
          const samples = new Float32Array(whole / 4);
          new Uint8Array(samples.buffer).set(bytes.subarray(0, whole));
          yield samples;
        }
        const { code, error } = await exited;
        if (signal?.aborted) throw new AbortedError("audio: decoding cancelled");
        if (error?.code === "ENOENT")
          throw new AudioUnavailableError(
            `audio: cannot run "${binary}": install ffmpeg or set FFMPEG_PATH to analyse audio`,
          );
        if (error) throw new AudioUnavailableError(`audio: cannot run "${binary}": ${error.message}`);
        if (code !== 0)
          throw new InvalidInputError(`audio: cannot decode the file: ${complaint(stderr, absolute)}`, {
            field: "file",
          });
      } finally {
        signal?.removeEventListener("abort", abort);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    },
  };
}
