import { makeSide, pump, testKeys } from './testing/pair.ts';
const [ka, kb] = await testKeys();
function med(xs: number[]) { xs.sort((a, b) => a - b); return xs[xs.length >> 1]!; }
const ake: number[] = [];
for (let i = 0; i < 30; i++) {
  const a = makeSide('alice', 'bob', ka); const b = makeSide('bob', 'alice', kb);
  a.account.queryMessage = () => '?OTRv3?';
  const t = performance.now(); a.session.startAke(); pump(a, b); ake.push(performance.now() - t);
}
console.log('ake_ms', med(ake));
const a = makeSide('alice', 'bob', ka); const b = makeSide('bob', 'alice', kb);
a.session.startAke(); pump(a, b);
const text = 'x'.repeat(100);
const pp: number[] = [];
for (let i = 0; i < 500; i++) { const t = performance.now(); a.session.send(text); pump(a, b); b.session.send(text); pump(a, b); pp.push((performance.now() - t) * 1000); }
console.log('pingpong_us', med(pp));
const ow: number[] = [];
for (let i = 0; i < 5000; i++) { const t = performance.now(); a.session.send(text); pump(a, b); ow.push((performance.now() - t) * 1000); }
console.log('oneway_us', med(ow));
a.maxSize = 400;
const big = 'y'.repeat(2000); const bg: number[] = [];
for (let i = 0; i < 500; i++) { const t = performance.now(); a.session.send(big); pump(a, b); bg.push((performance.now() - t) * 1000); }
console.log('big_us', med(bg));
