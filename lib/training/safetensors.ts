// The .safetensors file format (the one Hugging Face and PyTorch use): 8 bytes of header
// length (little-endian u64), a JSON header naming each tensor's dtype, shape and byte range,
// then the raw float32 data. Python's `safetensors` package reads these files.
import * as fs from "fs";

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Writes to `path + ".tmp"`, then renames: a failed save never destroys the previous file. */
export function writeSafetensors(path: string, tensors: Record<string, StoredTensor>, metadata: Record<string, string>): void {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`Tensor "${name}" has ${data.length} values but shape [${shape}] needs ${expected}.`);
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const headerBytes = Buffer.concat([json, Buffer.from(" ".repeat((8 - (json.length % 8)) % 8))]); // data starts 8-byte aligned
  const file = Buffer.alloc(8 + headerBytes.length + offset);
  file.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(file, 8);
  let position = 8 + headerBytes.length;
  for (const { data } of Object.values(tensors)) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(file, position);
    position += data.byteLength;
  }
  const temporary = `${path}.tmp`;
  try {
    fs.writeFileSync(temporary, file);
    fs.renameSync(temporary, path);
  } catch (e) {
    if (fs.statSync(temporary, { throwIfNoEntry: false })?.isFile()) fs.rmSync(temporary); // a half-written file
    throw new Error(`Could not save the checkpoint to "${path}" (${(e as Error).message}); any earlier file there is unchanged.`);
  }
}

export function readSafetensors(path: string): { tensors: Record<string, StoredTensor>; metadata: Record<string, string> } {
  if (!fs.existsSync(path)) throw new Error(`Checkpoint "${path}" does not exist.`);
  const file = fs.readFileSync(path);
  const corrupt = (why: string) => new Error(`Checkpoint "${path}" is not a valid .safetensors file: ${why}.`);
  if (file.length < 8) throw corrupt(`it has only ${file.length} bytes`);
  const headerLength = Number(file.readBigUInt64LE(0));
  if (headerLength > file.length - 8) throw corrupt(`its header claims ${headerLength} bytes but the file has ${file.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(file.subarray(8, 8 + headerLength).toString("utf8"));
  } catch (e) {
    throw corrupt(`its header is not JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const entry = value as HeaderEntry;
    if (entry.dtype !== "F32") throw corrupt(`tensor "${name}" has dtype ${entry.dtype}; expected F32`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > file.length) {
      throw corrupt(`tensor "${name}" (shape [${entry.shape}]) does not fit its byte range ${begin}..${end}`);
    }
    const bytes = file.subarray(dataStart + begin, dataStart + end);
    tensors[name] = { shape: entry.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}
