// Checksums of saved models: FNV-1a over canonical JSON and bytes, so any change or truncation of a file
// webrnn wrote is caught on load, whatever tool re-serialized its JSON.

/** JSON with every object's keys sorted, so a manifest re-serialized by any tool checksums the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** FNV-1a, 32 bits, over the parts in order: any change or truncation changes it. */
export function fnv1a(parts: readonly Uint8Array[]): string {
  let hash = 0x811c9dc5;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i++) {
      hash ^= bytes[i];
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
