package dev.javelin.builder.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.OperatorSetIdProto;
import dev.javelin.builder.onnx.proto.StringStringEntryProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.ModelException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An ONNX model: the decoded {@link ModelProto} plus the folder its external data is resolved against.
 *
 * <p>{@link #load} reads a file and refuses, with a {@link ModelException} naming the file and what was
 * wrong, anything that is not a usable model: missing file, directory, empty or truncated file, bytes
 * that are not an ONNX protobuf, and external data whose location escapes the model's folder (absolute,
 * {@code ..}, or through a symbolic link) or does not match its tensor. {@link #validate} checks the
 * graph itself (dangling names, cycles, duplicate producers). {@link #write} saves the model, either
 * self-contained or with large initializers in one external data file beside it.
 *
 * <p>Instances are immutable; passes produce new models with {@link #withProto}.
 */
public final class OnnxModel {
    /** Protobuf cannot encode a message of 2 GiB or more; larger models must use external data. */
    static final long MAX_PROTO_BYTES = Integer.MAX_VALUE;
    /** Nesting depth allowed while decoding; subgraphs nest messages deeply (protobuf's default is 100). */
    private static final int RECURSION_LIMIT = 1000;
    /** External data offsets are aligned for mmap, as the ONNX spec recommends. */
    static final int EXTERNAL_ALIGNMENT = 4096;

    private final ModelProto proto;
    private final Path file;
    private final Path dir;

    private OnnxModel(ModelProto proto, Path file, Path dir) {
        this.proto = proto;
        this.file = file;
        this.dir = dir;
    }

    /**
     * Reads and decodes an .onnx file and checks its external data references.
     *
     * @throws ModelException if the file is missing, a directory, empty, not decodable as an ONNX
     *                        protobuf (e.g. truncated), has no graph or opset, or refers to external data
     *                        that is outside its folder, missing, or of the wrong size
     */
    public static OnnxModel load(Path file) {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw new ModelException(file + " is a directory; expected an .onnx model file" + onnxFilesIn(file));
        }
        if (!Files.exists(file)) {
            throw new ModelException("model file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file + " is not a regular file; expected an .onnx model file");
        }
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size == 0) {
                throw new ModelException(file + " is empty (0 bytes); expected an ONNX model");
            }
            if (size > MAX_PROTO_BYTES) {
                throw new ModelException(file + " is " + size + " bytes; an ONNX protobuf cannot exceed 2 GiB "
                        + "(larger models keep their weights in external data files)");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelException("model file " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ModelException("model file " + file + " cannot be read: permission denied", e);
        } catch (IOException e) {
            throw new ModelException("model file " + file + " cannot be read: " + e, e);
        }
        ModelProto proto = decode(bytes, file.toString());
        Path dir = file.toAbsolutePath().getParent();
        OnnxModel model = new OnnxModel(proto, file, dir);
        model.checkExternalData();
        return model;
    }

    /**
     * Decodes model bytes (e.g. a class-path resource). External data cannot be used by such a model
     * unless {@code dir} is given.
     *
     * @param name what to call the model in messages
     * @param dir  folder to resolve external data against, or {@code null}
     */
    public static OnnxModel decode(byte[] bytes, String name, Path dir) {
        if (bytes.length == 0) {
            throw new ModelException(name + " is empty (0 bytes); expected an ONNX model");
        }
        OnnxModel model = new OnnxModel(decode(bytes, name), null, dir);
        model.checkExternalData();
        return model;
    }

    private static ModelProto decode(byte[] bytes, String name) {
        ModelProto proto;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(RECURSION_LIMIT);
            proto = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelException(name + " is not a valid ONNX model (" + bytes.length
                    + " bytes): the protobuf cannot be decoded, the file is truncated or corrupted: " + e.getMessage(), e);
        } catch (IOException e) {
            // Decoding from a byte array does no I/O; protobuf declares the exception for streams.
            throw new ModelException(name + " cannot be decoded: " + e, e);
        }
        // A protobuf decoder accepts many byte strings; a cut at a field boundary or a non-ONNX file can
        // decode without error, so check what every ONNX model has.
        if (!proto.hasGraph()) {
            throw new ModelException(name + " is not a valid ONNX model (" + bytes.length
                    + " bytes): it has no graph; the file is truncated or is not an ONNX model");
        }
        if (proto.getIrVersion() <= 0) {
            throw new ModelException(name + " is not a valid ONNX model: ir_version is missing or " + proto.getIrVersion());
        }
        if (proto.getOpsetImportCount() == 0 && proto.getIrVersion() >= 3) {
            throw new ModelException(name + " is not a valid ONNX model (" + bytes.length
                    + " bytes): it has no opset_import; the file is truncated or was written incompletely");
        }
        return proto;
    }

    private static String onnxFilesIn(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            String found = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx")).sorted()
                    .limit(5).reduce((a, b) -> a + ", " + b).orElse("");
            return found.isEmpty() ? "" : " (it contains " + found + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A model held in memory.
     *
     * @param dir folder to resolve external data against, or {@code null} if the model uses none
     */
    public static OnnxModel of(ModelProto proto, Path dir) {
        return new OnnxModel(Objects.requireNonNull(proto, "proto"), null, dir);
    }

    /** The same model location with another proto (the result of a pass). */
    public OnnxModel withProto(ModelProto newProto) {
        return new OnnxModel(Objects.requireNonNull(newProto, "newProto"), file, dir);
    }

    /** The decoded model. */
    public ModelProto proto() {
        return proto;
    }

    /** The file the model was loaded from, if any. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The folder external data is resolved against, if any. */
    public Optional<Path> directory() {
        return Optional.ofNullable(dir);
    }

    /** The file name, or {@code <memory>}, for messages. */
    public String displayName() {
        return file != null ? file.toString() : "<memory>";
    }

    /** The main graph. */
    public OnnxGraph graph() {
        return OnnxGraph.of(proto.getGraph());
    }

    /** Operator sets the model imports: domain ({@code ai.onnx} for the default) to version, in model order. */
    public Map<String, Long> opsetImports() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            m.put(OpKey.displayDomain(o.getDomain()), o.getVersion());
        }
        return m;
    }

    /** The version of the default ONNX operator set, or 0 if the model does not import it. */
    public long defaultOpset() {
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            if (OpKey.isDefaultDomain(o.getDomain())) {
                return o.getVersion();
            }
        }
        return 0;
    }

    /**
     * Checks the graph and every subgraph: one producer per value, no dangling names, no cycles, every
     * output defined, and every attribute the ONNX specification requires present ({@link RequiredAttributes}).
     *
     * @throws ModelException naming this model, the graph, the node and the tensor
     */
    public void validate() {
        try {
            graph().validate();
            RequiredAttributes.check(this);
        } catch (ModelException e) {
            throw new ModelException(displayName() + ": " + e.getMessage(), e);
        }
    }

    /** Resolves and size-checks every external data reference without reading the data. */
    private void checkExternalData() {
        try {
            ModelWalk.forEachTensor(proto, (t, site) -> {
                Optional<ExternalData> ext = ExternalData.of(t);
                if (ext.isPresent()) {
                    ElementType type = Tensors.elementType(t);
                    ext.get().check(dir, type.isFixedWidth() ? Tensors.dataBytes(t) : -1);
                }
            });
        } catch (ModelException e) {
            throw new ModelException(displayName() + ": " + e.getMessage(), e);
        }
    }

    /** The bytes of a tensor of this model, wherever they are stored (resolving external data). */
    public byte[] tensorBytes(TensorProto t) {
        try {
            return Tensors.rawBytes(t, dir);
        } catch (ModelException e) {
            throw new ModelException(displayName() + ": " + e.getMessage(), e);
        }
    }

    /** How {@link #write(Path, WriteOptions)} stores tensor data. */
    public record WriteOptions(String externalDataFile, long sizeThreshold) {
        /**
         * @param externalDataFile file name (relative to the model's folder) for external data, or
         *                         {@code null} to keep every tensor inside the .onnx file
         * @param sizeThreshold    initializers of at least this many bytes go to the external file
         */
        public WriteOptions {
            if (sizeThreshold < 0) {
                throw new IllegalArgumentException("sizeThreshold must be >= 0, got " + sizeThreshold);
            }
            if (externalDataFile != null) {
                ExternalData.checkLocationSyntax("(output)", externalDataFile);
                if (externalDataFile.isBlank()) {
                    throw new IllegalArgumentException("externalDataFile is blank");
                }
            }
        }

        /** Everything inside the .onnx file. */
        public static WriteOptions selfContained() {
            return new WriteOptions(null, 0);
        }

        /** Initializers of {@code sizeThreshold} bytes or more in {@code file} beside the model. */
        public static WriteOptions externalData(String file, long sizeThreshold) {
            return new WriteOptions(file, sizeThreshold);
        }
    }

    /** Writes a self-contained .onnx file; see {@link #write(Path, WriteOptions)}. */
    public OnnxModel write(Path out) {
        return write(out, WriteOptions.selfContained());
    }

    /**
     * Writes the model to {@code out}. Tensors this model keeps in external files are read and either
     * stored inline or copied into the new external file, so the written folder never depends on this
     * model's folder. Files are written to temporary names and moved into place, so overwriting the
     * model's own files is safe and a failed write leaves the old files intact.
     *
     * @return the written model, with external data resolved against {@code out}'s folder
     * @throws ModelException if a tensor cannot be read or the self-contained result exceeds 2 GiB
     */
    public OnnxModel write(Path out, WriteOptions options) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(options, "options");
        Path outDir = out.toAbsolutePath().getParent();
        Path dataTmp = null;
        Path modelTmp = null;
        try {
            Files.createDirectories(outDir);
            ModelProto written;
            if (options.externalDataFile() != null) {
                dataTmp = Files.createTempFile(outDir, ".javelin-data-", ".tmp");
                try (FileChannel data = FileChannel.open(dataTmp, StandardOpenOption.WRITE)) {
                    written = ModelWalk.mapTensors(proto, (t, site) -> externalize(t, site, options, data));
                }
            } else {
                written = ModelWalk.mapTensors(proto, (t, site) -> Tensors.isExternal(t) ? internalize(t) : t);
            }
            long size = written.getSerializedSize();
            if (size < 0 || size >= MAX_PROTO_BYTES) {
                throw new ModelException("cannot write " + out + ": the model would be " + (size < 0 ? "over 2 GiB" : size + " bytes")
                        + "; a protobuf cannot exceed 2 GiB, write it with external data instead");
            }
            modelTmp = Files.createTempFile(outDir, ".javelin-model-", ".tmp");
            try (OutputStream os = Files.newOutputStream(modelTmp)) {
                written.writeTo(os);
            }
            if (dataTmp != null) {
                Files.move(dataTmp, outDir.resolve(options.externalDataFile()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                dataTmp = null;
            }
            Files.move(modelTmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            modelTmp = null;
            return new OnnxModel(written, out, outDir);
        } catch (IOException e) {
            throw new ModelException("cannot write " + out + ": " + e, e);
        } catch (ModelException e) {
            throw new ModelException(displayName() + " -> " + out + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(dataTmp);
            deleteQuietly(modelTmp);
        }
    }

    private TensorProto internalize(TensorProto t) {
        return Tensors.withRawData(t, Tensors.rawBytes(t, dir));
    }

    private TensorProto externalize(TensorProto t, ModelWalk.TensorSite site, WriteOptions options, FileChannel data) {
        ElementType type = Tensors.elementType(t);
        boolean candidate = site == ModelWalk.TensorSite.INITIALIZER && type.isFixedWidth()
                && Tensors.dataBytes(t) >= options.sizeThreshold();
        if (!candidate) {
            return Tensors.isExternal(t) ? internalize(t) : t;
        }
        byte[] bytes = Tensors.rawBytes(t, dir);
        try {
            long offset = data.size();
            long aligned = (offset + EXTERNAL_ALIGNMENT - 1) / EXTERNAL_ALIGNMENT * EXTERNAL_ALIGNMENT;
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            long pos = aligned;
            while (buf.hasRemaining()) {
                pos += data.write(buf, pos);
            }
            return Tensors.clearData(t.toBuilder())
                    .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry(ExternalData.LOCATION, options.externalDataFile()))
                    .addExternalData(entry(ExternalData.OFFSET, Long.toString(aligned)))
                    .addExternalData(entry(ExternalData.LENGTH, Long.toString(bytes.length)))
                    .build();
        } catch (IOException e) {
            throw new ModelException("cannot write external data for tensor '" + t.getName() + "': " + e, e);
        }
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: a leftover temporary file is harmless
            }
        }
    }

    @Override
    public String toString() {
        return "OnnxModel[" + displayName() + ", ir " + proto.getIrVersion() + ", opsets " + opsetImports() + "]";
    }
}
