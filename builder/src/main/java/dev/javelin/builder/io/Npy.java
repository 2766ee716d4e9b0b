package dev.javelin.builder.io;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) and {@code .npz} archives
 * of them, to and from {@link Tensor}s in native memory.
 *
 * <p>Supported element types are those a Tensor carries: float32 ({@code <f4}), float16 ({@code <f2}),
 * int8, uint8, int32, int64 and bool, in either byte order (big-endian data is swapped on read), C order
 * only. Files are written the way {@code numpy.save} writes them (byte for byte: little-endian, the same
 * header text, growth padding and 64-byte alignment), so numpy reads them and tools that compare files
 * see no difference.
 *
 * <p>Every error is an {@link NpyFormatException} whose message starts with the file and says what was
 * expected.
 */
public final class Npy {
    private static final Logger LOG = LoggerFactory.getLogger(Npy.class);

    /** {@code \x93NUMPY}. */
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data start to this many bytes so files can be memory-mapped. */
    private static final int ARRAY_ALIGN = 64;
    /** numpy leaves room in the header for the growth axis to reach this many digits. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** A sanity bound on header text: numpy writes about 128 bytes; 2.0 files allow up to 4 GiB. */
    private static final long MAX_HEADER_BYTES = 1 << 20;
    private static final String SUPPORTED =
            "float32 (<f4), float16 (<f2), int8 (|i1), uint8 (|u1), int32 (<i4), int64 (<i8), bool (|b1)";

    private Npy() {
    }

    /**
     * What a {@code .npy} header declares.
     *
     * @param dtype      element type
     * @param order      byte order of the data in the file
     * @param shape      array shape ({@code []} for a scalar)
     * @param major      format major version (1, 2 or 3)
     * @param minor      format minor version (0)
     * @param dataOffset where the data starts, in bytes from the start of the file
     */
    public record Header(DType dtype, ByteOrder order, Shape shape, int major, int minor, long dataOffset) {
        /** Bytes of array data that follow the header. */
        public long dataBytes() {
            return Math.multiplyExact(shape.elementCount(), (long) dtype.byteSize());
        }
    }

    // ------------------------------------------------------------------------------------------------ read

    /**
     * Reads only the header of a {@code .npy} file.
     *
     * @throws NpyFormatException if the file is not a supported {@code .npy} file
     * @throws IOException        if it cannot be read
     */
    public static Header readHeader(Path file) throws IOException {
        String source = file.toString();
        try (FileChannel ch = openForRead(file)) {
            return parseHeader(ch, source);
        }
    }

    /**
     * Reads a {@code .npy} file into a new tensor in native memory; the caller owns (closes) it.
     *
     * @throws NpyFormatException naming the file, if it is not a supported {@code .npy} file or is truncated
     * @throws IOException        if it cannot be read
     */
    public static Tensor read(Path file) throws IOException {
        String source = file.toString();
        try (FileChannel ch = openForRead(file)) {
            Header header = parseHeader(ch, source);
            long expected = header.dataOffset() + header.dataBytes();
            long size = ch.size();
            if (size < expected) {
                throw new NpyFormatException(source, "truncated: the header declares " + describe(header) + " = "
                        + header.dataBytes() + " data bytes, but only " + Math.max(0, size - header.dataOffset())
                        + " follow the header");
            }
            Tensor t = readData(ch, header, source);
            if (size > expected) {
                // numpy.load ignores trailing bytes too; say so, since it usually means a wrong shape.
                LOG.warn("{}: {} trailing bytes after the {} data ignored", source, size - expected, describe(header));
            }
            return t;
        }
    }

    /**
     * Reads one {@code .npy} array from a stream, consuming exactly its header and data.
     *
     * @param source names the stream in error messages (e.g. {@code "x.npz!input.npy"})
     * @throws NpyFormatException naming {@code source}, if the data is not a supported array or is truncated
     */
    public static Tensor read(InputStream in, String source) throws IOException {
        ReadableByteChannel ch = Channels.newChannel(in);
        Header header = parseHeader(ch, source);
        return readData(ch, header, source);
    }

    private static FileChannel openForRead(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new NpyFormatException(file.toString(), "is a directory; expected a .npy file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file; expected a .npy file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    private static Header parseHeader(ReadableByteChannel ch, String source) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        int got = readFully(ch, prefix);
        if (got == 0) {
            throw new NpyFormatException(source, "is empty; expected a .npy file starting with \\x93NUMPY");
        }
        prefix.flip();
        for (int i = 0; i < MAGIC.length; i++) {
            if (i >= prefix.limit() || prefix.get(i) != MAGIC[i]) {
                throw new NpyFormatException(source, "not a NumPy .npy file: it starts with " + hex(prefix)
                        + " but .npy files start with \\x93NUMPY");
            }
        }
        if (got < 8) {
            throw new NpyFormatException(source, "truncated after the magic string; expected a format version");
        }
        int major = prefix.get(6) & 0xff;
        int minor = prefix.get(7) & 0xff;
        int lengthBytes;
        switch (major) {
            case 1 -> lengthBytes = 2;
            case 2, 3 -> lengthBytes = 4;
            default -> throw new NpyFormatException(source, "unsupported .npy format version " + major + "." + minor
                    + "; expected 1.0, 2.0 or 3.0");
        }
        if (minor != 0) {
            throw new NpyFormatException(source, "unsupported .npy format version " + major + "." + minor
                    + "; expected 1.0, 2.0 or 3.0");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (readFully(ch, lenBuf) < lengthBytes) {
            throw new NpyFormatException(source, "truncated in the header length field");
        }
        lenBuf.flip();
        long headerLen = lengthBytes == 2 ? (lenBuf.getShort() & 0xffff) : (lenBuf.getInt() & 0xffffffffL);
        if (headerLen > MAX_HEADER_BYTES) {
            throw new NpyFormatException(source, "header length " + headerLen + " bytes is implausible (numpy writes"
                    + " about 128); the file is corrupt");
        }
        ByteBuffer text = ByteBuffer.allocate((int) headerLen);
        int textRead = readFully(ch, text);
        if (textRead < headerLen) {
            throw new NpyFormatException(source, "truncated: the header declares " + headerLen + " bytes of text but"
                    + " only " + textRead + " follow");
        }
        // 1.0 and 2.0 headers are latin-1; 3.0 allows utf-8 (for structured field names).
        String dict = new String(text.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        long dataOffset = 6 + 2 + lengthBytes + headerLen;
        return interpret(HeaderParser.parse(dict, source), source, major, minor, dataOffset);
    }

    private static Header interpret(Map<String, Object> dict, String source, int major, int minor, long dataOffset)
            throws NpyFormatException {
        for (String key : dict.keySet()) {
            if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
                throw new NpyFormatException(source, "unexpected header key '" + key
                        + "'; expected exactly 'descr', 'fortran_order' and 'shape'");
            }
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shape = dict.get("shape");
        if (descr == null || fortran == null || shape == null) {
            throw new NpyFormatException(source, "header lacks " + (descr == null ? "'descr'" : fortran == null
                    ? "'fortran_order'" : "'shape'") + "; expected 'descr', 'fortran_order' and 'shape'");
        }
        if (!(descr instanceof String d)) {
            throw new NpyFormatException(source, "'descr' is " + descr + "; expected a dtype string such as '<f4'");
        }
        if (!(fortran instanceof Boolean f)) {
            throw new NpyFormatException(source, "'fortran_order' is " + fortran + "; expected True or False");
        }
        if (f) {
            throw new NpyFormatException(source, "the array is in Fortran (column-major) order; Javelin reads C order"
                    + " only: save it with numpy.save(path, numpy.ascontiguousarray(a))");
        }
        if (!(shape instanceof List<?> dims)) {
            throw new NpyFormatException(source, "'shape' is " + shape + "; expected a tuple of integers");
        }
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            if (!(dims.get(i) instanceof Long v) || v < 0) {
                throw new NpyFormatException(source, "'shape' " + dims + " has a bad dimension at index " + i
                        + "; expected non-negative integers");
            }
            s[i] = v;
        }
        Shape parsedShape = Shape.of(s);
        DType dtype = dtypeOf(d, source);
        ByteOrder order = orderOf(d, dtype, source);
        Header h = new Header(dtype, order, parsedShape, major, minor, dataOffset);
        try {
            long bytes = h.dataBytes();
            if (bytes > Integer.MAX_VALUE) {
                throw new NpyFormatException(source, describe(h) + " holds " + bytes + " bytes; Javelin tensors hold at"
                        + " most 2 GiB");
            }
        } catch (ArithmeticException e) {
            throw new NpyFormatException(source, "shape " + parsedShape + " overflows; the header is corrupt");
        }
        return h;
    }

    private static DType dtypeOf(String descr, String source) throws NpyFormatException {
        String code = descr.isEmpty() ? "" : descr.substring(isOrderChar(descr.charAt(0)) ? 1 : 0);
        switch (code) {
            case "f4": return DType.FLOAT32;
            case "f2": return DType.FLOAT16;
            case "i1": return DType.INT8;
            case "u1": return DType.UINT8;
            case "i4": return DType.INT32;
            case "i8": return DType.INT64;
            case "b1", "?": return DType.BOOL;
            default:
                String hint = switch (code) {
                    case "f8" -> " (float64: convert with a.astype(numpy.float32))";
                    case "i2", "u2", "u4", "u8" -> " (convert with a.astype(numpy.int32) or numpy.int64)";
                    case "O" -> " (Python objects, stored pickled)";
                    default -> code.startsWith("U") || code.startsWith("S") ? " (strings)" : "";
                };
                throw new NpyFormatException(source, "unsupported dtype '" + descr + "'" + hint + "; expected "
                        + SUPPORTED);
        }
    }

    private static boolean isOrderChar(char c) {
        return c == '<' || c == '>' || c == '|' || c == '=';
    }

    private static ByteOrder orderOf(String descr, DType dtype, String source) throws NpyFormatException {
        char c = descr.charAt(0);
        if (dtype.byteSize() == 1) {
            return ByteOrder.LITTLE_ENDIAN; // irrelevant for single bytes
        }
        return switch (c) {
            case '<' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '=' -> ByteOrder.nativeOrder();
            default -> throw new NpyFormatException(source, "dtype '" + descr + "' has no byte order; expected '<' or"
                    + " '>' before a multi-byte type, e.g. '<f4'");
        };
    }

    private static Tensor readData(ReadableByteChannel ch, Header h, String source) throws IOException {
        Tensor t = Tensor.allocate(h.dtype(), h.shape());
        try {
            ByteBuffer dst = t.buffer();
            int got = readFully(ch, dst);
            if (got < dst.capacity()) {
                throw new NpyFormatException(source, "truncated: the header declares " + describe(h) + " = "
                        + dst.capacity() + " data bytes, but only " + got + " follow the header");
            }
            fixUp(t, h.order());
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** Converts file order to native order in place, and maps every nonzero bool byte to 1. */
    private static void fixUp(Tensor t, ByteOrder fileOrder) {
        ByteBuffer b = t.buffer();
        int n = Math.toIntExact(t.elementCount());
        if (t.dtype() == DType.BOOL) {
            for (int i = 0; i < n; i++) {
                if (b.get(i) != 0) {
                    b.put(i, (byte) 1);
                }
            }
            return;
        }
        if (t.dtype().byteSize() == 1 || fileOrder == ByteOrder.nativeOrder()) {
            return;
        }
        switch (t.dtype().byteSize()) {
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    b.putShort(i * 2, Short.reverseBytes(b.getShort(i * 2)));
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    b.putInt(i * 4, Integer.reverseBytes(b.getInt(i * 4)));
                }
            }
            case 8 -> {
                for (int i = 0; i < n; i++) {
                    b.putLong(i * 8, Long.reverseBytes(b.getLong(i * 8)));
                }
            }
            default -> throw new IllegalStateException("no byte swap for " + t.dtype());
        }
    }

    /** Reads until {@code dst} is full or the channel ends; returns the bytes read. */
    private static int readFully(ReadableByteChannel ch, ByteBuffer dst) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = ch.read(dst);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    // ----------------------------------------------------------------------------------------------- write

    /**
     * Writes a tensor as a {@code .npy} file (format 1.0, or 2.0 if the header needs it), replacing any
     * existing file. The bytes are those {@code numpy.save} writes for the same array.
     */
    public static void write(Path file, Tensor tensor) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(ch, tensor);
        }
    }

    /** Writes a tensor in {@code .npy} format to a stream; the stream is not closed. */
    public static void write(OutputStream out, Tensor tensor) throws IOException {
        write(Channels.newChannel(out), tensor);
        out.flush();
    }

    private static void write(WritableByteChannel ch, Tensor tensor) throws IOException {
        writeFully(ch, ByteBuffer.wrap(encodeHeader(tensor.dtype(), tensor.shape())));
        ByteBuffer data = tensor.buffer();
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || tensor.dtype().byteSize() == 1) {
            writeFully(ch, data);
        } else {
            writeFully(ch, toLittleEndian(data, tensor.dtype()));
        }
    }

    private static ByteBuffer toLittleEndian(ByteBuffer nativeData, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(nativeData.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        int n = nativeData.remaining() / dtype.byteSize();
        for (int i = 0; i < n; i++) {
            switch (dtype.byteSize()) {
                case 2 -> out.putShort(nativeData.getShort(i * 2));
                case 4 -> out.putInt(nativeData.getInt(i * 4));
                case 8 -> out.putLong(nativeData.getLong(i * 8));
                default -> throw new IllegalStateException("no byte swap for " + dtype);
            }
        }
        return out.flip();
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            ch.write(src);
        }
    }

    /**
     * The complete header (magic, version, length, padded dictionary) numpy writes for an array of this
     * type and shape.
     */
    public static byte[] encodeHeader(DType dtype, Shape shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr(dtype))
                .append("', 'fortran_order': False, 'shape': ").append(pythonTuple(shape)).append(", }");
        if (shape.rank() > 0) {
            // numpy's spare room so the first axis can grow in place (numpy.lib.format GROWTH_AXIS_MAX_DIGITS).
            dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Long.toString(shape.dim(0)).length()));
        }
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        for (int lengthBytes : new int[] {2, 4}) {
            int hlen = text.length + 1; // + the final newline
            int padding = ARRAY_ALIGN - ((MAGIC.length + 2 + lengthBytes + hlen) % ARRAY_ALIGN);
            int total = hlen + padding;
            if (lengthBytes == 2 && total > 0xffff) {
                continue; // needs format 2.0
            }
            ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 2 + lengthBytes + total).order(ByteOrder.LITTLE_ENDIAN);
            out.put(MAGIC).put((byte) (lengthBytes == 2 ? 1 : 2)).put((byte) 0);
            if (lengthBytes == 2) {
                out.putShort((short) total);
            } else {
                out.putInt(total);
            }
            out.put(text);
            for (int i = 0; i < padding; i++) {
                out.put((byte) ' ');
            }
            out.put((byte) '\n');
            return out.array();
        }
        throw new IllegalStateException("unreachable: a 2.0 header always fits");
    }

    /** The numpy dtype string Javelin writes for a type, e.g. {@code <f4} or {@code |b1}. */
    public static String descr(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "<f4";
            case FLOAT16 -> "<f2";
            case INT8 -> "|i1";
            case UINT8 -> "|u1";
            case INT32 -> "<i4";
            case INT64 -> "<i8";
            case BOOL -> "|b1";
        };
    }

    private static String pythonTuple(Shape shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.rank(); i++) {
            sb.append(i == 0 ? "" : ", ").append(shape.dim(i));
        }
        return sb.append(shape.rank() == 1 ? ",)" : ")").toString();
    }

    // ------------------------------------------------------------------------------------------------- npz

    /**
     * Reads every array of an {@code .npz} archive ({@code numpy.savez} or {@code savez_compressed}), keyed by
     * name without the {@code .npy} suffix, in archive order. The caller owns (closes) every tensor.
     *
     * @throws NpyFormatException naming the archive and entry, if an entry is not a supported array
     */
    public static Map<String, Tensor> readNpz(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new NpyFormatException(file.toString(), "is a directory; expected a .npz file");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (ZipFile zip = openZip(file)) {
            List<? extends ZipEntry> entries = new ArrayList<>(zip.stream().toList());
            for (ZipEntry e : entries) {
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(name, read(in, file + "!" + e.getName()));
                }
            }
        } catch (IOException | RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
        return out;
    }

    private static ZipFile openZip(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file; expected a .npz file");
        }
        try {
            return new ZipFile(file.toFile());
        } catch (java.util.zip.ZipException e) {
            throw new NpyFormatException(file.toString(), "not a .npz (zip) archive: " + e.getMessage());
        }
    }

    /**
     * Writes tensors as an uncompressed {@code .npz} archive, as {@code numpy.savez} does: one
     * {@code <name>.npy} entry per tensor, in map order.
     */
    public static void writeNpz(Path file, Map<String, Tensor> tensors) throws IOException {
        try (OutputStream fos = Files.newOutputStream(file);
             ZipOutputStream zip = new ZipOutputStream(fos)) {
            zip.setLevel(0);
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                write(zip, e.getValue());
                zip.closeEntry();
            }
        }
    }

    // ----------------------------------------------------------------------------------------------- misc

    private static String describe(Header h) {
        return h.dtype() + h.shape().toString();
    }

    private static String hex(ByteBuffer b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.limit(), 6); i++) {
            int c = b.get(i) & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format(Locale.ROOT, "\\x%02x", c));
        }
        return sb.length() == 0 ? "nothing" : "'" + sb + "'";
    }

    /**
     * Parses the Python dictionary literal of a {@code .npy} header: string keys; values that are strings,
     * {@code True}/{@code False}, or tuples of integers (Python 2 {@code L} suffixes allowed). Lists (structured
     * dtypes) are recognised only to be refused with a clear message.
     */
    static final class HeaderParser {
        private final String s;
        private final String source;
        private int i;

        private HeaderParser(String s, String source) {
            this.s = s;
            this.source = source;
        }

        static Map<String, Object> parse(String text, String source) throws NpyFormatException {
            HeaderParser p = new HeaderParser(text, source);
            Map<String, Object> dict = p.dict();
            p.skipSpace();
            if (p.i != p.s.length()) {
                throw p.error("unexpected text after the header dictionary");
            }
            return dict;
        }

        private Map<String, Object> dict() throws NpyFormatException {
            expect('{');
            Map<String, Object> out = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    i++;
                    return out;
                }
                String key = string();
                skipSpace();
                expect(':');
                Object value = value();
                if (out.put(key, value) != null) {
                    throw error("duplicate key '" + key + "'");
                }
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private Object value() throws NpyFormatException {
            skipSpace();
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') {
                throw new NpyFormatException(source, "structured (record) dtypes are not supported; expected one of "
                        + SUPPORTED);
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (Character.isDigit(c) || c == '-') {
                return integer();
            }
            throw error("unexpected value");
        }

        private List<Long> tuple() throws NpyFormatException {
            expect('(');
            List<Long> out = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    i++;
                    return out;
                }
                out.add(integer());
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else if (peek() != ')') {
                    throw error("expected ',' or ')' in the shape tuple");
                }
            }
        }

        private Long integer() throws NpyFormatException {
            skipSpace();
            int start = i;
            if (peek() == '-') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (start == i || (i == start + 1 && s.charAt(start) == '-')) {
                throw error("expected an integer");
            }
            String digits = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
                i++; // Python 2 long literal
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("integer " + digits + " is out of range");
            }
        }

        private String string() throws NpyFormatException {
            skipSpace();
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error("expected a quoted string");
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String out = s.substring(i + 1, end);
            i = end + 1;
            return out;
        }

        private void expect(char c) throws NpyFormatException {
            skipSpace();
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private NpyFormatException error(String what) {
            String shown = s.strip();
            if (shown.length() > 120) {
                shown = shown.substring(0, 120) + "...";
            }
            return new NpyFormatException(source, "malformed header: " + what + " at character " + i + " of \""
                    + shown + "\"; expected a dictionary like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
        }
    }
}
