package dev.javelin.runtime.trt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a TensorRT engine depends on: the exact model, the TensorRT version that built it (plans do not
 * move between versions), the GPU's compute capability (nor between architectures) and the build options.
 * Equal keys mean an engine can be reused; the cache file name is a hash of the canonical text.
 *
 * @param modelSha256       hex SHA-256 of the ONNX file's bytes
 * @param tensorRtVersion   loaded TensorRT version, e.g. {@code 10.15.1}
 * @param computeCapability e.g. {@code 8.6}
 * @param options           canonical text of the build options ({@link TensorRtOptions#fingerprint()})
 */
public record EngineCacheKey(String modelSha256, String tensorRtVersion, String computeCapability, String options) {
    /** Bumped when the cache layout or what goes into an engine changes. */
    static final int SCHEMA = 1;

    public EngineCacheKey {
        Objects.requireNonNull(modelSha256, "modelSha256");
        Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
        Objects.requireNonNull(computeCapability, "computeCapability");
        Objects.requireNonNull(options, "options");
        if (!modelSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("model hash must be 64 lower-case hex digits, was " + modelSha256);
        }
    }

    /** The text that is hashed: one {@code field=value} per line, schema first. */
    public String canonical() {
        return "javelin-engine-cache=" + SCHEMA + "\nmodel-sha256=" + modelSha256 + "\ntensorrt=" + tensorRtVersion
                + "\ncompute-capability=" + computeCapability + "\noptions=" + options + "\n";
    }

    /** Hex SHA-256 of {@link #canonical()}. */
    public String digest() {
        return sha256(canonical().getBytes(StandardCharsets.UTF_8));
    }

    /** Base name of the cache files: {@code <model hash prefix>-trt<version>-sm<cc>-<digest prefix>}. */
    public String fileStem() {
        return modelSha256.substring(0, 12) + "-trt" + tensorRtVersion + "-sm" + computeCapability.replace(".", "")
                + "-" + digest().substring(0, 16);
    }

    /** Hex SHA-256 of {@code bytes}. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
