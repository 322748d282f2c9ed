/** What getOrCreate needs of a map: Map, WeakMap and LRUCache all fit. */
interface KeyedStore<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: NoInfer<V>): unknown;
}

/**
 * The value under `key`, made by `create` and kept on the first ask (per-database groups and caches, per-text reads).
 * A `create` that throws keeps nothing: the next ask tries again. Map#getOrInsertComputed, once every supported Node has it.
 */
export function getOrCreate<K, V>(map: KeyedStore<K, V>, key: K, create: () => NoInfer<V>): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
