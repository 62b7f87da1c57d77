import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyManager, compareCounter, incrementCounter } from './keys.ts';
import { generateKeyPair } from './dh.ts';
import { DataMessageLayout, decodeDataMessage, encodeDataMessage, readDataMessage } from './data-message.ts';
import { decodeOtrMessage, readHeader } from './message.ts';
import { aes128Ctr, counterBlock } from './crypto/aes.ts';

function layout(bytes: Uint8Array): DataMessageLayout {
  const m = new DataMessageLayout();
  readDataMessage(bytes, readHeader(bytes)!.bodyOffset, m);
  return m;
}

function pair(): [KeyManager, KeyManager] {
  const x = generateKeyPair();
  const y = generateKeyPair();
  return [new KeyManager(x, 1, y.pub, 1), new KeyManager(y, 1, x.pub, 1)];
}

/** Sends one message from `s` to `r` through the real encoding; returns whether r accepted it. */
function transfer(s: KeyManager, r: KeyManager, text: string, tamper?: (b: Uint8Array) => void): { ok: boolean; text?: string; revealed: number } {
  const k = s.forSending();
  const oldMacKeys = s.takeRevealedMacKeys();
  const wire = encodeDataMessage(
    { version: 3, senderTag: 0x100, receiverTag: 0x101, flags: 0, senderKeyid: k.senderKeyid, recipientKeyid: k.recipientKeyid, nextDh: s.nextDh, ctr: k.ctr, encrypted: aes128Ctr(k.keys.sendAes, counterBlock(k.ctr), new TextEncoder().encode(text)), oldMacKeys },
    k.keys.sendMac,
  );
  const bytes = decodeOtrMessage(wire)!;
  tamper?.(bytes);
  const m = decodeDataMessage(bytes, readHeader(bytes)!);
  const c = r.check(bytes, layout(bytes));
  if (!c.ok) return { ok: false, revealed: m.oldMacKeys.length / 20 };
  const out = new TextDecoder().decode(aes128Ctr(c.recvAes, counterBlock(m.ctr), m.encrypted));
  c.commit();
  return { ok: true, text: out, revealed: m.oldMacKeys.length / 20 };
}

test('counters are 8-byte big-endian and strictly increasing', () => {
  const c = new Uint8Array(8);
  c[7] = 0xff;
  incrementCounter(c);
  assert.deepEqual(c, new Uint8Array([0, 0, 0, 0, 0, 0, 1, 0]));
  assert.ok(compareCounter(c, new Uint8Array(8)) > 0);
});

test('key ids advance on acknowledgement and used MAC keys are revealed later', () => {
  const [a, b] = pair();
  let revealed = 0;
  for (let i = 0; i < 10; i++) {
    const r1 = transfer(a, b, `a${i}`);
    assert.deepEqual([r1.ok, r1.text], [true, `a${i}`]);
    const r2 = transfer(b, a, `b${i}`);
    assert.deepEqual([r2.ok, r2.text], [true, `b${i}`]);
    revealed += r1.revealed + r2.revealed;
  }
  assert.ok(a.ourKeyid > 5 && b.theirKeyid === a.ourKeyid - 1, `${a.ourKeyid} ${b.theirKeyid}`);
  assert.ok(revealed >= 15, `revealed ${revealed}`);
});

test('a burst one way keeps the same keys; a replay, a forged MAC, an unknown key id are refused', () => {
  const [a, b] = pair();
  for (let i = 0; i < 5; i++) assert.ok(transfer(a, b, 'x').ok);
  assert.equal(transfer(a, b, 'y', (bytes) => { bytes[bytes.length - 30]! ^= 1; }).ok, false);
  const k = a.forSending();
  const wire = encodeDataMessage({ version: 3, senderTag: 0x100, receiverTag: 0x101, flags: 0, senderKeyid: 77, recipientKeyid: k.recipientKeyid, nextDh: a.nextDh, ctr: k.ctr, encrypted: new Uint8Array(3), oldMacKeys: new Uint8Array(0) }, k.keys.sendMac);
  const bytes = decodeOtrMessage(wire)!;
  const m = decodeDataMessage(bytes, readHeader(bytes)!);
  const c = b.check(bytes, layout(bytes));
  assert.deepEqual(c, { ok: false, reason: 'unknown key id' });
});

test('replay of an accepted message is refused by the counter', () => {
  const [a, b] = pair();
  const k = a.forSending();
  const wire = encodeDataMessage({ version: 2, senderTag: 0, receiverTag: 0, flags: 0, senderKeyid: k.senderKeyid, recipientKeyid: k.recipientKeyid, nextDh: a.nextDh, ctr: k.ctr, encrypted: new Uint8Array(3), oldMacKeys: new Uint8Array(0) }, k.keys.sendMac);
  const bytes = decodeOtrMessage(wire)!;
  const m = decodeDataMessage(bytes, readHeader(bytes)!);
  const c1 = b.check(bytes, layout(bytes));
  assert.ok(c1.ok);
  c1.commit();
  // The sender's key id has advanced on b's side (their key rotated), so the old pair is checked again.
  const c2 = b.check(bytes, layout(bytes));
  assert.equal(c2.ok, false);
});
