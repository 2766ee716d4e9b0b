package dev.javelin.builder.partition;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Types and shapes of tensors as ONNX Runtime's own type and shape inference sees them: the model is loaded (never run)
 * on ONNX Runtime CPU with the asked-for tensors added as untyped graph outputs, and the session's output signature is
 * read back. Javelin does no shape arithmetic of its own here.
 */
final class OrtShapes {
    private OrtShapes() {
    }

    /**
     * The type and shape of each of {@code names} in {@code model} (names that are already graph outputs included).
     *
     * @throws ModelException if ONNX Runtime cannot load the model, or a tensor has a type Javelin does not carry
     */
    static Map<String, TensorInfo> infer(OnnxModel model, Collection<String> names, String purpose) {
        GraphProto.Builder g = model.proto().getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(v -> outputs.add(v.getName()));
        for (String n : names) {
            if (outputs.add(n)) {
                g.addOutput(ValueInfoProto.newBuilder().setName(n));
            }
        }
        ModelSignature sig = signature(model.withProto(model.proto().toBuilder().setGraph(g).build()), purpose);
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (String n : names) {
            out.put(n, sig.output(n).orElseThrow(() -> new ModelException(purpose + ": ONNX Runtime reports no tensor '" + n + "'")));
        }
        return out;
    }

    /** ONNX Runtime's signature of {@code model} (loaded with graph optimizations off, so nothing is folded away). */
    static ModelSignature signature(OnnxModel model, String purpose) {
        Path file = null;
        try {
            file = Files.createTempFile("javelin-partition", ".onnx");
            model.write(file);
            SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1)
                    .optimization(SessionOptions.Optimization.NONE).instances(1).build();
            try (Session s = Session.open(file, cpu)) {
                return s.signature();
            }
        } catch (ModelException e) {
            throw new ModelException(purpose + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(purpose + ": " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }
}
