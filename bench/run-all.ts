/**
 * Runs every benchmark in turn, each in its own process so that one's heap and timers do not skew the
 * next, and prints their figures. The numbers go into docs/benchmarks.md by hand, with the date and machine.
 *
 *   npm run bench              all of them (about 10 minutes on 2 cores)
 *   npm run bench -- grammar   only the named ones: grammar, importer, client, http, eval, index, budget, albums, tag, startup, absent
 */
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const BENCHES: Record<string, string[]> = {
  grammar: ["bench/grammar.ts"],
  importer: ["bench/importer.ts"],
  client: ["bench/client.ts"],
  http: ["bench/http.ts"],
  eval: ["bench/eval/run.ts", "--latency", "--llm", "--index"],
  index: ["bench/index.ts"],
  budget: ["bench/budget.ts"],
  albums: ["bench/eval/albums.ts"],
  tag: ["bench/tag.ts"],
  startup: ["bench/startup.ts"],
  absent: ["bench/eval/absent.ts"],
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}\n`,
  );
  process.exit(2);
}

process.stdout.write(
  `# discmeta benchmarks, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB\n`,
);
let failed = 0;
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  process.stdout.write(`\n## ${name}\n\n`);
  const t0 = performance.now();
  const run = spawnSync(process.execPath, ["--import", "tsx", ...BENCHES[name]!], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (run.status !== 0) failed++;
  process.stdout.write(
    `\n(${name}: ${run.status === 0 ? "done" : `failed with ${run.status ?? run.signal}`} in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
}
process.exit(failed > 0 ? 1 : 0);
