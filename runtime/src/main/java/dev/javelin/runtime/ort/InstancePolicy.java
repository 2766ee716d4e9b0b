package dev.javelin.runtime.ort;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How many ONNX Runtime sessions ("instances") of one model a Javelin session may hold. Plain Java so the
 * rule is unit-tested without natives.
 *
 * <p>Why instances at all: ONNX Runtime allows concurrent {@code Run} calls on one session, but every run
 * takes session-wide locks and touches shared state (the memory-pattern cache, run bookkeeping, shared
 * counters). On a tiny model that is most of the work, so two callers on one ORT session scaled only
 * about 1.4x even without Javelin in between. Two sessions share nothing on the run path.
 *
 * <p>Automatic rule: more than one instance only when it can help and is cheap:
 * <ul>
 *   <li>CPU backend (a GPU provider serializes on its device/stream anyway and would duplicate device memory);
 *   <li>at least 2 cores, and intra-op threads per instance x instances &lt;= cores, so instances never
 *       oversubscribe the machine (intra-op threads 0 means ONNX Runtime's default, one per core, which
 *       leaves room for a single instance);
 *   <li>model file plus external data at most {@link #AUTO_MAX_MODEL_BYTES} (64 MiB): pre-packed weights are
 *       shared between instances, but each instance keeps its own copy of the plain initializers, so
 *       memory grows by at most about the model size per extra instance. 64 MiB bounds that to a cost
 *       small next to a JVM, and covers the models where per-run overhead (not arithmetic) dominates,
 *       which are the ones instances help.
 * </ul>
 * Instances are created lazily, so a limit above 1 costs a single-caller session nothing.
 */
final class InstancePolicy {
    /** Largest model (file + external data) for which automatic mode allows more than one instance. */
    static final long AUTO_MAX_MODEL_BYTES = 64L << 20;

    private InstancePolicy() {
    }

    /** The upper limit on instances and why. */
    record Plan(int maxInstances, String reason) {
    }

    /**
     * @param requested      {@code SessionOptions.instances()}: 0 = automatic, else exactly that limit
     * @param cpu            whether the backend is ONNX Runtime on the CPU
     * @param cores          available processors
     * @param intraOpThreads threads per instance (0 = ONNX Runtime default, one per core)
     * @param modelBytes     model file plus external data, bytes
     */
    static Plan plan(int requested, boolean cpu, int cores, int intraOpThreads, long modelBytes) {
        if (requested > 0) {
            return new Plan(requested, "requested " + requested + " instance" + (requested == 1 ? "" : "s"));
        }
        if (!cpu) {
            return new Plan(1, "automatic: one instance on a GPU backend");
        }
        if (cores < 2) {
            return new Plan(1, "automatic: one instance on " + cores + " core");
        }
        int perInstance = intraOpThreads > 0 ? intraOpThreads : cores;
        int fit = cores / perInstance;
        if (fit < 2) {
            return new Plan(1, "automatic: one instance, " + (intraOpThreads > 0 ? intraOpThreads : "default (" + cores + ")")
                    + " intra-op threads x 2 instances would exceed " + cores + " cores");
        }
        if (modelBytes > AUTO_MAX_MODEL_BYTES) {
            return new Plan(1, "automatic: one instance, model is " + mib(modelBytes) + " MiB (> "
                    + mib(AUTO_MAX_MODEL_BYTES) + " MiB)");
        }
        return new Plan(fit, "automatic: up to " + fit + " instances (" + cores + " cores / " + perInstance
                + " intra-op thread" + (perInstance == 1 ? "" : "s") + ", model " + mib(modelBytes)
                + " MiB <= " + mib(AUTO_MAX_MODEL_BYTES) + " MiB), created as concurrent calls need them");
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    /**
     * Size of the model file plus the external-data files it names. External data is found by scanning
     * for the {@code location} entry of {@code TensorProto.external_data} (a {@code StringStringEntryProto}:
     * field 1 "location", field 2 the path), which avoids a protobuf parser in the runtime. The file is
     * streamed through a small buffer (reading it whole measurably raised a single-caller session's
     * peak RSS); a file larger than {@code limit} is not scanned (it is over the limit anyway).
     */
    static long modelBytes(Path model, long limit) {
        try {
            long size = Files.size(model);
            if (size > limit) {
                return size;
            }
            long total = size;
            Path dir = model.toAbsolutePath().getParent();
            for (String location : externalLocations(model)) {
                Path p = dir.resolve(location).normalize();
                if (Files.isRegularFile(p)) {
                    total += Files.size(p);
                }
            }
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size model " + model, e);
        }
    }

    private static final byte[] KEY = {0x0a, 8, 'l', 'o', 'c', 'a', 't', 'i', 'o', 'n', 0x12};
    /** Bytes kept from one chunk to the next: a key, its length varint and a location of up to 4 KiB. */
    private static final int CARRY = KEY.length + 5 + 4096;

    /** Distinct external-data locations named in a serialized ONNX model file, read in 256 KiB chunks. */
    static Set<String> externalLocations(Path model) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        byte[] buf = new byte[(256 << 10) + CARRY];
        int have = 0;
        try (InputStream in = Files.newInputStream(model)) {
            while (true) {
                int n = in.read(buf, have, buf.length - have);
                if (n < 0) {
                    scan(buf, 0, have, have, out);
                    return out;
                }
                have += n;
                if (have == buf.length) {
                    // Match starts before end - CARRY have all their bytes in the buffer.
                    int done = have - CARRY;
                    scan(buf, 0, done, have, out);
                    System.arraycopy(buf, done, buf, 0, CARRY);
                    have = CARRY;
                }
            }
        }
    }

    /** Distinct external-data locations named in a serialized ONNX model. */
    static Set<String> externalLocations(byte[] model) {
        Set<String> out = new LinkedHashSet<>();
        scan(model, 0, model.length, model.length, out);
        return out;
    }

    /** Adds the locations whose key starts in [from, to); bytes up to {@code end} are valid. */
    private static void scan(byte[] data, int from, int to, int end, Set<String> out) {
        outer:
        for (int i = from; i < to && i + KEY.length < end; i++) {
            for (int k = 0; k < KEY.length; k++) {
                if (data[i + k] != KEY[k]) {
                    continue outer;
                }
            }
            int p = i + KEY.length;
            int len = 0;
            int shift = 0;
            while (p < end && shift < 32) {
                int b = data[p++] & 0xff;
                len |= (b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            if (len > 0 && p + len <= end) {
                out.add(new String(data, p, len, StandardCharsets.UTF_8));
            }
        }
    }
}
