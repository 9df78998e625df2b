// ONNX Runtime (onnxruntime-node, CPU) over the windows and token ids that torch_eager.py wrote:
// model-only time of each tower, batches as the other sides use them.
//   node ort_run.js OUT_DIR [THREADS=2] [BATCH_TEXTS=32] [BATCH_WINDOWS=8]
// Writes OUT_DIR/ort_windows.npy (every window's embedding), ort_text.npy and ort_times.json.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.slice(10, 10 + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const data = buf.slice(10 + headerLen);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  const typed = descr === '<f4' ? new Float32Array(copy.buffer) : new BigInt64Array(copy.buffer);
  return { shape, data: typed };
}

function writeNpy(file, rows, d) {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows.length}, ${d}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + ' '.repeat(pad) + '\n';
  const out = Buffer.alloc(10 + h.length + rows.length * d * 4);
  out.write('\x93NUMPY', 0, 'latin1');
  out.writeUInt8(1, 6);
  out.writeUInt8(0, 7);
  out.writeUInt16LE(h.length, 8);
  out.write(h, 10, 'latin1');
  rows.forEach((r, i) => Buffer.from(r.buffer, r.byteOffset, d * 4).copy(out, 10 + h.length + i * d * 4));
  fs.writeFileSync(file, out);
}

async function main() {
  const [out, threads = '2', batchTexts = '32', batchWindows = '8'] = process.argv.slice(2);
  const opts = { intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const audio = await ort.InferenceSession.create(path.join(out, 'audio.onnx'), opts);
  const text = await ort.InferenceSession.create(path.join(out, 'text.onnx'), opts);
  const times = {};

  const w = readNpy(path.join(out, 'windows.npy'));
  const [n, , f, t] = w.shape;
  const per = f * t;
  const audioRows = [];
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i += Number(batchWindows)) {
    const b = Math.min(Number(batchWindows), n - i);
    const input = new ort.Tensor('float32', w.data.slice(i * per, (i + b) * per), [b, 1, f, t]);
    const r = await audio.run({ windows: input });
    const e = r.embedding;
    for (let j = 0; j < b; ++j) audioRows.push(e.data.slice(j * e.dims[1], (j + 1) * e.dims[1]));
  }
  times.audio_model_s = Number(process.hrtime.bigint() - start) / 1e9;
  writeNpy(path.join(out, 'ort_windows.npy'), audioRows, audioRows[0].length);

  const ids = readNpy(path.join(out, 'ids.npy'));
  const lens = readNpy(path.join(out, 'lens.npy'));
  const [rows, width] = ids.shape;
  const textRows = [];
  start = process.hrtime.bigint();
  for (let i = 0; i < rows; i += Number(batchTexts)) {
    const b = Math.min(Number(batchTexts), rows - i);
    let L = 0;
    for (let j = 0; j < b; ++j) L = Math.max(L, Number(lens.data[i + j]));
    const idData = new BigInt64Array(b * L);
    const maskData = new BigInt64Array(b * L);
    for (let j = 0; j < b; ++j) {
      const len = Number(lens.data[i + j]);
      for (let k = 0; k < len; ++k) {
        idData[j * L + k] = ids.data[(i + j) * width + k];
        maskData[j * L + k] = 1n;
      }
    }
    const r = await text.run({ ids: new ort.Tensor('int64', idData, [b, L]), mask: new ort.Tensor('int64', maskData, [b, L]) });
    const e = r.embedding;
    for (let j = 0; j < b; ++j) textRows.push(e.data.slice(j * e.dims[1], (j + 1) * e.dims[1]));
  }
  times.text_model_s = Number(process.hrtime.bigint() - start) / 1e9;
  writeNpy(path.join(out, 'ort_text.npy'), textRows, textRows[0].length);
  fs.writeFileSync(path.join(out, 'ort_times.json'), JSON.stringify(times));
}

main().catch((e) => {
  console.error(`ort_run.js: ${e.message}`);
  process.exit(1);
});
