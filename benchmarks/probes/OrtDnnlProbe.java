/*
 * Probe of a lever not taken: ONNX Runtime's oneDNN execution provider, which the bytedeco ONNX Runtime natives
 * ship (libonnxruntime_providers_dnnl.so next to the dnnl preset's libdnnl.so.3), against the CPU provider on
 * all-MiniLM-L6-v2: B copies of the side-by-side benchmark's 16-token query ({@code Signals.tokenIds}), one
 * thread, the two sessions run in alternating rounds in one process.
 * Prints ms per batch for each and the largest difference between their outputs. Written straight against the
 * bytedeco API (a single-file program, not part of any module) because the runtime's loader deliberately keeps
 * oneDNN out of the process; see benchmarks/README.md, "Session 7", for what it measured and why it lost.
 *
 *   ./mvnw -q -o -DskipTests -pl benchmarks -am package
 *   OMP_NUM_THREADS=1 java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmarks.classpath)" \
 *       benchmarks/probes/OrtDnnlProbe.java \
 *       .models/minilm/<hash>/all-minilm-l6-v2.onnx 8 200
 *   (ONEDNN_VERBOSE=1 shows which oneDNN implementation each MatMul got)
 */

import static org.bytedeco.onnxruntime.global.onnxruntime.*;

import dev.javelin.benchmarks.common.Signals;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.onnxruntime.Env;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.OrtStatus;
import org.bytedeco.onnxruntime.RunOptions;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.SessionOptions;
import org.bytedeco.onnxruntime.Value;
import org.bytedeco.onnxruntime.ValueVector;

public class OrtDnnlProbe {
    private static final int TOKENS = 16;

    public static void main(String[] args) {
        String model = args[0];
        int batch = Integer.parseInt(args[1]);
        int runs = Integer.parseInt(args[2]);
        Env env = new Env(ORT_LOGGING_LEVEL_ERROR, new BytePointer("dnnl-probe"));
        Session cpu = open(env, model, false);
        Session dnnl = open(env, model, true);
        long n = (long) batch * TOKENS;
        LongPointer ids = new LongPointer(n);
        LongPointer mask = new LongPointer(n);
        LongPointer types = new LongPointer(n);
        long[] query = Signals.tokenIds(TOKENS);
        for (int i = 0; i < n; i++) {
            ids.put(i, query[i % TOKENS]);
            mask.put(i, 1);
            types.put(i, 0);
        }
        MemoryInfo cpuMemory = MemoryInfo.CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
        LongPointer shape = new LongPointer(batch, TOKENS);
        Value inputs = new Value(3);
        LongPointer[] data = {ids, mask, types};
        for (int i = 0; i < 3; i++) {
            inputs.position(i).put(Value.CreateTensorLong(cpuMemory.asOrtMemoryInfo(), data[i], n, shape, 2));
        }
        inputs.position(0);
        PointerPointer<BytePointer> inputNames = new PointerPointer<>("input_ids", "attention_mask", "token_type_ids");
        PointerPointer<BytePointer> outputNames = new PointerPointer<>("output_0");
        RunOptions runOptions = new RunOptions();

        float[] a = output(cpu, runOptions, inputNames, inputs, outputNames, (int) n * 384);
        float[] b = output(dnnl, runOptions, inputNames, inputs, outputNames, (int) n * 384);
        double maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        }
        System.out.printf(Locale.ROOT, "outputs: max |cpu - dnnl| = %.3g over %d values%n", maxDiff, a.length);
        for (int round = 0; round < 4; round++) {
            for (boolean useDnnl : new boolean[] {false, true}) {
                Session s = useDnnl ? dnnl : cpu;
                for (int i = 0; i < 20; i++) {
                    s.Run(runOptions, inputNames, inputs, 3, outputNames, 1).close();
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < runs; i++) {
                    s.Run(runOptions, inputNames, inputs, 3, outputNames, 1).close();
                }
                double ms = (System.nanoTime() - t0) / 1e6 / runs;
                System.out.printf(Locale.ROOT, "round %d %-4s %.2f ms per batch of %d = %.0f sequences/s%n", round,
                        useDnnl ? "dnnl" : "cpu", ms, batch, batch * 1000 / ms);
            }
        }
    }

    private static Session open(Env env, String model, boolean dnnl) {
        SessionOptions options = new SessionOptions();
        options.SetIntraOpNumThreads(1);
        options.SetGraphOptimizationLevel(ORT_ENABLE_ALL);
        if (dnnl) {
            OrtStatus status = OrtSessionOptionsAppendExecutionProvider_Dnnl(options.asOrtSessionOptions(), 1);
            if (status != null && !status.isNull()) {
                throw new IllegalStateException("appending the oneDNN execution provider failed");
            }
        }
        return new Session(env, new BytePointer(model), options);
    }

    private static float[] output(Session s, RunOptions runOptions, PointerPointer<BytePointer> inputNames,
            Value inputs, PointerPointer<BytePointer> outputNames, int count) {
        try (ValueVector out = s.Run(runOptions, inputNames, inputs, 3, outputNames, 1)) {
            FloatPointer values = out.get(0).GetTensorMutableDataFloat();
            float[] copy = new float[count];
            values.get(copy);
            return copy;
        }
    }
}
