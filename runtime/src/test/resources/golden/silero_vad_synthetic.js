// Produces silero_vad_synthetic.json, the independent reference for SileroVadTest: run with the official
// ONNX Runtime Node.js binding (npm onnxruntime-node 1.30.0, installed with --ignore-scripts for the CPU build):
//   node silero_vad_synthetic.js .models/silero_vad.onnx > silero_vad_synthetic.json
const ort = require('onnxruntime-node');
// Deterministic synthetic signal: exact double arithmetic then rounding to float32 (same in Java).
function signal(frames, n) {
  const out = new Float32Array(frames * n);
  let seed = 12345;
  for (let i = 0; i < frames * n; i++) {
    seed = (seed * 48271) % 2147483647;                        // MINSTD LCG: products < 2^47, exact in doubles
    const noise = (seed / 2147483647 - 0.5) * 0.02;
    const frame = Math.floor(i / n);
    let v = noise;
    if (frame >= 5 && frame < 12) {
      const period = 40 + 4 * (frame - 5);                     // 400 Hz down to ~290 Hz at 16 kHz
      const ph = (i % period) / period;                         // exact-enough: division rounded once
      const tri = ph < 0.5 ? 4 * ph - 1 : 3 - 4 * ph;          // triangle in [-1, 1]
      v += 0.6 * tri;
    }
    out[i] = Math.fround(v);
  }
  return out;
}
(async () => {
  const s = await ort.InferenceSession.create(process.argv[2], { intraOpNumThreads: 1 });
  console.error(s.inputNames, s.outputNames);
  const frames = 16, n = 512;
  const x = signal(frames, n);
  let h = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
  let c = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  const probs = [];
  for (let f = 0; f < frames; f++) {
    const input = new ort.Tensor('float32', x.slice(f * n, (f + 1) * n), [1, n]);
    const r = await s.run({ input, sr, h, c });
    probs.push(r.output.data[0]);
    h = r.hn; c = r.cn;
  }
  const sig = Array.from(x.slice(0, 8));
  console.log(JSON.stringify({ frames, samples: n, probs: probs.map(p => p.toPrecision(9)), hn: Array.from(h.data).map(p => p.toPrecision(9)), cn: Array.from(c.data).map(p => p.toPrecision(9)), first8: sig.map(p=>p.toPrecision(9)), ortVersion: require('onnxruntime-node/package.json').version }));
})();
