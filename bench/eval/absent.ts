/**
 * Tracks whose release Discogs does not have: a fifth of the dev set's release groups (a master and
 * its versions, or a release without one) are taken out of the simulator, and their cases run against
 * the rest. Every Discogs answer is then a wrong release. This counts them per recommendation, how many
 * clear 0.7, and of those how many are the same artist and title on another release (a compilation,
 * a single) rather than another track.
 *
 *   npx tsx bench/eval/absent.ts   (SHOW=20 prints the first answers that clear 0.7; OTHER=1 only other tracks)
 */
import { resolve } from "node:path";
import { startDiscogsSimulator } from "../../test/fakes/discogs-simulator/index.js";
import { buildEvalSet, type EvalCase } from "./dataset.js";
import { runPipeline } from "./run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DUMP = resolve(ROOT, "data/discogs-dump-sample");

const all = await buildEvalSet(resolve(DUMP, "releases.xml.gz"));
const groupOf = (c: EvalCase) =>
  c.expected.masterId ? `m${c.expected.masterId}` : `r${c.expected.releaseId}`;
const groups = [...new Set(all.map(groupOf))].sort();
const heldGroups = new Set(groups.filter((_, i) => i % 5 === 0));
const held = all.filter((c) => heldGroups.has(groupOf(c)));

const sim = await startDiscogsSimulator({
  dumpDir: DUMP,
  fixtures: [
    resolve(ROOT, "test/fixtures/discogs/distractors.json"),
    resolve(ROOT, "test/fixtures/discogs/t-fire.json"),
  ],
  rateLimit: { authenticated: 1e9, anonymous: 1e9 },
});
// Take out every held case's release, and every version of its master: its right answer is absent.
const gone = new Set<number>();
const goneMasters = new Set<number>();
for (const c of held) {
  gone.add(c.expected.releaseId);
  if (c.expected.masterId) goneMasters.add(c.expected.masterId);
}
for (const [id, r] of sim.store.releases) if (goneMasters.has(Number(r.master_id))) gone.add(id);
for (const id of gone) sim.store.releases.delete(id);
for (const m of goneMasters) {
  sim.store.masters.delete(m);
  sim.store.versions.delete(m);
}
const kept = sim.store.docs.filter((d) => (d.type === "release" ? !gone.has(d.id) : !goneMasters.has(d.id)));
sim.store.docs.splice(0, sim.store.docs.length, ...kept);

try {
  // Every answer counts, whatever its confidence: runPipeline sets the minimum to 0.
  const res = await runPipeline(sim, held, 16);
  const answered = res.filter((r) => r.answered);
  const sameRecording = (r: (typeof res)[number]) =>
    (r.raw.match?.penalties.artist ?? 1) <= 0.15 && (r.raw.match?.penalties.title ?? 1) <= 0.15;
  const lines = (["strong", "medium", "low", "none"] as const).map((rec) => {
    const list = answered.filter((r) => r.recommendation === rec);
    const clear = list.filter((r) => r.confidence >= 0.7);
    return `| ${rec} | ${list.length} | ${clear.length} | ${clear.filter(sameRecording).length} | ${clear.filter((r) => !sameRecording(r)).length} |`;
  });
  process.stdout.write(
    `${held.length} cases whose release group (${gone.size} releases) is absent; ${answered.length} answered from Discogs, every one a wrong release\n\n| recommendation | answers | confidence ≥ 0.7 | of those, the same artist and title on another release | of those, another track |\n|---|---|---|---|---|\n${lines.join("\n")}\n`,
  );
  const shown = answered.filter((a) => a.confidence >= 0.7 && (!process.env.OTHER || !sameRecording(a)));
  for (const r of shown.slice(0, Number(process.env.SHOW ?? 0)))
    process.stdout.write(
      `${r.recommendation} ${r.confidence} ${r.filename} => ${r.raw.artist} - ${r.raw.title} (${r.raw.album}, release ${r.raw.discogs?.releaseId}) ${JSON.stringify(r.raw.match?.penalties)}\n`,
    );
} finally {
  await sim.close();
}
