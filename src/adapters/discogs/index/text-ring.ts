/**
 * A bounded cache of texts under integer keys, kept as UTF-8 bytes in one ring of memory outside V8's
 * heap: the offline index keeps its search rows here (source.ts).
 *
 * Why not a Map of strings or Buffers: every entry a search adds survives the next young-generation
 * collection, which copies it, and then moves it to the old generation, which copies it again. Kept as
 * Buffers (a small object each, pointing into Node's pool), 2,000 common-name searches of the 1 M bench
 * still had 55 collections of 1.2–4 ms, 150–470 KB moved by each, one search in 36 holding one. Here an
 * entry is bytes in a buffer allocated once and three numbers in typed arrays; the key map holds small
 * integers only (a key and a slot), which V8 stores in place, so keeping an entry allocates nothing that
 * a collection has to move.
 *
 * Entries are written one after the other around the ring; writing over the oldest drops them (first
 * in, first out). An entry read while in the older half of the ring is written again at the front, so
 * what is used lately stays (a second chance, as the two-generation cache before it did).
 */
export class TextRing {
  private readonly bytes: Buffer;
  private readonly slots = new Map<number, number>();
  /** Per slot: the key, where its text starts in `bytes`, and its length in bytes. */
  private readonly keys: Float64Array;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  /**
   * The oldest slot, the next slot to fill, and how many slots are in use (a key written again leaves
   * its old slot, which the key map no longer points to, until the ring drops it).
   */
  private head = 0;
  private tail = 0;
  private count = 0;
  /** Where the next text is written. */
  private at = 0;

  /**
   * @param capacity bytes of text kept at most (allocated at once, outside V8's heap)
   * @param entries entries kept at most
   */
  constructor(capacity: number, entries: number) {
    this.bytes = Buffer.allocUnsafeSlow(capacity);
    this.keys = new Float64Array(entries);
    this.starts = new Int32Array(entries);
    this.lengths = new Int32Array(entries);
  }

  /** How many keys have a text kept. */
  get size(): number {
    return this.slots.size;
  }

  /** The text kept under `key`, if any. */
  get(key: number): string | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const start = this.starts[slot]!;
    const text = this.bytes.toString("utf8", start, start + this.lengths[slot]!);
    // In the older half: written again at the front, so that it outlives the entries not read since.
    const age = (slot - this.head + this.keys.length) % this.keys.length;
    if (age < this.count / 2) this.set(key, text);
    return text;
  }

  /**
   * Keeps `text` under `key`, in place of what was kept under it. An empty text, or one longer than
   * an eighth of the ring, is not kept (nor then what was kept under its key).
   */
  set(key: number, text: string): void {
    // The old slot's bytes stay until written over, answering for nothing (drop checks the map).
    this.slots.delete(key);
    const length = Buffer.byteLength(text);
    if (length === 0 || length > this.bytes.length / 8) return;
    let start = this.at;
    if (start + length > this.bytes.length) {
      // The ring's end: what lies past here was written a round ago, the oldest; it goes.
      while (this.count > 0 && this.starts[this.head]! >= start) this.drop();
      start = 0;
    }
    // The oldest go while they lie where this text goes (those after them are newer, and further on).
    while (this.count > 0 && this.overlaps(this.head, start, start + length)) this.drop();
    if (this.count === this.keys.length) this.drop();
    const slot = this.tail;
    this.keys[slot] = key;
    this.starts[slot] = start;
    this.lengths[slot] = length;
    this.slots.set(key, slot);
    this.tail = (slot + 1) % this.keys.length;
    this.count++;
    this.bytes.write(text, start, length, "utf8");
    this.at = start + length;
  }

  private overlaps(slot: number, from: number, to: number): boolean {
    const start = this.starts[slot]!;
    return start < to && start + this.lengths[slot]! > from;
  }

  /** Drops the oldest entry. */
  private drop(): void {
    const slot = this.head;
    const key = this.keys[slot]!;
    // A key written again since holds another slot (or none): that one stays.
    if (this.slots.get(key) === slot) this.slots.delete(key);
    this.head = (slot + 1) % this.keys.length;
    this.count--;
  }
}
