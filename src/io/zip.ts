// Zip archives (Keras' .keras files) through fflate, imported only when an archive is read or written.

import { ModelFormatError } from '../gpu/errors.js';

export { isZip } from './file-kinds.js';

/** A .keras file holds a config and weights; more than this unpacked is refused rather than exhausting memory. */
export const MAX_UNZIPPED_BYTES = 4 * 1024 ** 3;

/** The archive's files by name. A damaged archive, or one unpacking past MAX_UNZIPPED_BYTES, is a ModelFormatError. */
export async function unzip(bytes: Uint8Array, where: string): Promise<Map<string, Uint8Array>> {
  const { unzipSync } = await import('fflate');
  let total = 0;
  try {
    const files = unzipSync(bytes, {
      filter: (file) => {
        total += file.originalSize;
        if (total > MAX_UNZIPPED_BYTES) throw new ModelFormatError(`${where}: the archive unpacks to more than ${MAX_UNZIPPED_BYTES / 1024 ** 3} GiB; refused`);
        return !file.name.endsWith('/');
      },
    });
    return new Map(Object.entries(files));
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`${where}: not a readable zip archive (damaged or truncated?): ${(error as Error).message}`);
  }
}

/** A zip of the files, stored uncompressed as Keras writes its archives. */
export async function zip(files: ReadonlyArray<readonly [string, Uint8Array]>): Promise<Uint8Array> {
  const { zipSync } = await import('fflate');
  return zipSync(Object.fromEntries(files.map(([name, data]) => [name, [data, { level: 0 }]])) as Parameters<typeof zipSync>[0]);
}
