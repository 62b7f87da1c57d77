import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY_ALWAYS, POLICY_OPPORTUNISTIC } from './api.ts';
import { otrEnabled, policyFromBits, policyToBits, versionAllowed } from './policy.ts';
import { generateInstanceTag, isValidInstanceTag } from './instance-tags.ts';
import { commitExpired, heartbeatDue } from './heartbeat.ts';

test('policies map to libotr bits (DEFAULT 0x76, ALWAYS 0x7e without v1 = 0x7e)', () => {
  assert.equal(policyToBits(POLICY_OPPORTUNISTIC), 0x76);
  assert.equal(policyToBits(POLICY_ALWAYS), 0x7e);
  assert.deepEqual(policyFromBits(0x76), { ...POLICY_OPPORTUNISTIC });
  assert.equal(otrEnabled(policyFromBits(0)), false);
  assert.equal(versionAllowed(policyFromBits(0x02), 3), false);
  assert.equal(versionAllowed(policyFromBits(0x02), 2), true);
});

test('instance tags are at least 0x100 and 32-bit', () => {
  for (let i = 0; i < 100; i++) assert.ok(isValidInstanceTag(generateInstanceTag()));
  assert.equal(isValidInstanceTag(0xff), false);
  assert.equal(isValidInstanceTag(0x100000000), false);
});

test('heartbeat after 60 s without sending; commit expiry after 60 s', () => {
  assert.equal(heartbeatDue(0, 60_000), false);
  assert.equal(heartbeatDue(0, 60_001), true);
  assert.equal(commitExpired(0, 1e9), false);
  assert.equal(commitExpired(1000, 61_000), false);
  assert.equal(commitExpired(1000, 61_001), true);
});
