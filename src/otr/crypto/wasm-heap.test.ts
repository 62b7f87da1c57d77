// Growing the wasm memory detaches every view of it: it must never happen while a message is in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocBlock, allocSlot, callBegins, callEnds, freeBlock, freeBlockCount, freeSlotCount, freeSlot } from './wasm-heap.ts';
import { deliver, makeSide, pump, testKeys, texts, type Side } from '../testing/pair.ts';

async function encryptedPair(): Promise<[Side, Side]> {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb);
  a.session.startAke();
  pump(a, b);
  return [a, b];
}

/** Key slots and key-stream blocks taken to leave none free; give() returns them. */
class Held {
  slots: number[] = [];
  blocks: number[] = [];
  /** Takes every block, then every slot, that is free without growing the memory. */
  takeAll(): void {
    while (freeBlockCount() > 0) this.blocks.push(allocBlock());
    while (freeSlotCount() > 0) this.slots.push(allocSlot());
  }
  give(): void {
    for (const s of this.slots) freeSlot(s);
    for (const b of this.blocks) freeBlock(b);
  }
}

/** pump(), with the key slots and key-stream blocks used up before every delivery. */
function pumpFull(a: Side, b: Side, held: Held): void {
  while (a.outbox.length || b.outbox.length) {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      while (from.outbox.length) {
        held.takeAll();
        deliver(from.outbox.shift()!, to);
      }
    }
  }
}

test('a message whose keys need new slots and key-stream blocks when the memory is full still decrypts (no grow mid-message)', async () => {
  const [a, b] = await encryptedPair();
  const held = new Held();
  try {
    for (let round = 0; round < 6; round++) {
      // Leave no free slot: the MAC keys the next messages derive must come from a grown memory.
      held.takeAll();
      a.session.send(`ping ${round}`);
      pumpFull(a, b, held);
      b.session.send(`pong ${round}`);
      pumpFull(a, b, held);
      assert.ok(texts(b).includes(`ping ${round}`), `round ${round}: bob read ${JSON.stringify(b.events.slice(-3))}`);
      assert.ok(texts(a).includes(`pong ${round}`), `round ${round}: alice read ${JSON.stringify(a.events.slice(-3))}`);
    }
  } finally {
    held.give();
  }
});

test('SMP, whose replies are sent while a received message is being read, with the memory full at every step', async () => {
  const [a, b] = await encryptedPair();
  const held = new Held();
  try {
    a.session.smpStart('s3cret', 'the word?');
    pumpFull(a, b, held);
    b.session.smpRespond('s3cret');
    pumpFull(a, b, held);
    const types = (s: Side) => s.events.map((e) => e.type);
    assert.ok(types(a).includes('smp_success'), JSON.stringify(a.events));
    assert.ok(types(b).includes('smp_success'), JSON.stringify(b.events));
  } finally {
    held.give();
  }
});

test('a session called from an event handler in the middle of a receive does not grow the memory under it', async () => {
  const [ka, kb] = await testKeys();
  const a = makeSide('alice', 'bob', ka);
  const b = makeSide('bob', 'alice', kb);
  const held = new Held();
  // Bob answers the SMP question from inside the event, while his session is still reading alice's message.
  b.session.dispose();
  b.session = b.account.createSession('alice', {
    inject: (w) => b.outbox.push(w),
    event: (e) => {
      b.events.push(e);
      if (e.type === 'smp_asked') {
        held.takeAll();
        b.session.smpRespond('s3cret');
      }
    },
    maxMessageSize: () => 0,
  });
  a.session.startAke();
  pump(a, b);
  try {
    a.session.smpStart('s3cret');
    pumpFull(a, b, held);
    assert.ok(a.events.some((e) => e.type === 'smp_success'), JSON.stringify(a.events.slice(-4)));
    assert.ok(b.events.some((e) => e.type === 'smp_success'), JSON.stringify(b.events.slice(-4)));
  } finally {
    held.give();
  }
});

test('callBegins reserves key-stream blocks even when freed slots alone cover the slot reserve', () => {
  const held = new Held();
  try {
    while (held.slots.length < 64) held.slots.push(allocSlot()); // grows the memory if needed (outside a call)
    held.takeAll();
    // 64 freed slots: the slot reserve is met without growing, so only the block reserve can make it grow.
    for (const s of held.slots.splice(0, 64)) freeSlot(s);
    assert.equal(freeBlockCount(), 0);
    callBegins();
    try {
      assert.ok(freeBlockCount() >= 8, `free blocks inside the call: ${freeBlockCount()}`);
      assert.ok(freeSlotCount() >= 64);
    } finally {
      callEnds();
    }
  } finally {
    held.give();
  }
});
