/**
 * A real SIGKILL during `discmeta tag --write` (#24 item 6): the CLI runs in its own process over large
 * files and is killed at the moment a temporary copy appears, and at other times. Every file must then be
 * either exactly as before or fully written (tags there, audio identical); no temporary file is ever
 * collected as audio; the next run tags the real files only, and removes stale temporary files.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { isWriterTemp } from "../../src/cli/files.js";
import { runCli } from "../../src/cli/program.js";
import { audioMd5, requireFfmpeg } from "../audio.js";
import { captureCli } from "../helpers.js";

const REPO = resolve(import.meta.dirname, "../..");
const ROOT = mkdtempSync(join(tmpdir(), "discmeta-kill-"));
const CACHE = join(ROOT, "cache");
const PRISTINE = join(ROOT, "pristine", "The Persuader - Stockholm (1999)");
const NAMES = ["01 - Östermalm.flac", "02 - Vasastaden.flac", "03 - Kungsholmen.flac", "04 - Södermalm.flac"];
const env = { ...process.env, DISCMETA_CACHE_DIR: CACHE, DISCOGS_USER_TOKEN: "", DISCOGS_INDEX_PATH: "" };
let originals: { bytes: Buffer; md5: string }[];

beforeAll(async () => {
  requireFfmpeg();
  mkdirSync(PRISTINE, { recursive: true });
  // Noise does not compress: about 4 MB of FLAC per file, so a write takes long enough to be caught.
  for (const name of NAMES)
    execFileSync("ffmpeg", [
      ...["-y", "-hide_banner", "-loglevel", "error", "-f", "lavfi"],
      ...["-i", "anoisesrc=duration=45:sample_rate=44100:amplitude=0.5", "-ac", "1", "-c:a", "flac"],
      join(PRISTINE, name),
    ]);
  originals = NAMES.map((n) => ({
    bytes: readFileSync(join(PRISTINE, n)),
    md5: audioMd5(join(PRISTINE, n)),
  }));
  // Warm the cache folder (the bundled sample catalogue is unpacked there once) with a dry run.
  const c = captureCli({ DISCMETA_CACHE_DIR: CACHE });
  expect(await runCli(["tag", "--json", PRISTINE], c.io)).toBe(0);
  expect(c.lines().map((l) => l.status)).toEqual(Array(4).fill("would-change"));
}, 120_000);
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

/** Runs `tag --write` on a copy of the album in its own process and SIGKILLs it when `when` says. */
async function killedRun(name: string, when: { atTemp: number } | { afterMs: number }) {
  const dir = join(ROOT, name, "The Persuader - Stockholm (1999)");
  cpSync(PRISTINE, dir, { recursive: true });
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "tag", "--write", "-q", dir], {
    cwd: REPO,
    env,
    stdio: "ignore",
  });
  const exited = new Promise<NodeJS.Signals | null>((done) =>
    child.once("exit", (_c, signal) => done(signal)),
  );
  let tempsSeen = 0;
  if ("atTemp" in when) {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000 && child.exitCode === null; i++) {
      for (const n of readdirSync(dir)) if (isWriterTemp(n)) seen.add(n);
      if (seen.size >= when.atTemp) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    tempsSeen = seen.size;
  } else {
    await new Promise((r) => setTimeout(r, when.afterMs));
  }
  child.kill("SIGKILL");
  const signal = await exited;
  return { dir, signal, tempsSeen };
}

/** Each file: untouched (the original bytes) or fully written (tags present, the audio identical). */
async function checkFiles(dir: string): Promise<{ untouched: number; written: number }> {
  const reader = createMusicMetadataReader();
  let untouched = 0;
  let written = 0;
  for (const [i, name] of NAMES.entries()) {
    const path = join(dir, name);
    if (readFileSync(path).equals(originals[i]!.bytes)) {
      untouched++;
      continue;
    }
    const { values } = await reader.readValues(path);
    expect(values.album).toEqual(["Stockholm"]);
    expect(values.discogsReleaseId).toEqual(["1"]);
    expect(audioMd5(path)).toBe(originals[i]!.md5);
    written++;
  }
  return { untouched, written };
}

describe("tag --write killed with SIGKILL", () => {
  it.each([
    ["at the first temporary copy", { atTemp: 1 }],
    ["at the third temporary copy", { atTemp: 3 }],
    ["after 1.5 s", { afterMs: 1500 }],
  ] as const)(
    "killed %s: every file whole, old or new; the next run tags only real files",
    async (label, when) => {
      const { dir, signal, tempsSeen } = await killedRun(label.replace(/\W+/g, "-"), when);
      if ("atTemp" in when) {
        // The kill really came mid-write: the process was alive when the copy appeared.
        expect(signal).toBe("SIGKILL");
        expect(tempsSeen).toBeGreaterThanOrEqual(when.atTemp);
      }
      const before = await checkFiles(dir);
      expect(before.untouched + before.written).toBe(4);
      const temps = readdirSync(dir).filter(isWriterTemp);
      // The next run lists the four real files, never a temporary one, and writes what is left.
      const c = captureCli({ DISCMETA_CACHE_DIR: CACHE });
      expect(await runCli(["tag", "--json", "--write", dir], c.io)).toBe(0);
      const lines = c.lines<{ file: string; status: string; reason: string | null }>();
      expect(lines.map((l) => l.file.split("/").at(-1))).toEqual(NAMES);
      const statuses = lines.map((l) => `${l.status}${l.reason ? ` (${l.reason})` : ""}`);
      expect(
        statuses.filter((x) => x === "unchanged"),
        statuses.join("; "),
      ).toHaveLength(before.written);
      expect(
        statuses.filter((x) => x === "written"),
        `${statuses.join("; ")} | ${c.err()}`,
      ).toHaveLength(before.untouched);
      expect((await checkFiles(dir)).written).toBe(4);
      // A temporary file older than a few minutes is stale: the run after removes it.
      const old = new Date(Date.now() - 10 * 60_000);
      for (const t of temps) utimesSync(join(dir, t), old, old);
      const again = captureCli({ DISCMETA_CACHE_DIR: CACHE });
      expect(await runCli(["tag", "--json", dir], again.io)).toBe(0);
      expect(readdirSync(dir).filter(isWriterTemp)).toEqual([]);
      const final = again.lines<{ file: string; status: string; reason: string | null }>();
      expect(
        final.map((l) => l.status),
        JSON.stringify(final),
      ).toEqual(Array(4).fill("unchanged"));
    },
    60_000,
  );
});
