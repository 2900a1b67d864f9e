import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startDiscogsSimulator } from "./test/fakes/discogs-simulator/index.js";
import { buildEvalSet } from "./bench/eval/dataset.js";
import { runPipeline } from "./bench/eval/run.js";
const ROOT = resolve(".");
const DUMP = resolve(ROOT, "data/discogs-dump-sample");
const all = await buildEvalSet(resolve(DUMP, "releases.xml.gz"));
const groupOf = (c: (typeof all)[number]) => c.expected.masterId ? `m${c.expected.masterId}` : `r${c.expected.releaseId}`;
const groups = [...new Set(all.map(groupOf))].sort();
const heldGroups = new Set(groups.filter((_, i) => i % 5 === 0));
const held = all.filter((c) => heldGroups.has(groupOf(c)));
const sim = await startDiscogsSimulator({ dumpDir: DUMP, fixtures: [resolve(ROOT, "test/fixtures/discogs/distractors.json"), resolve(ROOT, "test/fixtures/discogs/t-fire.json")], rateLimit: { authenticated: 1e9, anonymous: 1e9 } });
// Remove every held-out case's release and its master's versions: its right answer is then absent.
const gone = new Set<number>(); const goneMasters = new Set<number>();
for (const c of held) { gone.add(c.expected.releaseId); if (c.expected.masterId) goneMasters.add(c.expected.masterId); }
for (const [id, r] of sim.store.releases) if (goneMasters.has(Number(r.master_id))) gone.add(id);
for (const id of gone) sim.store.releases.delete(id);
for (const m of goneMasters) { sim.store.masters.delete(m); sim.store.versions.delete(m); }
sim.store.docs.splice(0, sim.store.docs.length, ...sim.store.docs.filter((d) => d.type === "release" ? !gone.has(d.id) : !goneMasters.has(d.id)));
const res = await runPipeline(sim, held, 16);
writeFileSync("/tmp/absent-raw.json", JSON.stringify(res.map((r) => ({ family: r.family, filename: r.filename, answered: r.answered, master: r.master, rec: r.recommendation, distance: r.distance, confidence: r.confidence, margin: r.raw.match?.margin ?? null, penalties: r.raw.match?.penalties ?? null, source: r.raw.source, stages: r.raw.diagnostics.stages.map((s) => `${s.stage}:${s.outcome}:${s.code}`).join(","), cands: r.raw.candidates.length }))));
console.log("held", held.length, "removed releases", gone.size);
await sim.close();
process.exit(0);
