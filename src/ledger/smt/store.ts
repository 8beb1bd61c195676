/** Content-addressed node storage: node hash -> encoded node. Nodes are never deleted. */
export interface NodeStore {
  get(hash: Uint8Array): Uint8Array | undefined;
  put(hash: Uint8Array, node: Uint8Array): void;
}

/** latin1 maps each byte to one UTF-16 unit: the cheapest exact Map key for a byte string. */
function binKey(h: Uint8Array): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1');
}

/** In-memory store for tests, benchmarks and ephemeral chains. */
export class MemoryNodeStore implements NodeStore {
  private readonly map = new Map<string, Uint8Array>();

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.map.get(binKey(hash));
  }

  put(hash: Uint8Array, node: Uint8Array): void {
    this.map.set(binKey(hash), node);
  }

  get size(): number {
    return this.map.size;
  }
}
