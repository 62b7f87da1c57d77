// node --import tsx test/fuzz/engine-run.ts [--cases N] [--seed S]: the state-by-state engine fuzzer (engine.ts)
// at scale, 1,000,000 cases (about 3.7 lines each) by default. `npm run fuzz` runs it after session-fuzz.
import fc from 'fast-check';
import { EngineFuzzer, caseArb } from './engine.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const cases = Number(arg('cases') ?? 1_000_000);
const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31));
const fz = await EngineFuzzer.create();
const start = performance.now();
let next = 50_000;
console.log(`engine fuzz: ${cases} cases, seed ${seed}`);
try {
  fc.assert(
    fc.property(caseArb, (c) => {
      fz.run(c);
      if (fz.cases >= next) {
        next += 50_000;
        const s = (performance.now() - start) / 1000;
        console.log(`  ${fz.cases} cases, ${fz.lines} lines, ${fz.rebuilds} fixture rebuilds, ${s.toFixed(0)} s`);
      }
    }),
    { numRuns: cases, seed, endOnFailure: true },
  );
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
const s = (performance.now() - start) / 1000;
console.log(`clean: ${fz.cases} cases, ${fz.lines} lines, ${fz.rebuilds} fixture rebuilds in ${s.toFixed(0)} s (${((s / fz.cases) * 1e6).toFixed(0)} µs/case)`);
