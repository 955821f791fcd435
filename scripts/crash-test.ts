// Crash test of `tunekit train`: N random `kill -9`s of a real CLI process (some at random
// moments, some aimed at checkpoint writes), each followed by `--resume`, and the final weights
// compared byte for byte with an uninterrupted run's. Also checks that no `.tmp` / `.old`
// leftovers or locks stay behind. Runs a snapshot of the built packages (build first: a rebuild
// during the test does not change the CLI under test).
//
//   npx tsx --conditions=@tunekit/source scripts/crash-test.ts [--kills 50] [--seed 1] [--epochs 10]
//     [--train-rows 64] [--checkpoint-share 0.4] [--config examples/sst2-tiny.json]
//
// Every epoch ends with an evaluation and a checkpoint, so --epochs sets how many checkpoint
// writes a run makes. Exit code 0 when every interrupted run matched, 1 otherwise.
import { parseArgs } from "node:util";
import { crashTest } from "../packages/cli/src/testing/crash-run.js";

const { values } = parseArgs({
  options: {
    kills: { type: "string", default: "50" },
    seed: { type: "string", default: "1" },
    epochs: { type: "string", default: "10" },
    "train-rows": { type: "string", default: "64" },
    "checkpoint-share": { type: "string", default: "0.4" },
    config: { type: "string", default: "examples/sst2-tiny.json" },
  },
});

const trainArgs = [
  "train",
  values.config,
  "--set",
  `data.maxRows.train=${values["train-rows"]}`,
  "--set",
  "data.maxRows.validation=16",
  "--set",
  "training.maxLength=32",
  "--set",
  "training.batchSize=16",
  "--epochs",
  values.epochs,
];

const started = performance.now();
const r = await crashTest({
  kills: Number(values.kills),
  seed: Number(values.seed),
  checkpointShare: Number(values["checkpoint-share"]),
  trainArgs,
  log: (line) => console.log(line),
});
const minutes = (performance.now() - started) / 60_000;
console.log("");
console.log(`kills: ${r.kills} (seed ${values.seed})`);
for (const [site, n] of Object.entries(r.sites)) console.log(`  ${site}: ${n}`);
console.log(`interrupted runs completed and compared: ${r.runs}; processes started: ${r.processes}`);
console.log(`reference run: ${r.referenceSeconds.toFixed(1)} s; whole test: ${minutes.toFixed(1)} min`);
console.log(`final weights identical to the uninterrupted run: ${r.identical ? "yes" : "no"}`);
console.log(`leftovers or other problems: ${r.problems.length === 0 ? "none" : ""}`);
for (const p of r.problems) console.log(`  ${p}`);
process.exitCode = r.identical && r.problems.length === 0 ? 0 : 1;
