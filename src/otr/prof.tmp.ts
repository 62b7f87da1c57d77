import { makeSide, pump, testKeys } from './testing/pair.ts';
const [ka, kb] = await testKeys();
const a = makeSide('alice', 'bob', ka); const b = makeSide('bob', 'alice', kb);
a.session.startAke(); pump(a, b);
const text = 'x'.repeat(100);
for (let i = 0; i < 100000; i++) { a.session.send(text); pump(a, b); }
