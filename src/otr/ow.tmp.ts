import { OtrAccount } from './account.ts';
import { testKeys } from './testing/pair.ts';
const [ka, kb] = await testKeys();
const qa: string[] = [], qb: string[] = [];
const A = new OtrAccount({ name: 'a', protocol: 'irc', privateKey: ka, queryMessage: () => '?OTRv3?' });
const B = new OtrAccount({ name: 'b', protocol: 'irc', privateKey: kb, queryMessage: () => '?OTRv3?' });
const a = A.createSession('b', { inject: (w) => qb.push(w), event: () => {}, maxMessageSize: () => 0 });
const b = B.createSession('a', { inject: (w) => qa.push(w), event: () => {}, maxMessageSize: () => 0 });
const pump = () => { while (qa.length || qb.length) { while (qb.length) b.receive(qb.shift()!); while (qa.length) a.receive(qa.shift()!); } };
a.startAke(); pump();
const text = 'x'.repeat(100);
for (let r = 0; r < 3; r++) {
  const N = 50000; const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) { a.send(text); b.receive(qb.pop()!); }
  console.log('oneway us', Number(process.hrtime.bigint() - t) / N / 1000);
}
