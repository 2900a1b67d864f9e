/**
 * Startup of the compiled service (`npm start`): wall time from spawning `node dist/src/main.js` to its
 * first answer on /health, and the `startupMs` it logs itself when it is listening. Builds first.
 *
 *   npm run bench -- startup
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const RUNS = 7;

const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
if (build.status !== 0) process.exit(1);

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
    s.on("error", fail);
  });
}

async function once(): Promise<{ wallMs: number; loggedMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["dist/src/main.js"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (performance.now() - t0 > 10_000) throw new Error("the service did not answer within 10 s");
      await new Promise((r) => setTimeout(r, 5));
    }
    const wallMs = performance.now() - t0;
    const logged = /"startupMs":(\d+)/.exec(out);
    return { wallMs, loggedMs: logged ? Number(logged[1]) : Number.NaN };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const runs: { wallMs: number; loggedMs: number }[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
process.stdout.write(`startup of the compiled service, ${RUNS} runs, no Redis, no LLM key:\n`);
process.stdout.write(`  spawn to first /health answer: ${fmt(runs.map((r) => r.wallMs))}\n`);
process.stdout.write(
  `  logged startupMs (process start to listening): ${fmt(runs.map((r) => r.loggedMs))}\n`,
);
