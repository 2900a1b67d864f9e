/**
 * `discmeta analyze FILE…`: BPM and key measured from each file's audio, no catalogue involved. A line
 * per file for people, or a JSON object per line with --json.
 */
import type { AudioFeatures } from "../core/audio/features.js";
import { type KeyNotation, parseKey, tagKey } from "../core/audio/notation.js";
import { AudioUnavailableError, MetadataError } from "../core/errors.js";
import { pool } from "../core/pool.js";
import { type EnrichCliOptions, verbosityOf, withBatchContainer } from "./enrich.js";
import { collectAudioFiles } from "./files.js";
import type { CliIo } from "./io.js";

export interface AnalyzeCliOptions {
  json?: boolean;
  keyNotation?: KeyNotation;
  /** A style known for the files ("Drum n Bass"): it chooses the tempo's octave. */
  style?: string;
  concurrency?: number;
  verbose?: boolean;
  quiet?: boolean;
}

/** Files decoded at once: ffmpeg runs in its own process beside the analysis. */
const DEFAULT_CONCURRENCY = 2;

/** "128.0 BPM", "A minor (8A, 1m)" or why it is missing. */
function describe(f: AudioFeatures, notation: KeyNotation): string {
  const bpm = f.bpm ? `${f.bpm.value.toFixed(1)} BPM (${f.bpm.confidence.toFixed(2)})` : "BPM -";
  const k = f.key ? parseKey(f.key.value) : null;
  const key =
    f.key && k
      ? `${notation === "standard" ? f.key.value : tagKey(k, notation)} (${f.key.camelot}, ${f.key.openKey}; ${f.key.confidence.toFixed(2)})`
      : "key -";
  return `${bpm}  ${key}${f.notes.length > 0 ? `  [${f.notes.join("; ")}]` : ""}`;
}

export function runAnalyze(paths: string[], opts: AnalyzeCliOptions, io: CliIo): Promise<number> {
  const base: EnrichCliOptions = { discogs: false, llm: false, quiet: true };
  return withBatchContainer(io, base, async (_config, container) => {
    const say = (text: string) => {
      if (verbosityOf(opts) !== "quiet") io.stderr.write(`discmeta: ${text}\n`);
    };
    const { files, missing, skipped } = await collectAudioFiles(paths);
    for (const m of missing) io.stderr.write(`discmeta: cannot read "${m.path}": ${m.reason}\n`);
    for (const s of skipped) if (opts.verbose) say(`skipped "${s}": not an audio file`);
    const notation = opts.keyNotation ?? "standard";
    const styles = opts.style ? [opts.style] : [];
    const results: (string | null)[] = new Array(files.length).fill(null);
    let printed = 0;
    let failed = 0;
    let unavailable: string | null = null;
    const flush = () => {
      while (printed < files.length && results[printed] !== null) io.stdout.write(`${results[printed++]}\n`);
    };
    // Without a decoder, the files not yet started are not tried.
    await pool(files.length, Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY), async (i) => {
      if (unavailable !== null) return;
      const path = files[i]!.path;
      try {
        const f = await container.audio.analyze(path, { styles });
        results[i] = opts.json
          ? JSON.stringify({ file: path, bpm: f.bpm, key: f.key, seconds: f.seconds, notes: f.notes })
          : `${path}\t${describe(f, notation)}`;
      } catch (err) {
        if (err instanceof AudioUnavailableError) unavailable = err.message;
        if (!(err instanceof MetadataError)) throw err;
        failed++;
        io.stderr.write(`discmeta: ${path}: ${err.message}\n`);
        results[i] = opts.json ? JSON.stringify({ file: path, error: err.message }) : `${path}\tfailed`;
      }
      flush();
    });
    if (unavailable !== null) return 2;
    if (missing.length > 0) return 2;
    return failed > 0 ? 1 : 0;
  });
}
