package dev.javelin.builder.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.Float16;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The .npy reader and writer against files NumPy wrote (src/test/resources/npy, see its README), against
 * headers built byte by byte here, and against broken files.
 */
class NpyTest {
    /** {@code np.arange(6, dtype='<f4').reshape(2,3) / 4 - 0.5}, computed here in closed form. */
    private static final float[] A = {-0.5f, -0.25f, 0f, 0.25f, 0.5f, 0.75f};

    @TempDir
    Path tmp;

    private static Path fixture(String name) throws IOException {
        Path dir = Path.of("src/test/resources/npy");
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            throw new IOException("fixture " + p.toAbsolutePath() + " missing");
        }
        return p;
    }

    // ------------------------------------------------------------------ numpy-written files, every dtype

    @ParameterizedTest
    @ValueSource(strings = {"f4_2x3.npy", "f4_2x3_be.npy", "f4_v2.npy", "f4_v3.npy"})
    void readsFloat32InEveryVersionAndByteOrder(String name) throws IOException {
        try (Tensor t = Npy.read(fixture(name))) {
            assertEquals(DType.FLOAT32, t.dtype());
            assertEquals(Shape.of(2, 3), t.shape());
            assertArrayEquals(A, t.toFloatArray());
        }
        int major = Npy.readHeader(fixture(name)).major();
        assertEquals(name.contains("v2") ? 2 : name.contains("v3") ? 3 : 1, major);
    }

    @Test
    void readsFloat16() throws IOException {
        try (Tensor t = Npy.read(fixture("f2_6.npy"))) {
            assertEquals(DType.FLOAT16, t.dtype());
            assertEquals(Shape.of(6), t.shape());
            float[] v = t.toFloatArray();
            assertArrayEquals(new float[] {0f, 1f, -2.5f, 65504f, Float.POSITIVE_INFINITY}, Arrays.copyOf(v, 5));
            // 0.1 is not representable: numpy stores the nearest half, 0x2E66 = 0.0999755859375.
            assertEquals((short) 0x2E66, t.buffer().getShort(10));
            assertEquals(0.0999755859375f, v[5]);
        }
    }

    @Test
    void readsIntegerAndBoolTypes() throws IOException {
        try (Tensor t = Npy.read(fixture("i8_scalar.npy"))) {
            assertEquals(DType.INT64, t.dtype());
            assertEquals(Shape.scalar(), t.shape());
            assertArrayEquals(new long[] {-1234567890123L}, t.toLongArray());
        }
        try (Tensor t = Npy.read(fixture("i1_4.npy"))) {
            assertEquals(DType.INT8, t.dtype());
            assertArrayEquals(new byte[] {-128, -1, 0, 127}, t.toByteArray());
        }
        try (Tensor t = Npy.read(fixture("u1_2x2.npy"))) {
            assertEquals(DType.UINT8, t.dtype());
            assertEquals(Shape.of(2, 2), t.shape());
            assertArrayEquals(new byte[] {0, 1, (byte) 254, (byte) 255}, t.toByteArray());
        }
        try (Tensor t = Npy.read(fixture("i4_3_be.npy"))) {
            assertEquals(DType.INT32, t.dtype());
            assertArrayEquals(new long[] {-2, 70000, 2147483647}, t.toLongArray());
        }
        try (Tensor t = Npy.read(fixture("i8_2_be.npy"))) {
            assertArrayEquals(new long[] {-5, 1L << 40}, t.toLongArray());
        }
        try (Tensor t = Npy.read(fixture("b1_2x2.npy"))) {
            assertEquals(DType.BOOL, t.dtype());
            assertArrayEquals(new byte[] {1, 0, 0, 1}, t.toByteArray());
        }
        try (Tensor t = Npy.read(fixture("f4_empty_0x3.npy"))) {
            assertEquals(Shape.of(0, 3), t.shape());
            assertEquals(0, t.byteSize());
        }
    }

    /** Reading numpy's file and writing it back gives numpy's bytes exactly (header text, padding, data). */
    @ParameterizedTest
    @ValueSource(strings = {"f4_2x3.npy", "f2_6.npy", "i8_scalar.npy", "i1_4.npy", "u1_2x2.npy", "b1_2x2.npy",
            "f4_empty_0x3.npy"})
    void writesTheBytesNumpyWrites(String name) throws IOException {
        Path out = tmp.resolve(name);
        try (Tensor t = Npy.read(fixture(name))) {
            Npy.write(out, t);
        }
        assertArrayEquals(Files.readAllBytes(fixture(name)), Files.readAllBytes(out), name);
    }

    @Test
    void writerMatchesNumpyForTensorsBuiltFromValues() throws IOException {
        Path out = tmp.resolve("a.npy");
        try (Tensor t = Tensor.of(A, Shape.of(2, 3))) {
            Npy.write(out, t);
        }
        assertArrayEquals(Files.readAllBytes(fixture("f4_2x3.npy")), Files.readAllBytes(out));
        // The big-endian and 2.0/3.0 fixtures hold the same array; numpy itself writes 1.0 little-endian.
        try (Tensor be = Npy.read(fixture("f4_2x3_be.npy"))) {
            Npy.write(out, be);
        }
        assertArrayEquals(Files.readAllBytes(fixture("f4_2x3.npy")), Files.readAllBytes(out));
    }

    // ------------------------------------------------------------------------------------ round trips

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtypeAndRank(DType dtype) throws IOException {
        Random rnd = new Random(dtype.ordinal());
        for (Shape shape : List.of(Shape.scalar(), Shape.of(7), Shape.of(3, 5), Shape.of(2, 1, 4, 3), Shape.of(4, 0))) {
            byte[] raw = new byte[Math.toIntExact(shape.elementCount() * dtype.byteSize())];
            rnd.nextBytes(raw);
            if (dtype == DType.BOOL) {
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = (byte) (raw[i] & 1);
                }
            }
            Path f = tmp.resolve(dtype + "_" + shape.rank() + ".npy");
            try (Tensor t = Tensor.of(DType.UINT8, raw, Shape.of(raw.length))) {
                Tensor typed = Tensor.wrap(t.buffer(), dtype, shape);
                Npy.write(f, typed);
            }
            try (Tensor back = Npy.read(f)) {
                assertEquals(dtype, back.dtype());
                assertEquals(shape, back.shape());
                assertArrayEquals(raw, back.toByteArray(), dtype + " " + shape);
            }
            assertEquals(0, Npy.readHeader(f).dataOffset() % 64, "data starts on a 64-byte boundary");
            assertEquals(Npy.readHeader(f).dataOffset() + raw.length, Files.size(f));
        }
    }

    @Test
    void headerTooLongForVersion1IsWrittenAsVersion2AndReadBack() throws IOException {
        long[] dims = new long[25_000]; // "1, " x 25000 > 65535 header bytes
        Arrays.fill(dims, 1);
        dims[0] = 2;
        Shape shape = Shape.of(dims);
        Path f = tmp.resolve("deep.npy");
        try (Tensor t = Tensor.of(new float[] {1.5f, -2f}, shape)) {
            Npy.write(f, t);
        }
        Npy.Header h = Npy.readHeader(f);
        assertEquals(2, h.major());
        assertEquals(0, h.dataOffset() % 64);
        try (Tensor t = Npy.read(f)) {
            assertEquals(shape, t.shape());
            assertArrayEquals(new float[] {1.5f, -2f}, t.toFloatArray());
        }
    }

    @Test
    void streamRoundTripConsumesExactlyOneArray() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Tensor a = Tensor.of(new long[] {1, 2, 3}, Shape.of(3));
             Tensor b = Tensor.ofFloat16(new float[] {0.5f, -1f}, Shape.of(1, 2))) {
            Npy.write(bytes, a);
            Npy.write(bytes, b);
        }
        InputStream in = new ByteArrayInputStream(bytes.toByteArray());
        try (Tensor a = Npy.read(in, "stream#1"); Tensor b = Npy.read(in, "stream#2")) {
            assertArrayEquals(new long[] {1, 2, 3}, a.toLongArray());
            assertArrayEquals(new float[] {0.5f, -1f}, b.toFloatArray());
        }
        assertEquals(-1, in.read());
    }

    // ------------------------------------------------------------------------ hand-built byte level

    /** Builds a file: magic, version, little-endian header length, the text as given, then data. */
    private Path handBuilt(String name, int major, String headerText, byte[] data) throws IOException {
        byte[] text = headerText.getBytes(StandardCharsets.ISO_8859_1);
        int lenBytes = major == 1 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(8 + lenBytes + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (lenBytes == 2) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        b.put(text).put(data);
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    @Test
    void readsHandBuiltHeadersNumpyAlsoAccepts() throws IOException {
        // Keys out of order, double quotes, a Python 2 long suffix, no padding, no newline, odd data offset.
        Path p = handBuilt("odd.npy", 1, "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f4\"}",
                le(1f, Float.NaN, -3.25f));
        try (Tensor t = Npy.read(p)) {
            assertEquals(Shape.of(3), t.shape());
            float[] v = t.toFloatArray();
            assertEquals(1f, v[0]);
            assertTrue(Float.isNaN(v[1]));
            assertEquals(-3.25f, v[2]);
        }
        // Version 2.0, big-endian int64 scalar.
        ByteBuffer be = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(0x0102030405060708L);
        p = handBuilt("be.npy", 2, "{'descr': '>i8', 'fortran_order': False, 'shape': (), }\n", be.array());
        try (Tensor t = Npy.read(p)) {
            assertEquals(Shape.scalar(), t.shape());
            assertArrayEquals(new long[] {0x0102030405060708L}, t.toLongArray());
        }
        // Bool bytes other than 0/1 are normalised to 1, as numpy's bool view treats any nonzero as True.
        p = handBuilt("b.npy", 3, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }\n", new byte[] {0, 2, 1});
        try (Tensor t = Npy.read(p)) {
            assertArrayEquals(new byte[] {0, 1, 1}, t.toByteArray());
        }
        // float16 bit patterns read as written: 0x3C00 = 1.0, 0xC000 = -2.0, 0x7E00 = NaN.
        p = handBuilt("h.npy", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 3), }\n",
                new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0, 0x00, 0x7E});
        try (Tensor t = Npy.read(p)) {
            float[] v = t.toFloatArray();
            assertEquals(1f, v[0]);
            assertEquals(-2f, v[1]);
            assertTrue(Float.isNaN(v[2]));
            assertEquals(Float16.toFloat((short) 0x3C00), v[0]);
        }
    }

    @Test
    void headerBytesAreExactlyNumpysLayout() {
        byte[] h = Npy.encodeHeader(DType.FLOAT32, Shape.of(2, 3));
        String expected = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        String text = new String(h, 10, h.length - 10, StandardCharsets.ISO_8859_1);
        // numpy: magic + version + u16 length 118, then the dict, spaces to the 64-byte boundary, newline.
        assertEquals(128, h.length);
        assertEquals(118, (h[8] & 0xff) | (h[9] & 0xff) << 8);
        assertEquals(expected + " ".repeat(117 - expected.length()) + "\n", text);
        byte[] scalar = Npy.encodeHeader(DType.BOOL, Shape.scalar());
        assertTrue(new String(scalar, StandardCharsets.ISO_8859_1).contains("{'descr': '|b1', 'fortran_order': False,"
                + " 'shape': (), }"));
        assertTrue(new String(Npy.encodeHeader(DType.INT64, Shape.of(5)), StandardCharsets.ISO_8859_1)
                .contains("'shape': (5,), }"));
    }

    // ------------------------------------------------------------------------------- broken files

    private void assertBroken(Path p, String... fragments) {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void rejectsBrokenFilesNamingTheFileAndWhatWasExpected() throws IOException {
        Path empty = Files.write(tmp.resolve("empty.npy"), new byte[0]);
        assertBroken(empty, "is empty", "\\x93NUMPY");

        Path text = Files.writeString(tmp.resolve("text.npy"), "1,2,3\n");
        assertBroken(text, "not a NumPy .npy file", "'1,2,3\\x0a'");

        Path magicOnly = Files.write(tmp.resolve("magic.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1});
        assertBroken(magicOnly, "truncated", "version");

        byte[] good = Files.readAllBytes(fixture("f4_2x3.npy"));
        assertBroken(Files.write(tmp.resolve("cut-len.npy"), Arrays.copyOf(good, 9)), "header length");
        assertBroken(Files.write(tmp.resolve("cut-header.npy"), Arrays.copyOf(good, 60)), "truncated",
                "118 bytes of text", "only 50");
        assertBroken(Files.write(tmp.resolve("cut-data.npy"), Arrays.copyOf(good, good.length - 3)), "truncated",
                "float32[2, 3] = 24 data bytes", "only 21");

        byte[] v4 = good.clone();
        v4[6] = 4;
        assertBroken(Files.write(tmp.resolve("v4.npy"), v4), "version 4.0", "expected 1.0, 2.0 or 3.0");

        assertBroken(fixture("f4_fortran.npy"), "Fortran", "C order");
        assertBroken(fixture("f8_2.npy"), "unsupported dtype '<f8'", "float64", "expected float32 (<f4)");
        assertBroken(handBuilt("obj.npy", 1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]),
                "unsupported dtype '|O'", "pickled");
        assertBroken(handBuilt("rec.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                new byte[4]), "structured");
        assertBroken(handBuilt("nokey.npy", 1, "{'descr': '<f4', 'shape': (1,), }", new byte[4]),
                "lacks 'fortran_order'");
        assertBroken(handBuilt("extra.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                new byte[4]), "unexpected header key 'x'");
        assertBroken(handBuilt("garbage.npy", 1, "{'descr': '<f4', 'fortran_order': Nope, 'shape': (1,)}",
                new byte[4]), "malformed header", "unexpected value");
        assertBroken(handBuilt("negdim.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}",
                new byte[4]), "bad dimension at index 1");
        assertBroken(handBuilt("noorder.npy", 1, "{'descr': 'f4', 'fortran_order': False, 'shape': (1,)}",
                new byte[4]), "no byte order");
        assertBroken(handBuilt("huge.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000)}",
                new byte[4]), "at most 2 GiB");
        assertBroken(handBuilt("unterminated.npy", 1, "{'descr': '<f4, 'fortran_order': False}", new byte[0]),
                "malformed header");

        Path dir = Files.createDirectory(tmp.resolve("dir.npy"));
        assertBroken(dir, "is a directory");
        assertThrows(NoSuchFileException.class, () -> Npy.read(tmp.resolve("absent.npy")));
    }

    @Test
    void truncatedStreamIsReported() throws IOException {
        byte[] good = Files.readAllBytes(fixture("i8_2_be.npy"));
        NpyFormatException e = assertThrows(NpyFormatException.class,
                () -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 1)), "z.npz!a.npy"));
        assertEquals("z.npz!a.npy: truncated: the header declares int64[2] = 16 data bytes, but only 15 follow the"
                + " header", e.getMessage());
    }

    // ------------------------------------------------------------------------------------------ npz

    @ParameterizedTest
    @ValueSource(strings = {"pair.npz", "pair_compressed.npz"})
    void readsNumpyArchives(String name) throws IOException {
        Map<String, Tensor> m = Npy.readNpz(fixture(name));
        try {
            assertEquals(List.of("x", "idx"), List.copyOf(m.keySet()));
            assertArrayEquals(A, m.get("x").toFloatArray());
            assertArrayEquals(new long[] {3, 4}, m.get("idx").toLongArray());
        } finally {
            m.values().forEach(Tensor::close);
        }
    }

    @Test
    void npzRoundTripAndBrokenArchive() throws IOException {
        Path f = tmp.resolve("out.npz");
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("a", Tensor.of(new int[] {7, -7}, Shape.of(2)));
        in.put("b", Tensor.of(DType.BOOL, new byte[] {1}, Shape.scalar()));
        try {
            Npy.writeNpz(f, in);
        } finally {
            in.values().forEach(Tensor::close);
        }
        Map<String, Tensor> back = Npy.readNpz(f);
        try {
            assertEquals(List.of("a", "b"), List.copyOf(back.keySet()));
            assertArrayEquals(new long[] {7, -7}, back.get("a").toLongArray());
            assertEquals(DType.BOOL, back.get("b").dtype());
        } finally {
            back.values().forEach(Tensor::close);
        }
        Path notZip = Files.write(tmp.resolve("bad.npz"), new byte[] {1, 2, 3});
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.readNpz(notZip));
        assertTrue(e.getMessage().startsWith(notZip + ": not a .npz (zip) archive"), e.getMessage());
    }
}
