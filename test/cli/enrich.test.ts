import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/enrich.js";
import { TrackMetadataSchema } from "../../src/core/schema.js";

const AUDIO = join(import.meta.dirname, "../fixtures/audio");

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

describe("discmeta enrich", () => {
  it("prints valid JSON for the plan's two samples", async () => {
    const c = capture();
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
    expect(lines[0].warnings.join(" ")).toMatch(/discogs skipped: .*DISCOGS_USER_TOKEN/);
  });

  it("recurses into folders, in a stable order", async () => {
    const c = capture();
    expect(await runCli(["enrich", AUDIO], c.io)).toBe(0);
    const files = c
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).file as string);
    expect(files.length).toBeGreaterThanOrEqual(10);
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

  it("keeps going past a corrupt file, using its name", async () => {
    const c = capture();
    expect(await runCli(["enrich", join(AUDIO, "corrupt.mp3")], c.io)).toBe(0);
    expect(c.err()).toMatch(/corrupt\.mp3.*using the filename only/);
    expect(JSON.parse(c.out()).warnings[0]).toMatch(/^unreadable tags/);
  });

  it.each([
    [["enrich", "--mode", "turbo", "x"], /--mode must be one of fast, balanced, accurate/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["enrich"], /needs at least one file/],
    [["enrich", "--concurrency", "0", "x"], /--concurrency must be/],
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

  it("prints help", async () => {
    const c = capture();
    expect(await runCli(["--help"], c.io)).toBe(0);
    expect(c.err()).toMatch(/Usage: discmeta enrich/);
  });
});
