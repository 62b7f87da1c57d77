// npm run fuzz [-- <lines>] : the long fuzz run (default 1,000,000 lines thrown at sessions).
import { runSessionFuzz } from './session-fuzz.ts';

const lines = Number(process.argv[2] ?? 1_000_000);
// One run throws up to 12 lines (6.5 on average).
const runs = Math.ceil(lines / 6.5);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const t = Date.now();
console.log(`fuzz: ${runs} runs (~${lines} lines), seed ${seed}`);
await runSessionFuzz(runs, seed, (run) => {
  if (run % 10_000 === 0) console.log(`fuzz: ${run} runs, ${((Date.now() - t) / 1000).toFixed(0)} s`);
});
console.log(`fuzz: clean after ${((Date.now() - t) / 1000).toFixed(1)} s`);
