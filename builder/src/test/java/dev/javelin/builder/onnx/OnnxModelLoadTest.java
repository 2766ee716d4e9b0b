package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading real and broken files: every failure is a ModelException naming the file and the problem. */
class OnnxModelLoadTest {
    @TempDir
    Path tmp;

    private static ModelProto addModel() {
        return OnnxGraphBuilder.graph("add")
                .input("x", ElementType.FLOAT, "batch", 4)
                .initializer(Tensors.floats("w", new long[] {4}, 1, 2, 3, 4))
                .node("Add").name("add0").inputs("x", "w").outputs("y").add()
                .output("y", ElementType.FLOAT, "batch", 4)
                .buildModel();
    }

    @Test
    void loadsSileroVad() {
        OnnxModel m = OnnxModel.load(ModelFiles.sileroVad());
        // Read from the file's protoc text dump (see ModelSummaryTest for how): IR 8, ai.onnx opset 16.
        assertEquals(8, m.proto().getIrVersion());
        assertEquals(16, m.defaultOpset());
        assertEquals(9, m.opsetImports().size());
        assertEquals(1L, m.opsetImports().get("com.microsoft"));
        m.validate();
    }

    @Test
    void missingFile() {
        Path p = tmp.resolve("nope.onnx");
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void directoryInsteadOfFile() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("model-folder"));
        Files.write(dir.resolve("inner.onnx"), addModel().toByteArray());
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(dir));
        assertTrue(e.getMessage().contains("is a directory") && e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("inner.onnx"), "hints at the model inside: " + e.getMessage());
    }

    @Test
    void emptyFile() throws Exception {
        Path p = Files.createFile(tmp.resolve("empty.onnx"));
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("empty (0 bytes)"), e.getMessage());
    }

    @Test
    void truncatedRealModel() throws Exception {
        byte[] full = Files.readAllBytes(ModelFiles.sileroVad());
        Path p = tmp.resolve("silero-truncated.onnx");
        Files.write(p, Arrays.copyOf(full, full.length / 2));
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedAtFieldBoundaryIsStillCaught() throws Exception {
        // Protobuf writes fields in number order: ir_version(1), producer(2), graph(7), opset_import(8).
        // Cutting right after the graph leaves bytes that decode cleanly but lack the opsets.
        ModelProto full = addModel();
        byte[] withoutOpsets = full.toBuilder().clearOpsetImport().build().toByteArray();
        byte[] all = full.toByteArray();
        assertArrayEquals(withoutOpsets, Arrays.copyOf(all, withoutOpsets.length), "prefix property of the encoding");
        Path p = tmp.resolve("cut.onnx");
        Files.write(p, withoutOpsets);
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(p));
        assertTrue(e.getMessage().contains("no opset_import") && e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void corruptedBytes() throws Exception {
        byte[] full = Files.readAllBytes(ModelFiles.sileroVad());
        byte[] bad = full.clone();
        // Overwrite the first field tags with 0xFF: a varint that never ends. (Corruption inside weight
        // bytes cannot be detected by any decoder; that is what external data checksums are for.)
        Arrays.fill(bad, 0, 16, (byte) 0xFF);
        Path p = tmp.resolve("corrupt.onnx");
        Files.write(p, bad);
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("not a valid ONNX model"), e.getMessage());
    }

    @Test
    void notAnOnnxFile() throws Exception {
        Path p = tmp.resolve("readme.onnx");
        Files.writeString(p, "this is a text file, not a model\n", StandardCharsets.UTF_8);
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("not a valid ONNX model"), e.getMessage());
    }

    @Test
    void selfContainedRoundTripIsIdentical() throws Exception {
        OnnxModel m = OnnxModel.load(ModelFiles.sileroVad());
        Path out = tmp.resolve("copy/silero.onnx");
        OnnxModel written = m.write(out);
        assertEquals(m.proto(), written.proto());
        assertEquals(m.proto(), OnnxModel.load(out).proto());
        // What ONNX Runtime reads from the copy is what it reads from the original.
        assertEquals(OrtReference.signature(ModelFiles.sileroVad()), OrtReference.signature(out));
    }

    @Test
    void opsetImportsUseDisplayDomain() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g").opset("com.microsoft", 1).buildModel(), null);
        assertEquals(Map.of("ai.onnx", OnnxGraphBuilder.DEFAULT_OPSET, "com.microsoft", 1L), m.opsetImports());
    }
}
