/**
 * A bounded least-recently-used cache over a Map (which iterates in insertion order: a hit is
 * re-inserted, the first key is the least recently used). Used for imported KeyObjects, whose
 * import costs about as much as the operation they serve.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  /** The cached value for `key`, or `create(key)` cached (evicting the least recently used). */
  getOrCreate(key: K, create: (key: K) => V): V {
    let value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
    } else {
      value = create(key);
      if (this.map.size >= this.maxEntries) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, value);
    return value;
  }
}
