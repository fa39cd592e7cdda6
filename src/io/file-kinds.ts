// What kind of model file some bytes are, told by their first bytes, without loading any reader: the
// HDF5 and zip readers (and the Keras formats on them) are imported only once a file turns out to need them.

/** The 8 bytes every HDF5 file starts with (at offset 0 for the files written by Keras and webrnn). */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** Whether the bytes start with the HDF5 signature. */
export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Whether the bytes start with a zip local-file header ('PK\x03\x04'). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Whether the bytes are a Keras file: an .h5 (HDF5) or a .keras (zip). */
export function isKerasFile(bytes: Uint8Array): boolean {
  return isHdf5(bytes) || isZip(bytes);
}

/** The files of a .keras archive (and of the directory Keras saves it to unzipped). */
export const KERAS_ARCHIVE = { config: 'config.json', metadata: 'metadata.json', weights: 'model.weights.h5' } as const;
