package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.IoBinding;
import dev.javelin.bindings.ort.Ort;
import dev.javelin.bindings.ort.OrtException;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.bindings.ort.SessionRunner;
import dev.javelin.bindings.ort.TensorValue;
import dev.javelin.bindings.ort.ValueInfo;
import dev.javelin.runtime.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ORT bindings on their own: metadata, zero-copy values, runner, IoBinding, errors. */
class OrtBindingsTest {
    @TempDir
    Path dir;

    static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    @Test
    void metadataHasNamesTypesAndSymbolicDims() {
        try (SessionConfig c = new SessionConfig(); InferenceSession s = InferenceSession.open(TestModels.addBatch(dir), c)) {
            ValueInfo a = s.inputs().get(0);
            assertEquals("a", a.name());
            assertTrue(a.isTensor());
            assertEquals(1, a.elementType());
            assertArrayEquals(new long[] {-1, 16}, a.dims());
            assertEquals(List.of("batch", ""), a.dimParams());
            assertEquals("a: float[batch, 16]", a.toString());
            assertEquals(List.of("c"), s.outputs().stream().map(ValueInfo::name).toList());
        }
        try (SessionConfig c = new SessionConfig(); InferenceSession i64 = InferenceSession.open(TestModels.int64(dir), c);
             InferenceSession f16 = InferenceSession.open(TestModels.float16(dir), c)) {
            assertEquals(7, i64.inputs().get(0).elementType());
            assertEquals(10, f16.outputs().get(0).elementType());
        }
        assertTrue(Ort.availableProviders().contains(Ort.CPU_PROVIDER), Ort.availableProviders().toString());
        assertTrue(Ort.version().startsWith("1."), Ort.version());
    }

    @Test
    void valuesWrapCallerMemoryWithoutCopies() {
        try (SessionConfig c = new SessionConfig(); InferenceSession s = InferenceSession.open(TestModels.add(dir), c);
             IoBinding b = s.newIoBinding()) {
            ByteBuffer a = direct(64);
            ByteBuffer bb = direct(64);
            ByteBuffer out = direct(64);
            try (TensorValue va = TensorValue.wrap(a, 1, 1, 16); TensorValue vb = TensorValue.wrap(bb, 1, 1, 16);
                 TensorValue vo = TensorValue.wrap(out, 1, 1, 16)) {
                assertTrue(va.wrapsCallerMemory());
                b.bindInput("a", va);
                b.bindInput("b", vb);
                b.bindOutput("c", vo);
                for (int round = 1; round <= 3; round++) {
                    a.putFloat(8, round);          // written after binding: ONNX Runtime reads this very memory
                    bb.putFloat(8, 100);
                    b.run(null);
                    assertEquals(100f + round, out.getFloat(8), "round " + round); // and writes into ours
                }
                List<Map.Entry<String, TensorValue>> bound = b.outputs();
                assertEquals("c", bound.get(0).getKey());
                bound.forEach(e -> e.getValue().close());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> TensorValue.wrap(direct(60), 1, 1, 16));
        assertThrows(IllegalArgumentException.class, () -> TensorValue.wrap(ByteBuffer.allocate(64), 1, 1, 16));
    }

    @Test
    void runnerHandsOutputsOverAndReportsRunErrors() {
        try (SessionConfig c = new SessionConfig(); InferenceSession s = InferenceSession.open(TestModels.addBatch(dir), c);
             SessionRunner r = s.newRunner()) {
            ByteBuffer a = direct(2 * 64);
            ByteBuffer b = direct(2 * 64);
            a.putFloat(4, 1.5f);
            b.putFloat(4, 2f);
            r.setInput(0, a, 1, new long[] {2, 16});
            r.setInput(1, b, 1, new long[] {2, 16});
            r.run(null);
            try (TensorValue out = r.takeOutput(0)) {
                assertArrayEquals(new long[] {2, 16}, out.shape());
                assertEquals(3.5f, out.data().getFloat(4));
                assertTrue(!out.wrapsCallerMemory());
            }
            assertThrows(IllegalStateException.class, () -> r.takeOutput(0), "taken once");
            r.clear();
            r.setInput(0, a, 1, new long[] {2, 16});
            r.setInput(1, direct(3 * 64), 1, new long[] {3, 16});
            OrtException e = assertThrows(OrtException.class, () -> r.run(null));
            assertTrue(e.call().startsWith("Run("), e.call());
            r.clear();
        }
    }
}
