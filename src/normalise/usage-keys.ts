/**
 * The keys of a usage file as it streams by, to tell whether one repeats: (provider, model,
 * period_start, period_end) hashed to 64 bits and kept in an open-addressing set of typed
 * arrays (16 bytes a slot: 1.5 million keys in 32 MB, where a Set of strings would take
 * hundreds). A hit means "maybe repeated": a collision of two different keys is as good as
 * impossible (about 1 in 10^7 for a file of 1.5 million keys), and when it happens the
 * import only takes its careful path, which compares the keys themselves. A repeated key is
 * never missed: the same key always hashes the same.
 *
 * Instants enter as epoch milliseconds, so `…T08:00:00Z` and `…T16:00:00+08:00` are one key;
 * names as their UTF-8 bytes, exactly as stored.
 */

/** The running hash of one key: two 32-bit FNV-1a lanes with different offsets. */
export class KeyHash {
  a = 0x811c9dc5;
  b = 0x01000193 ^ 0x5bd1e995;

  reset(): this {
    this.a = 0x811c9dc5;
    this.b = 0x01000193 ^ 0x5bd1e995;
    return this;
  }

  byte(c: number): void {
    this.a = Math.imul(this.a ^ c, 0x01000193);
    this.b = Math.imul(this.b ^ c, 0x5bd1e995) ^ (this.b >>> 15);
  }

  bytes(data: Uint8Array, from: number, to: number): void {
    let a = this.a;
    let b = this.b;
    for (let k = from; k < to; k++) {
      const c = data[k]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    this.a = a;
    this.b = b;
  }

  /** A field separator no UTF-8 text contains, so ("ab","c") and ("a","bc") differ. */
  end(): void {
    this.byte(0xff);
  }

  /** Epoch milliseconds (any safe integer), as two 32-bit halves mixed in whole. */
  instant(ms: number): void {
    const hi = Math.floor(ms / 0x1_0000_0000) >>> 0;
    const lo = (ms - Math.floor(ms / 0x1_0000_0000) * 0x1_0000_0000) >>> 0;
    this.a = Math.imul(Math.imul(this.a ^ hi, 0x01000193) ^ lo, 0x01000193);
    this.b = Math.imul(Math.imul(this.b ^ hi, 0x5bd1e995) ^ lo, 0x5bd1e995) ^ (this.b >>> 15);
  }
}

/** A set of 64-bit hashes (two 32-bit lanes); grows at half full. */
export class KeySet {
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 16) {
    let n = 1 << 10;
    while (n < capacity * 2) n <<= 1;
    this.slots = new Uint32Array(n * 2);
    this.mask = n - 1;
  }

  /** Adds the key; true when it (or, rarely, a different key of the same hash) was already in. */
  add(h: KeyHash): boolean {
    // Lane b is never 0 in a slot, so 0 marks an empty one.
    const a = h.a >>> 0;
    const b = h.b >>> 0 || 1;
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    return this.put(a, b);
  }

  private put(a: number, b: number): boolean {
    const slots = this.slots;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    for (;;) {
      const sb = slots[i * 2 + 1]!;
      if (sb === 0) {
        slots[i * 2] = a;
        slots[i * 2 + 1] = b;
        this.size++;
        return false;
      }
      if (sb === b && slots[i * 2] === a) return true;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = this.slots.length / 2 - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.put(old[i]!, old[i + 1]!);
  }
}
