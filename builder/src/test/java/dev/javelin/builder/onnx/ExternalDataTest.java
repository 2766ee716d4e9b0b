package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.StringStringEntryProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External data: written files are read back by Javelin and by ONNX Runtime with the same values, and
 * any location that escapes the model folder is refused with the tensor and location named.
 */
class ExternalDataTest {
    @TempDir
    Path tmp;

    private static final float[] W = {0.5f, -1.25f, 3f, 1e-3f, 7f, -8f};

    /** y = x + w with w an initializer of 6 floats. */
    private static ModelProto addModel(TensorProto w) {
        return OnnxGraphBuilder.graph("add")
                .input("x", ElementType.FLOAT, 2, 3)
                .initializer(w)
                .node("Add").name("add0").inputs("x", "w").outputs("y").add()
                .output("y", ElementType.FLOAT, 2, 3)
                .buildModel();
    }

    /** A model whose initializer 'w' points at {@code location} (offset 0, 24 bytes). */
    private Path modelWithLocation(Path dir, String location) throws Exception {
        Files.createDirectories(dir);
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(ElementType.FLOAT.onnx()).addDims(2).addDims(3)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("24"))
                .build();
        Path p = dir.resolve("model.onnx");
        Files.write(p, addModel(w).toByteArray());
        return p;
    }

    private static byte[] floatBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void writeWithExternalDataAndReadBackInJavelinAndOnnxRuntime() throws Exception {
        OnnxModel inline = OnnxModel.of(addModel(Tensors.floats("w", new long[] {2, 3}, W)), null);
        Path out = tmp.resolve("ext/model.onnx");
        OnnxModel written = inline.write(out, OnnxModel.WriteOptions.externalData("model.data", 0));

        TensorProto w = written.proto().getGraph().getInitializer(0);
        assertTrue(Tensors.isExternal(w));
        assertFalse(w.hasRawData());
        ExternalData ref = ExternalData.of(w).orElseThrow();
        assertEquals("model.data", ref.location());
        assertEquals(0, ref.offset() % OnnxModel.EXTERNAL_ALIGNMENT);
        assertEquals(24, ref.length());
        assertTrue(Files.size(tmp.resolve("ext/model.data")) >= 24);

        OnnxModel reloaded = OnnxModel.load(out);
        assertArrayEquals(W, Tensors.toFloats(reloaded.tensorBytes(reloaded.proto().getGraph().getInitializer(0))));

        // ONNX Runtime reads the external file on its own: y = x + w must come out exactly.
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] y = OrtReference.runFloat(out, "x", x, new long[] {2, 3}, "y");
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i] + W[i], y[i], 0f, "element " + i);
        }
    }

    @Test
    void thresholdKeepsSmallTensorsInline() throws Exception {
        ModelProto m = OnnxGraphBuilder.graph("two")
                .input("x", ElementType.FLOAT, 6)
                .initializer(Tensors.floats("big", new long[] {6}, W))
                .initializer(Tensors.floats("small", new long[] {1}, 2f))
                .node("Add").inputs("x", "big").outputs("t").add()
                .node("Mul").inputs("t", "small").outputs("y").add()
                .output("y", ElementType.FLOAT, 6)
                .buildModel();
        OnnxModel written = OnnxModel.of(m, null).write(tmp.resolve("m.onnx"), OnnxModel.WriteOptions.externalData("w.bin", 16));
        Map<String, Boolean> external = written.proto().getGraph().getInitializerList().stream()
                .collect(Collectors.toMap(TensorProto::getName, Tensors::isExternal));
        assertEquals(Map.of("big", true, "small", false), external);
        float[] y = OrtReference.runFloat(tmp.resolve("m.onnx"), "x", new float[6], new long[] {6}, "y");
        for (int i = 0; i < 6; i++) {
            assertEquals(2f * W[i], y[i], 0f);
        }
    }

    @Test
    void rewritingAnExternalModelElsewhereCarriesItsData() throws Exception {
        Path src = tmp.resolve("src/model.onnx");
        OnnxModel.of(addModel(Tensors.floats("w", new long[] {2, 3}, W)), null)
                .write(src, OnnxModel.WriteOptions.externalData("weights.bin", 0));
        OnnxModel loaded = OnnxModel.load(src);
        // Self-contained copy in another folder: the data moves inline.
        OnnxModel copy = loaded.write(tmp.resolve("dst/model.onnx"));
        TensorProto w = copy.proto().getGraph().getInitializer(0);
        assertFalse(Tensors.isExternal(w));
        assertArrayEquals(floatBytes(W), w.getRawData().toByteArray());
        // Overwriting the model in place with a new external file name is safe: data is read before the move.
        OnnxModel again = loaded.write(src, OnnxModel.WriteOptions.externalData("weights2.bin", 0));
        assertArrayEquals(W, Tensors.toFloats(OnnxModel.load(src).tensorBytes(again.proto().getGraph().getInitializer(0))));
    }

    @Test
    void absoluteLocationIsRejected() throws Exception {
        Path outside = Files.write(tmp.resolve("outside.bin"), floatBytes(W));
        Path model = modelWithLocation(tmp.resolve("m"), outside.toAbsolutePath().toString());
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(model));
        assertTrue(e.getMessage().contains("tensor 'w'"), e.getMessage());
        assertTrue(e.getMessage().contains(outside.toAbsolutePath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("absolute path"), e.getMessage());
        assertTrue(e.getMessage().contains(model.toString()), "names the model file: " + e.getMessage());
    }

    @Test
    void dotDotLocationIsRejected() throws Exception {
        Files.write(tmp.resolve("outside.bin"), floatBytes(W));
        Path model = modelWithLocation(tmp.resolve("m"), "../outside.bin");
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(model));
        assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("'../outside.bin'")
                && e.getMessage().contains("'..'"), e.getMessage());
        // Also when the '..' would come back inside the folder: the rule is syntactic and strict.
        Path model2 = modelWithLocation(tmp.resolve("m2"), "sub/../w.bin");
        Files.write(tmp.resolve("m2/w.bin"), floatBytes(W));
        assertThrows(ModelException.class, () -> OnnxModel.load(model2));
        // Windows-style separators and drive letters are refused too.
        assertThrows(ModelException.class, () -> OnnxModel.load(modelWithLocation(tmp.resolve("m3"), "..\\outside.bin")));
        assertThrows(ModelException.class, () -> OnnxModel.load(modelWithLocation(tmp.resolve("m4"), "C:\\w.bin")));
    }

    @Test
    void symlinkEscapingTheFolderIsRejected() throws Exception {
        Path outside = Files.write(tmp.resolve("secret.bin"), floatBytes(W));
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.createSymbolicLink(dir.resolve("w.bin"), outside);
        Path model = modelWithLocation(dir, "w.bin");
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.load(model));
        assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("'w.bin'")
                && e.getMessage().contains("outside the model folder"), e.getMessage());
    }

    @Test
    void symlinkedFolderInsideIsAccepted() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Path data = Files.createDirectories(dir.resolve("store"));
        Files.write(data.resolve("w.bin"), floatBytes(W));
        Files.createSymbolicLink(dir.resolve("link"), data);
        Path model = modelWithLocation(dir, "link/w.bin");
        OnnxModel m = OnnxModel.load(model);
        assertArrayEquals(W, Tensors.toFloats(m.tensorBytes(m.proto().getGraph().getInitializer(0))));
    }

    @Test
    void missingFileWrongSizeAndBadOffsetAreNamed() throws Exception {
        ModelException missing = assertThrows(ModelException.class,
                () -> OnnxModel.load(modelWithLocation(tmp.resolve("a"), "nothere.bin")));
        assertTrue(missing.getMessage().contains("tensor 'w'") && missing.getMessage().contains("'nothere.bin'")
                && missing.getMessage().contains("does not exist"), missing.getMessage());

        Path b = modelWithLocation(tmp.resolve("b"), "short.bin");
        Files.write(tmp.resolve("b/short.bin"), new byte[10]);
        ModelException shortFile = assertThrows(ModelException.class, () -> OnnxModel.load(b));
        assertTrue(shortFile.getMessage().contains("tensor 'w'") && shortFile.getMessage().contains("beyond the end"),
                shortFile.getMessage());

        // 40 bytes available, length 24 given, but the tensor needs 2x3 floats = 24: fine. Now a model
        // with no length and a 40-byte file: the size disagrees with the tensor's shape.
        Path c = tmp.resolve("c");
        Files.createDirectories(c);
        Files.write(c.resolve("w.bin"), new byte[40]);
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(ElementType.FLOAT.onnx()).addDims(2).addDims(3)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("w.bin")).build();
        Files.write(c.resolve("model.onnx"), addModel(w).toByteArray());
        ModelException size = assertThrows(ModelException.class, () -> OnnxModel.load(c.resolve("model.onnx")));
        assertTrue(size.getMessage().contains("holds 40 bytes") && size.getMessage().contains("need 24"), size.getMessage());

        TensorProto badOffset = w.toBuilder().addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("-4")).build();
        ModelException off = assertThrows(ModelException.class, () -> ExternalData.of(badOffset));
        assertTrue(off.getMessage().contains("offset='-4'"), off.getMessage());
    }

    @Test
    void externalDataInMemoryModelNeedsAFolder() {
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(ElementType.FLOAT.onnx()).addDims(1)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("w.bin")).build();
        ModelException e = assertThrows(ModelException.class,
                () -> OnnxModel.decode(addModel(w).toByteArray(), "bytes", null));
        assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("not loaded from a folder"), e.getMessage());
    }

    @Test
    void miniLmWithExternalWeightsOpensInOnnxRuntime() throws Exception {
        OnnxModel m = OnnxModel.load(ModelFiles.miniLm());
        Path out = tmp.resolve("minilm/model.onnx");
        OnnxModel written = m.write(out, OnnxModel.WriteOptions.externalData("model.onnx.data", 1024));
        assertTrue(Files.size(out) < 1_000_000, "weights moved out: " + Files.size(out));
        // Same total weight bytes, most now external; ONNX Runtime opens it and sees the same signature.
        ModelSummary before = ModelSummary.of(m);
        ModelSummary after = ModelSummary.of(written);
        assertEquals(before.initializerBytes(), after.initializerBytes());
        assertTrue(after.externalBytes() > 0.99 * after.initializerBytes());
        assertEquals(OrtReference.signature(ModelFiles.miniLm()), OrtReference.signature(out));
        // Every initializer reads back to the bytes of the original.
        Map<String, TensorProto> orig = m.proto().getGraph().getInitializerList().stream()
                .collect(Collectors.toMap(TensorProto::getName, t -> t));
        OnnxModel reloaded = OnnxModel.load(out);
        for (TensorProto t : reloaded.proto().getGraph().getInitializerList()) {
            assertArrayEquals(m.tensorBytes(orig.get(t.getName())), reloaded.tensorBytes(t), t.getName());
        }
        assertEquals(Optional.of(out.getParent().toAbsolutePath()), reloaded.directory());
        assertEquals(List.of(), Files.list(out.getParent()).map(Path::getFileName).map(Path::toString)
                .filter(n -> n.endsWith(".tmp")).toList(), "no temporary files left");
    }
}
