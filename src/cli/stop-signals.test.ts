import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPEAT_MS, StopSignals } from './stop-signals.ts';

test('the first signal stops, a launcher\'s repeat of it is ignored, a later one forces the exit', () => {
  let t = 1000;
  const s = new StopSignals(() => t);
  assert.equal(s.meaning('SIGTERM'), 'stop');
  assert.equal(s.requested, 'SIGTERM');
  t += 3; // npm forwarding the same SIGTERM
  assert.equal(s.meaning('SIGTERM'), 'repeat');
  t += REPEAT_MS; // the user presses Ctrl-C again while the stop hangs
  assert.equal(s.meaning('SIGINT'), 'force');
  assert.equal(s.requested, 'SIGTERM');
});
