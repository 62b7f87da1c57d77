// CI-sized fuzz run (npm run fuzz runs the long one).
import { test } from 'node:test';
import { runSessionFuzz } from './session-fuzz.ts';

test('fuzz: random and mutated OTR lines at sessions in every state', { timeout: 120_000 }, async () => {
  await runSessionFuzz(300);
});
