/** CRC-32 (IEEE, reflected), the checksum EVTX uses for file header, chunk header and records. */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC of the concatenated ranges [start, end) of `bytes`. */
export function crc32(bytes: Uint8Array, ranges: readonly (readonly [number, number])[]): number {
  let crc = 0xffffffff;
  for (const [start, end] of ranges) {
    for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
