import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WRITABLE_EXTENSIONS } from "../../src/adapters/tags/taglib.js";
import { AUDIO_EXTENSIONS } from "../../src/cli/files.js";
import { runCli } from "../../src/cli/program.js";
import { TrackMetadataSchema } from "../../src/core/schema.js";
import { makeAudio, requireFfmpeg } from "../audio.js";
import { startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { captureCli, DUMP_DIR } from "../helpers.js";

const AUDIO = join(import.meta.dirname, "../fixtures/audio");
const CACHE = mkdtempSync(join(tmpdir(), "discmeta-cli-"));
afterAll(() => rmSync(CACHE, { recursive: true, force: true }));

/** Captures output; the cache folder is private to this file, and Discogs is off unless asked. */
function capture(env: Record<string, string> = { METADATA_USE_DISCOGS: "false" }) {
  return captureCli({ DISCMETA_CACHE_DIR: CACHE, ...env });
}

describe("discmeta enrich", () => {
  it("prints valid JSON for the plan's two samples", async () => {
    const c = capture({});
    const code = await runCli(
      [
        "enrich",
        join(AUDIO, "T-Fire - Say A Prayer.flac"),
        join(AUDIO, "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus"),
      ],
      c.io,
    );
    expect(code).toBe(0);
    const lines = c
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(TrackMetadataSchema.safeParse(line).success).toBe(true);
      expect(line).toMatchObject({ artist: "T-Fire", title: "Say A Prayer" });
    }
    expect(lines[1]).toMatchObject({ year: 1979, country: "Nigeria" });
    // No token: the bundled sample index answers, and T-Fire is not in it.
    expect(c.err()).toMatch(/bundled 810-release sample/);
    expect(lines[0].diagnostics.catalog).toBe("index");
    expect(lines[0].diagnostics.discogsRequests).toBe(0);
  });

  it("lets a file's tag pair beat its name, and places it on its album (tags beat names)", async () => {
    requireFfmpeg();
    const dir = join(CACHE, "Solitaire - Solitaire (1995)");
    mkdirSync(dir, { recursive: true });
    const tags = { artist: "Solitaire", album: "Solitaire" };
    const files = [
      makeAudio(dir, "03 - Damaskus - Dakar", "ogg vorbis", { ...tags, title: "Damaskus - Dakar" }),
      makeAudio(dir, "04 - Indian Mantra", "ogg vorbis", { ...tags, title: "Indian Mantra" }),
    ];
    const c = capture({});
    expect(await runCli(["enrich", dir], c.io)).toBe(0);
    const [dakar, mantra] = c
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dakar).toMatchObject({
      file: files[0],
      artist: "Solitaire",
      title: "Damaskus - Dakar",
      source: "discogs",
      discogs: { releaseId: 59 },
      trackPosition: "3",
      match: { recommendation: "strong" },
      albumMatch: { releaseId: 59, items: 2 },
    });
    expect(mantra).toMatchObject({ discogs: { releaseId: 59 }, trackPosition: "4" });
    expect(dakar.diagnostics.indexLookups + mantra.diagnostics.indexLookups).toBeGreaterThan(0);
    // A rerun is answered from the cache, and reports what it spent: nothing.
    const again = capture({});
    expect(await runCli(["enrich", dir], again.io)).toBe(0);
    for (const line of again
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))) {
      expect(line).toMatchObject({ cached: true, discogs: { releaseId: 59 } });
      expect(line.diagnostics).toMatchObject({ discogsRequests: 0, indexLookups: 0, llmCalls: 0 });
      expect(line.diagnostics.stages.every((s: { ms: number }) => s.ms === 0)).toBe(true);
    }
  });

  it("accepts --json as tag does, and collects every extension tag can write (.m4b too)", async () => {
    const c = capture();
    expect(await runCli(["enrich", "--json", join(AUDIO, "Mateo & Matos - Groove 4 U.mp3")], c.io)).toBe(0);
    expect(JSON.parse(c.out().trim())).toMatchObject({ artist: "Mateo & Matos" });
    for (const ext of WRITABLE_EXTENSIONS) expect(AUDIO_EXTENSIONS.has(ext)).toBe(true);
  });

  it("prints its notices (the bundled sample, the LLM off) once per cache folder, or always with -v", async () => {
    const cache = mkdtempSync(join(tmpdir(), "discmeta-notices-"));
    const env = { DISCMETA_CACHE_DIR: cache, METADATA_MODE: "balanced" };
    const file = join(AUDIO, "Mateo & Matos - Groove 4 U.mp3");
    const first = captureCli(env);
    expect(await runCli(["enrich", file], first.io)).toBe(0);
    expect(first.err()).toMatch(/bundled 810-release sample/);
    expect(first.err()).toMatch(/LLM disabled/);
    const second = captureCli(env);
    expect(await runCli(["enrich", file], second.io)).toBe(0);
    expect(second.err()).not.toMatch(/bundled 810-release sample|LLM disabled/);
    const verbose = captureCli(env);
    expect(await runCli(["enrich", "-v", file], verbose.io)).toBe(0);
    expect(verbose.err()).toMatch(/bundled 810-release sample/);
    rmSync(cache, { recursive: true, force: true });
  });

  it("on Ctrl-C prints what is finished, then the summary, and exits 130; a second Ctrl-C quits at once", async () => {
    const sim = await startDiscogsSimulator({ dumpDir: DUMP_DIR, faults: { latencyMs: 60 } });
    try {
      const out: string[] = [];
      const err: string[] = [];
      const exits: number[] = [];
      let interrupt: (() => void) | undefined;
      const io = {
        stdout: {
          write: (s: string) => {
            out.push(s);
            // The first answer printed: the user presses Ctrl-C, twice.
            if (out.length === 1)
              setTimeout(() => {
                interrupt?.();
                interrupt?.();
              }, 0);
            return true;
          },
        },
        stderr: { write: (s: string) => err.push(s) },
        env: {
          DISCMETA_CACHE_DIR: mkdtempSync(join(tmpdir(), "discmeta-sigint-")),
          DISCOGS_API_URL: sim.url,
          DISCOGS_USER_TOKEN: "t",
          METADATA_MODE: "fast",
        },
        onInterrupt: (handler: () => void) => {
          interrupt = handler;
          return () => {
            interrupt = undefined;
          };
        },
        exitNow: (code: number) => exits.push(code),
      };
      const names = [
        "The Persuader - Östermalm",
        "Mateo & Matos - Groove 4 U",
        "Blue Six - Pure",
        "Larry Heard - Missing You",
      ];
      const dir = mkdtempSync(join(tmpdir(), "discmeta-sigint-files-"));
      for (const n of names)
        copyFileSync(join(AUDIO, "Mateo & Matos - Groove 4 U.mp3"), join(dir, `${n}.mp3`));
      const code = await runCli(["enrich", "--singles", "--concurrency", "1", dir], io);
      expect(code).toBe(130);
      const lines = out
        .join("")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThan(names.length);
      expect(err.join("")).toMatch(/interrupted: printing what is finished/);
      expect(err.join("")).toMatch(/interrupted after \d+ of 4/);
      expect(exits).toEqual([130]);
    } finally {
      await sim.close();
    }
  });

  it("recurses into folders, in a stable order", async () => {
    const c = capture();
    expect(await runCli(["enrich", AUDIO], c.io)).toBe(0);
    const files = c
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).file as string);
    expect(files.length).toBeGreaterThanOrEqual(9);
    expect(files).toEqual([...files].sort((a, b) => a.localeCompare(b)));
  });

  it("pretty-prints", async () => {
    const c = capture();
    await runCli(["enrich", "--pretty", join(AUDIO, "id3v23.mp3")], c.io);
    expect(c.out()).toContain('\n  "artist": "Rick Astley"');
  });

  it("exits non-zero with a clear message on a missing path", async () => {
    const c = capture();
    expect(await runCli(["enrich", join(AUDIO, "nope.mp3")], c.io)).toBe(2);
    expect(c.err()).toMatch(/cannot read ".*nope\.mp3": no such file or folder/);
    expect(c.err()).not.toMatch(/\bat \w+ \(/); // no stack trace
  });

  it("matches a track of the bundled sample for real, with no token and no service", async () => {
    const c = capture({});
    expect(await runCli(["enrich", join(AUDIO, "Mateo & Matos - Groove 4 U.mp3")], c.io)).toBe(0);
    const answer = JSON.parse(c.out());
    expect(answer).toMatchObject({ source: "discogs", artist: "Mateo & Matos", title: "Groove 4 U" });
    expect(answer.discogs.releaseId).toBeGreaterThan(0);
    expect(answer.diagnostics).toMatchObject({ catalog: "index", discogsRequests: 0 });
    expect(c.err()).toMatch(/1 track in .*1 matched, 0 fallback, 0 failed/);
  });

  it("skips a named file that is not audio, with a note", async () => {
    const c = capture();
    expect(await runCli(["enrich", join(import.meta.dirname, "enrich.test.ts")], c.io)).toBe(0);
    expect(c.out()).toBe("");
    expect(c.err()).toMatch(/skipped ".*enrich\.test\.ts": not an audio file/);
  });

  it("keeps going past a corrupt file, using its name", async () => {
    const c = capture();
    expect(await runCli(["enrich", join(AUDIO, "corrupt.mp3")], c.io)).toBe(0);
    expect(c.err()).toMatch(/corrupt\.mp3.*using the filename only/);
    expect(JSON.parse(c.out()).warnings[0]).toMatchObject({
      code: "unreadable-tags",
      message: expect.stringMatching(/^unreadable tags/),
    });
  });

  it.each([
    [
      ["enrich", "--mode", "turbo", "x"],
      /argument 'turbo' is invalid. Allowed choices are fast, balanced, accurate/,
    ],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["enrih", "x"], /Did you mean enrich\?/],
    [["enrich", "--prety", "x"], /unknown option '--prety'\n\(Did you mean --pretty\?\)/],
    [["enrich"], /missing required argument 'paths'/],
    [["enrich", "--concurrency", "x", "y"], /--concurrency <n>' argument 'x' is invalid/],
  ])("rejects %j", async (argv, message) => {
    const c = capture();
    expect(await runCli(argv, c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });

  it("reports a bad environment variable by name", async () => {
    const c = capture({ METADATA_MODE: "turbo" });
    expect(await runCli(["enrich", AUDIO], c.io)).toBe(2);
    expect(c.err()).toMatch(/METADATA_MODE must be one of/);
  });

  it.each([[["--help"]], [["help"]], [[]], [["enrich", "--help"]]])(
    "prints help on stdout for %j",
    async (argv) => {
      const c = capture();
      expect(await runCli(argv, c.io)).toBe(0);
      expect(c.out()).toMatch(/Usage: discmeta/);
      expect(c.out()).toMatch(/DISCOGS_USER_TOKEN/);
      expect(c.out()).toMatch(/Exit codes:/);
      expect(c.err()).toBe("");
    },
  );

  it("prints its version", async () => {
    const c = capture();
    expect(await runCli(["--version"], c.io)).toBe(0);
    expect(c.out().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
