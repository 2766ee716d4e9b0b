package dev.javelin.builder.cli;

import dev.javelin.builder.io.Npy;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.exec.Histogram;
import dev.javelin.runtime.exec.StreamingSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin stream MODEL --input NAME=FILE.npy --frame N [--state OUT=IN ...] [--const NAME=FILE.npy ...]}:
 * splits the input along its last axis into frames of N, runs a {@link StreamingSession} over them (state
 * carried frame to frame), and writes each output stacked over frames (new leading axis) as DIR/<name>.npy.
 */
@Command(name = "stream", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a stateful model frame by frame with its state carried over (a StreamingSession).",
                "The input is cut along its last axis into frames of --frame samples; each output is stacked over"
                        + " frames along a new leading axis. State pairs are declared with --state or inferred"
                        + " (printed)."})
public final class StreamCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx model file or an engine bundle folder (javelin build).")
    Path model;

    @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE", required = true,
            description = "The streamed input (.npy); cut along its last axis.")
    String input;

    @Option(names = "--frame", paramLabel = "N", required = true, description = "Samples per frame (last axis).")
    int frame;

    @Option(names = "--state", paramLabel = "OUT=IN", description = "A state pair: output OUT feeds input IN next frame.")
    List<String> states = new ArrayList<>();

    @Option(names = "--const", paramLabel = "NAME=FILE", description = "An input bound once for all frames (.npy).")
    List<String> consts = new ArrayList<>();

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write DIR/<output>.npy.")
    Path outputDir;

    @Option(names = {"-b", "--backend"}, paramLabel = "BACKEND", defaultValue = "auto", converter = BackendOption.class,
            completionCandidates = BackendOption.class, description = "auto, cpu, cuda or tensorrt.")
    BackendKind backend;

    @Mixin
    Specialization specialization;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Intra-op threads (CPU).")
    int threads;

    @Override
    public Integer call() throws IOException {
        if (frame <= 0) {
            throw new ParameterException(spec.commandLine(), "--frame must be > 0, was " + frame);
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Tensor> in = new LinkedHashMap<>();
        Map<String, Tensor> constants = new LinkedHashMap<>();
        try {
            CliInputs.readAll(spec.commandLine(), "--input", List.of(input), in);
            CliInputs.readAll(spec.commandLine(), "--const", consts, constants);
            String name = in.keySet().iterator().next();
            Tensor signal = in.get(name);
            Shape s = signal.shape();
            if (s.rank() == 0) {
                throw new CliException(ExitCodes.MODEL_OR_INPUT, "input '" + name + "' is a scalar; nothing to cut into frames");
            }
            long total = s.dim(s.rank() - 1);
            if (total % frame != 0) {
                throw new CliException(ExitCodes.MODEL_OR_INPUT, "input '" + name + "' has " + total
                        + " samples on its last axis, not a multiple of --frame " + frame + "; pad or trim it");
            }
            int frames = Math.toIntExact(total / frame);
            Shape frameShape = s.withDim(s.rank() - 1, frame);
            SessionOptions options = SessionOptions.builder().backend(backend).intraOpThreads(threads).build();
            try (Session session = Session.open(specialization.resolve(spec.commandLine(), model, out), options)) {
                StreamingSession.Builder b = StreamingSession.builder(session).frame(name, frameShape);
                constants.forEach(b::constant);
                if (states.isEmpty()) {
                    b.inferStates();
                }
                for (String st : states) {
                    String[] p = CliInputs.pair(spec.commandLine(), "--state", st);
                    b.state(p[0], p[1]);
                }
                try (StreamingSession stream = b.open(); Tensor buf = Tensor.allocate(signal.dtype(), frameShape)) {
                    out.println("model    " + model + " on " + session.backend() + ": " + session.description());
                    out.println("frames   " + frames + " x " + frameShape + " from '" + name + "' " + s);
                    stream.report().forEach(line -> out.println("state    " + line));
                    Map<String, ByteBuffer> stacked = new LinkedHashMap<>();
                    Map<String, Tensor> shapes = new LinkedHashMap<>();
                    Histogram h = new Histogram();
                    int es = signal.dtype().byteSize();
                    long outer = s.elementCount() / total;
                    for (int f = 0; f < frames; f++) {
                        ByteBuffer dst = buf.unsafeBuffer();
                        for (long o = 0; o < outer; o++) {
                            dst.put(Math.toIntExact(o * frame * es), signal.unsafeBuffer(),
                                    Math.toIntExact((o * total + (long) f * frame) * es), frame * es);
                        }
                        long t0 = System.nanoTime();
                        Map<String, Tensor> r = stream.step(buf);
                        h.record(System.nanoTime() - t0);
                        for (Map.Entry<String, Tensor> e : r.entrySet()) {
                            Tensor t = e.getValue();
                            ByteBuffer acc = stacked.computeIfAbsent(e.getKey(),
                                    k -> ByteBuffer.allocateDirect(Math.toIntExact(t.byteSize() * frames))
                                            .order(java.nio.ByteOrder.nativeOrder()));
                            if (!shapes.containsKey(e.getKey())) {
                                shapes.put(e.getKey(), t);
                            } else if (!shapes.get(e.getKey()).shape().equals(t.shape())) {
                                throw new CliException(ExitCodes.FAILURE, "output '" + e.getKey() + "' changed shape"
                                        + " between frames; cannot stack it");
                            }
                            acc.put(f * Math.toIntExact(t.byteSize()), t.unsafeBuffer(), 0, Math.toIntExact(t.byteSize()));
                        }
                    }
                    Histogram.Snapshot snap = h.snapshot();
                    out.println("per frame p50 " + Latency.ms(snap.p50()) + ", p90 " + Latency.ms(snap.p90())
                            + ", p99 " + Latency.ms(snap.p99()) + ", mean " + Latency.ms((long) snap.mean()));
                    Map<String, String> files = OutputFiles.fileNames(List.copyOf(stacked.keySet()), ".npy");
                    if (outputDir != null) {
                        Files.createDirectories(outputDir);
                    }
                    for (Map.Entry<String, ByteBuffer> e : stacked.entrySet()) {
                        Shape one = shapes.get(e.getKey()).shape();
                        long[] dims = new long[one.rank() + 1];
                        dims[0] = frames;
                        System.arraycopy(one.dims(), 0, dims, 1, one.rank());
                        Tensor all = Tensor.wrap(e.getValue().position(0), shapes.get(e.getKey()).dtype(), Shape.of(dims));
                        TensorStats st = TensorStats.of(all);
                        out.println("output   " + e.getKey() + " " + all.dtype().label() + Shape.of(dims)
                                + " min " + TensorStats.format(st.min(), all.dtype()) + " max "
                                + TensorStats.format(st.max(), all.dtype()) + (outputDir == null ? ""
                                : " -> " + outputDir.resolve(files.get(e.getKey()))));
                        if (outputDir != null) {
                            Npy.write(outputDir.resolve(files.get(e.getKey())), all);
                        }
                    }
                }
            }
        } finally {
            in.values().forEach(Tensor::close);
            constants.values().forEach(Tensor::close);
        }
        out.flush();
        return ExitCodes.OK;
    }
}
