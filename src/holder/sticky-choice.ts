/**
 * Which instance a client belongs to, for sticky sessions: rendezvous (highest random weight)
 * hashing of the client's IP address with each instance number. The instance with the highest
 * weight wins, so:
 *   - a client keeps the same instance as long as the set of instances stays the same;
 *   - when an instance leaves (crash, scale down), only its own clients move (each to its second
 *     choice), and when it comes back they return to it; every other client stays where it was;
 *   - a reload keeps the mapping: the new process of instance k serves instance k's clients.
 * Keyed by instance number, not pid, for that last reason.
 */
export function chooseInstance(client: string, instances: readonly number[]): number | null {
  const base = fnv1a(client);
  let best: number | null = null;
  let bestWeight = -1;
  for (const instance of instances) {
    // The client's hash combined with the instance's own (golden-ratio multiple), then mixed.
    const weight = mix((base ^ Math.imul(instance + 1, 0x9e3779b1)) >>> 0);
    if (weight > bestWeight || (weight === bestWeight && best !== null && instance < best)) {
      best = instance;
      bestWeight = weight;
    }
  }
  return best;
}

/** The client's key: its IP address, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4. */
export function clientKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finalizer: spreads nearby inputs (instance 0, 1, …) over far-apart weights. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
