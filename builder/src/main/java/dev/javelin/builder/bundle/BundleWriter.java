package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.ModelWalk;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.bundle.BundleManifest;
import dev.javelin.runtime.bundle.ManifestCodec;
import dev.javelin.runtime.trt.BuiltEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the files of an engine bundle folder. The manifest is written last each time (atomically), and a
 * previous bundle's manifest is removed first, so the folder never holds a manifest that names files of another
 * build. The model is self-contained unless its weights approach protobuf's 2 GiB limit, in which case they go to
 * {@value #EXTERNAL_DATA} beside it.
 */
final class BundleWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BundleWriter.class);

    /** The model's file name in a bundle. */
    static final String MODEL = "model.onnx";
    /** The model's external data file, when it needs one. */
    static final String EXTERNAL_DATA = "model.onnx.data";
    /** Above this many bytes of tensor data the model keeps its weights in {@link #EXTERNAL_DATA}. */
    static final long EXTERNAL_DATA_ABOVE = 1L << 30;

    private BundleWriter() {
    }

    /**
     * Makes {@code out} ready for a new bundle: created if missing; a previous bundle there is replaced (its
     * manifest, model and plans are deleted); a folder with other content is refused.
     *
     * @throws ModelException if {@code out} is a file, or a non-empty folder that is not a bundle
     */
    /** Folder of the partition plan (plan.json, segment models, kernel constants) in a bundle that has one. */
    static final String PLAN_DIR = "plan";

    static void prepare(Path out) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ModelException("output " + out + " is a file; expected a folder for the engine bundle");
        }
        Files.createDirectories(out);
        try (Stream<Path> s = Files.list(out)) {
            List<Path> content = s.toList();
            if (content.isEmpty()) {
                return;
            }
            if (!Bundle.isBundle(out)) {
                throw new ModelException("output folder " + out + " is not empty and holds no bundle (no "
                        + BundleManifest.FILE_NAME + "); choose a new or empty folder, so nothing else is overwritten");
            }
            Files.delete(out.resolve(BundleManifest.FILE_NAME));
            for (Path p : content) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && (name.equals(MODEL)
                        || name.equals(EXTERNAL_DATA) || (name.startsWith("engine.") && name.endsWith(".plan")))) {
                    Files.delete(p);
                }
            }
            Path plan = out.resolve(PLAN_DIR);
            if (Files.isDirectory(plan, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> files = Files.walk(plan)) {
                    for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
            LOG.info("replacing the previous bundle in {}", out);
        }
    }

    /** Writes {@code model} as {@link #MODEL}; returns its manifest entry (size and SHA-256 of what was written). */
    static BundleManifest.ModelFile writeModel(OnnxModel model, Path out) throws IOException {
        long[] dataBytes = {0};
        ModelWalk.forEachTensor(model.proto(), (t, site) -> dataBytes[0] += Tensors.dataBytes(t));
        boolean external = dataBytes[0] + model.proto().getSerializedSize() > EXTERNAL_DATA_ABOVE;
        Path file = out.resolve(MODEL);
        model.write(file, external ? OnnxModel.WriteOptions.externalData(EXTERNAL_DATA, 1024)
                : OnnxModel.WriteOptions.selfContained());
        shareable(file);
        List<BundleManifest.DataFile> data = new ArrayList<>();
        if (external && Files.exists(out.resolve(EXTERNAL_DATA))) {
            shareable(out.resolve(EXTERNAL_DATA));
            data.add(new BundleManifest.DataFile(EXTERNAL_DATA, Files.size(out.resolve(EXTERNAL_DATA))));
        }
        return new BundleManifest.ModelFile(MODEL, Bundle.sha256(file), Files.size(file), data);
    }

    /** The plan's file name: {@code engine.sm<cc>-trt<version>.plan}, so plans for several GPUs can sit side by side. */
    static String planName(BuiltEngine e) {
        return "engine.sm" + e.computeCapability().replace(".", "") + "-trt" + e.tensorRtVersion() + ".plan";
    }

    /** Writes an engine plan into the bundle and returns its manifest entry. */
    static BundleManifest.EngineRecord writePlan(BuiltEngine e, String profile, Path out) {
        String name = planName(e);
        try {
            Files.write(out.resolve(name), e.plan());
            shareable(out.resolve(name));
        } catch (IOException x) {
            throw new UncheckedIOException("cannot write " + out.resolve(name), x);
        }
        return new BundleManifest.EngineRecord(name, Bundle.sha256(e.plan()), e.plan().length, profile, e.tensorRtVersion(),
                e.cudaVersion(), e.computeCapability(), e.deviceName(), e.builderCalls());
    }

    /** Writes the manifest (atomically). */
    static void writeManifest(BundleManifest m, Path out) throws IOException {
        shareable(ManifestCodec.write(m, out));
    }

    /**
     * rw-r--r--: files written through temporary files start as rw------- (owner only), but a bundle is meant to be
     * copied and mounted into containers that run as other users. No-op where POSIX permissions do not exist.
     */
    private static void shareable(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its defaults apply
        }
    }
}
