// Reads the text chunks of a PNG (tEXt, zTXt, iTXt). ComfyUI stores the
// API-format graph under "prompt" and the UI graph under "workflow".

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export class PNGError extends Error {}

// readPNGText returns {keyword: text} for every text chunk.
export async function readPNGText(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new PNGError("not a PNG file");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = {};
  let pos = 8;
  for (;;) {
    if (pos + 12 > bytes.length) throw new PNGError("truncated PNG (no IEND chunk)");
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const start = pos + 8;
    const end = start + length;
    if (end + 4 > bytes.length) throw new PNGError(`truncated ${type} chunk`);
    const data = bytes.subarray(start, end);
    if (type === "tEXt") addText(out, parseTEXt(data));
    else if (type === "zTXt") addText(out, await parseZTXt(data));
    else if (type === "iTXt") addText(out, await parseITXt(data));
    else if (type === "IEND") return out;
    pos = end + 4; // skip the CRC
  }
}

function addText(out, entry) {
  if (entry) out[entry[0]] = entry[1];
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

function nulAt(data, from = 0) {
  const i = data.indexOf(0, from);
  if (i < 0) throw new PNGError("text chunk without a keyword terminator");
  return i;
}

function parseTEXt(data) {
  const k = nulAt(data);
  return [latin1.decode(data.subarray(0, k)), latin1.decode(data.subarray(k + 1))];
}

async function parseZTXt(data) {
  const k = nulAt(data);
  // data[k+1] is the compression method; 0 (zlib) is the only one defined.
  const text = await inflate(data.subarray(k + 2));
  return [latin1.decode(data.subarray(0, k)), latin1.decode(text)];
}

async function parseITXt(data) {
  const k = nulAt(data);
  const compressed = data[k + 1] === 1;
  const lang = nulAt(data, k + 3);
  const translated = nulAt(data, lang + 1);
  let text = data.subarray(translated + 1);
  if (compressed) text = await inflate(text);
  return [latin1.decode(data.subarray(0, k)), utf8.decode(text)];
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
