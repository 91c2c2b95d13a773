import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseInstance, clientKey } from '../../src/holder/sticky-choice.js';

// Which instance a sticky client reaches (rendezvous hashing of its IP address).

const clients = Array.from({ length: 2000 }, (_, k) => `10.${(k >> 8) & 255}.${k & 255}.${k % 7}`);
const assign = (instances: number[]): Map<string, number | null> => new Map(clients.map((c) => [c, chooseInstance(c, instances)]));

describe('chooseInstance', () => {
  it('gives a client the same instance every time, and none when no instance listens', () => {
    for (const c of clients.slice(0, 50)) assert.equal(chooseInstance(c, [0, 1, 2]), chooseInstance(c, [2, 0, 1]));
    assert.equal(chooseInstance('10.0.0.1', []), null);
  });

  it('spreads clients evenly (each of 4 instances gets 25% ± 5%)', () => {
    const counts = [0, 0, 0, 0];
    for (const i of assign([0, 1, 2, 3]).values()) counts[i as number] = (counts[i as number] as number) + 1;
    for (const n of counts) assert.ok(Math.abs(n / clients.length - 0.25) < 0.05, `counts ${counts.join(', ')}`);
  });

  it('an instance that leaves moves only its own clients, and they return when it is back', () => {
    const all = assign([0, 1, 2, 3]);
    const without2 = assign([0, 1, 3]);
    let moved = 0;
    for (const c of clients) {
      if (all.get(c) === 2) {
        assert.notEqual(without2.get(c), 2);
        moved += 1;
      } else assert.equal(without2.get(c), all.get(c), `${c} must stay`);
    }
    assert.ok(moved > 0);
    assert.deepEqual(assign([3, 2, 1, 0]), all);
  });

  it('scaling up takes a fair share of clients for the new instance, and moves no one else', () => {
    const two = assign([0, 1]);
    const three = assign([0, 1, 2]);
    const toNew = clients.filter((c) => three.get(c) === 2).length;
    assert.ok(Math.abs(toNew / clients.length - 1 / 3) < 0.05, `${toNew} moved to the new instance`);
    for (const c of clients) if (three.get(c) !== 2) assert.equal(three.get(c), two.get(c));
  });

  it('keys IPv4-mapped IPv6 addresses as IPv4, other addresses as they are', () => {
    assert.equal(clientKey('::ffff:192.168.1.9'), '192.168.1.9');
    assert.equal(clientKey('192.168.1.9'), '192.168.1.9');
    assert.equal(clientKey('::1'), '::1');
    assert.equal(clientKey('2001:db8::ffff:1'), '2001:db8::ffff:1');
    assert.equal(clientKey(undefined), '');
  });
});
