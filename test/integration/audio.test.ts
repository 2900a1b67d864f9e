/**
 * BPM and key from real files: synthetic music with a known tempo and key, encoded by ffmpeg in every
 * format discmeta reads, decoded by the real decoder (ffmpeg in its own process), and reported through
 * every face: `discmeta analyze`, `discmeta tag --analyze --write`, the multipart upload with
 * analyze=true, and the library's enrichFile({analyze}). Matching runs over the Discogs simulator.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFfmpegDecoder } from "../../src/adapters/audio/ffmpeg.js";
import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { runCli } from "../../src/cli/program.js";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { ANALYSIS_SAMPLE_RATE, analyzeAudio } from "../../src/core/audio/analyze.js";
import { AbortedError, AudioUnavailableError, InvalidInputError } from "../../src/core/errors.js";
import { TrackMetadataSchema } from "../../src/core/schema.js";
import { buildServer } from "../../src/http/server.js";
import { createEnricher } from "../../src/index.js";
import { FORMATS, type FormatName, makeMusic, requireFfmpeg } from "../audio.js";
import type { SynthSpec } from "../fakes/audio-synth.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { captureCli, DUMP_DIR, FIXTURES } from "../helpers.js";

const ROOT = mkdtempSync(join(tmpdir(), "discmeta-audio-"));
const SONG: SynthSpec = { bpm: 128, tonic: 9, mode: "minor", seconds: 14, seed: 3 };
const decoder = createFfmpegDecoder();
let sim: DiscogsSimulator;

beforeAll(async () => {
  requireFfmpeg();
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: [join(FIXTURES, "discogs/t-fire.json")],
    rateLimit: { authenticated: 100_000 },
  });
});
afterAll(async () => {
  await sim?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

const near = (got: number | undefined, want: number, by = 0.2) =>
  expect(Math.abs((got ?? Number.NaN) - want)).toBeLessThanOrEqual(by);

describe("the ffmpeg decoder", () => {
  const dir = join(ROOT, "formats");
  const formats = [
    ...(Object.keys(FORMATS) as FormatName[]).filter((f) => f !== "mp3 (ID3v2.3)"),
    "wav",
  ] as const;

  it.each(formats)("decodes %s and the analysis finds 128 BPM in A minor", async (format) => {
    mkdirSync(dir, { recursive: true });
    const path = makeMusic(dir, format.replace(/\W+/g, "-"), format, SONG);
    let samples = 0;
    let chunks = 0;
    for await (const c of decoder.decode(path, { sampleRate: ANALYSIS_SAMPLE_RATE, maxSeconds: 600 })) {
      samples += c.length;
      chunks++;
    }
    // Streamed in many chunks, about 14 s at 11,025 Hz (codecs pad a little).
    expect(chunks).toBeGreaterThan(1);
    near(samples / ANALYSIS_SAMPLE_RATE, 14, 0.2);
    const f = await analyzeAudio(decoder, path);
    near(f.bpm?.value, 128);
    expect(f.key).toMatchObject({ value: "A minor", camelot: "8A", openKey: "1m", source: "audio" });
  });

  it("stops at the length cap", async () => {
    const path = makeMusic(dir, "cap", "flac", SONG);
    let samples = 0;
    for await (const c of decoder.decode(path, { sampleRate: ANALYSIS_SAMPLE_RATE, maxSeconds: 3 }))
      samples += c.length;
    near(samples / ANALYSIS_SAMPLE_RATE, 3, 0.05);
  });

  it("reads names ffmpeg would take for options or URLs as local files", async () => {
    const odd = join(dir, "odd");
    mkdirSync(odd, { recursive: true });
    for (const name of ["-y", "http:x", "pipe:1"]) {
      const path = makeMusic(odd, name, "mp3 (ID3v2.4)", { ...SONG, seconds: 6 });
      const f = await analyzeAudio(decoder, path);
      expect(f.seconds).toBeGreaterThan(5);
    }
  });

  it("a file it cannot decode is bad input, named without the server's path", async () => {
    const bad = join(dir, "not-audio.mp3");
    writeFileSync(bad, "this is not audio at all");
    const err = await analyzeAudio(decoder, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^audio: cannot decode the file: /);
    expect((err as Error).message).not.toContain(ROOT);
  });

  it("no ffmpeg is a clear error, not a crash", async () => {
    const err = await analyzeAudio(
      createFfmpegDecoder({ binary: join(ROOT, "no-such-ffmpeg") }),
      join(FIXTURES, "audio/aac.m4a"),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioUnavailableError);
    expect((err as Error).message).toMatch(/install ffmpeg or set FFMPEG_PATH/);
  });

  it("an abort kills the decoder", async () => {
    const path = makeMusic(dir, "abort", "flac", { ...SONG, seconds: 30 });
    const controller = new AbortController();
    const seen: number[] = [];
    const err = await (async () => {
      for await (const c of decoder.decode(path, {
        sampleRate: ANALYSIS_SAMPLE_RATE,
        maxSeconds: 600,
        signal: controller.signal,
      })) {
        seen.push(c.length);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe("discmeta analyze", () => {
  const dir = join(ROOT, "analyze");
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    makeMusic(dir, "a", "mp3 (ID3v2.4)", SONG);
    makeMusic(dir, "b", "m4a", { bpm: 174, tonic: 5, mode: "minor", seconds: 14, pattern: "halftime" });
  });
  const env = () => ({ DISCMETA_CACHE_DIR: join(ROOT, "cache-analyze") });

  it("prints one JSON object per file, in order", async () => {
    const c = captureCli(env());
    expect(await runCli(["analyze", "--json", dir], c.io)).toBe(0);
    const [a, b] = c.lines<{ file: string; bpm: { value: number }; key: { value: string } }>();
    expect(a!.file).toMatch(/a\.mp3$/);
    near(a!.bpm.value, 128);
    expect(a!.key.value).toBe("A minor");
    // No style known: the half-time feel reads as 87.
    near(b!.bpm.value, 87);
    expect(b!.key.value).toBe("F minor");
  });

  it("takes a style for the octave, and shows keys in the chosen notation", async () => {
    const c = captureCli(env());
    const code = await runCli(
      ["analyze", "--style", "Drum n Bass", "--key-notation", "camelot", join(dir, "b.m4a")],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.out()).toMatch(/b\.m4a\t17[34]\.\d BPM \(\d\.\d\d\)\s+4A \(4A, 9m; \d\.\d\d\)/);
  });

  it("exit 1 for a file that cannot be decoded, 2 without ffmpeg", async () => {
    const c = captureCli(env());
    expect(await runCli(["analyze", join(FIXTURES, "audio/corrupt.mp3"), join(dir, "a.mp3")], c.io)).toBe(1);
    expect(c.out()).toMatch(/corrupt\.mp3\tfailed\n.*a\.mp3\t128/);
    expect(c.err()).toMatch(/corrupt\.mp3: audio: cannot decode the file/);
    const none = captureCli({ ...env(), FFMPEG_PATH: join(ROOT, "no-ffmpeg") });
    expect(await runCli(["analyze", join(dir, "a.mp3")], none.io)).toBe(2);
    expect(none.err()).toMatch(/install ffmpeg or set FFMPEG_PATH/);
  });
});

describe("discmeta tag --analyze", () => {
  it("writes the measured BPM and key beside the match, in the chosen notation", async () => {
    const album = join(ROOT, "tag", "The Persuader - Stockholm (1999)");
    mkdirSync(album, { recursive: true });
    const mp3 = makeMusic(album, "01 - Östermalm", "mp3 (ID3v2.4)", SONG);
    const flac = makeMusic(album, "02 - Vasastaden", "flac", { ...SONG, bpm: 122, tonic: 0, mode: "major" });
    const c = captureCli({
      DISCMETA_CACHE_DIR: join(ROOT, "cache-tag"),
      DISCOGS_USER_TOKEN: "t",
      DISCOGS_API_URL: sim.url,
      METADATA_MODE: "fast",
    });
    const code = await runCli(
      ["tag", "--json", "--write", "--analyze", "--key-notation", "camelot", album],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.lines<{ status: string }>().map((l) => l.status)).toEqual(["written", "written"]);
    const reader = createMusicMetadataReader();
    const first = (await reader.readValues(mp3)).values;
    expect(first).toMatchObject({ album: ["Stockholm"], bpm: ["128"], key: ["8A"] });
    expect((await reader.readValues(flac)).values).toMatchObject({ bpm: ["122"], key: ["8B"] });
    // Without --analyze nothing is measured, and no guess is written.
    const again = captureCli({
      DISCMETA_CACHE_DIR: join(ROOT, "cache-tag"),
      DISCOGS_USER_TOKEN: "t",
      DISCOGS_API_URL: sim.url,
    });
    expect(await runCli(["tag", "--json", album], again.io)).toBe(0);
    expect(again.lines<{ status: string }>().map((l) => l.status)).toEqual(["unchanged", "unchanged"]);
  });
});

describe("the multipart upload with analyze=true", () => {
  const boundary = "----discmeta-audio";
  const body = (file: Buffer | null, fields: Record<string, string>) =>
    Buffer.concat([
      ...Object.entries(fields).map(([k, v]) =>
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
      ),
      ...(file
        ? [
            Buffer.from(
              `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="T-Fire - Say A Prayer.ogg"\r\nContent-Type: audio/ogg\r\n\r\n`,
            ),
            file,
            Buffer.from("\r\n"),
          ]
        : []),
      Buffer.from(`--${boundary}--\r\n`),
    ]);

  it("measures the uploaded audio, then deletes it; a bad analyze field is a 400", async () => {
    const container = createContainer(
      loadConfig({ DISCOGS_API_URL: sim.url, DISCOGS_USER_TOKEN: "tok", METADATA_MODE: "fast" }),
    );
    const app = await buildServer(container);
    try {
      const dir = join(ROOT, "upload");
      mkdirSync(dir, { recursive: true });
      const file = await readFile(makeMusic(dir, "song", "ogg vorbis", SONG));
      const uploads = () => readdirSync(tmpdir()).filter((n) => n.startsWith("discmeta-upload-")).length;
      const before = uploads();
      const post = (payload: Buffer) =>
        app.inject({
          method: "POST",
          url: "/api/v1/audio/metadata/ai",
          payload,
          headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        });
      // The field may come after the file.
      const res = await post(
        Buffer.concat([
          body(file, {}).subarray(0, -`--${boundary}--\r\n`.length),
          body(null, { analyze: "true" }),
        ]),
      );
      expect(res.statusCode).toBe(200);
      const r = TrackMetadataSchema.parse(res.json());
      expect(r).toMatchObject({ source: "discogs", artist: "T-Fire" });
      near(r.audioFeatures.bpm?.value, 128);
      expect(r.audioFeatures).toMatchObject({ key: { value: "A minor", source: "audio" }, estimated: false });
      expect(uploads()).toBe(before);
      // Without analyze, no BPM.
      const plain = await post(body(file, { mode: "fast" }));
      expect(plain.json().audioFeatures.bpm).toBeNull();
      for (const [fields, withFile, message] of [
        [{ analyze: "maybe" }, true, /analyze: must be true or false/],
        [{ analyze: "true", filename: "T-Fire - Say A Prayer.ogg" }, false, /analyze: needs the audio/],
      ] as const) {
        const bad = await post(body(withFile ? file : null, fields));
        expect(bad.statusCode).toBe(400);
        expect(bad.json().message).toMatch(message);
      }
      expect(uploads()).toBe(before);
    } finally {
      await app.close();
      await container.dispose();
    }
  });

  it("a corrupt upload still gets its answer, with the reason it has no BPM", async () => {
    const container = createContainer(
      loadConfig({ DISCOGS_API_URL: sim.url, DISCOGS_USER_TOKEN: "tok", METADATA_MODE: "fast" }),
    );
    const app = await buildServer(container);
    try {
      const res = await app.inject({
        method: "POST",
        url: "/api/v1/audio/metadata/ai",
        payload: body(Buffer.from("not audio"), { analyze: "1" }),
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      });
      expect(res.statusCode).toBe(200);
      const r = res.json();
      expect(r.artist).toBe("T-Fire");
      expect(r.audioFeatures.bpm).toBeNull();
      expect(r.warnings.map((w: { code: string }) => w.code)).toContain("audio-unanalysed");
    } finally {
      await app.close();
      await container.dispose();
    }
  });
});

describe("the library", () => {
  it("enrichFile({analyze: true}) measures BPM and key; without it, none", async () => {
    const dir = join(ROOT, "library");
    mkdirSync(dir, { recursive: true });
    const path = makeMusic(dir, "T-Fire - Say A Prayer", "flac", SONG);
    const enricher = createEnricher({
      env: {
        DISCOGS_API_URL: sim.url,
        DISCOGS_USER_TOKEN: "lib",
        METADATA_MODE: "fast",
        METADATA_CACHE_ENABLED: "false",
      },
    });
    try {
      const r = await enricher.enrichFile(path, { analyze: true });
      expect(r.source).toBe("discogs");
      near(r.audioFeatures.bpm?.value, 128);
      expect(r.audioFeatures.key?.camelot).toBe("8A");
      expect((await enricher.enrichFile(path)).audioFeatures.bpm).toBeNull();
      // A file that cannot be decoded costs only the BPM and key.
      const garbage = join(dir, "T-Fire - Say A Prayer (garbage).flac");
      writeFileSync(garbage, "not audio");
      const bad = await enricher.enrichFile(garbage, { analyze: true });
      expect(bad.warnings.map((w) => w.code)).toContain("audio-unanalysed");
    } finally {
      await enricher.dispose();
    }
  });
});
