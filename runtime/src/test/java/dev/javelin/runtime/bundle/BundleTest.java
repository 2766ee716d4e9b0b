package dev.javelin.runtime.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a bundle trusts nothing: confinement of every named file, presence, sizes and hashes. */
class BundleTest {
    private static final byte[] PLAN = {10, 20, 30, 40};
    private static final String PLAN_FILE = "engine.sm86-trt10.15.1.plan";

    private static Path bundle(Path dir) {
        return TestBundles.write(dir, Map.of(PLAN_FILE, PLAN), "10.15.1", "8.6");
    }

    private static String refused(Path bundle) {
        return assertThrows(ModelException.class, () -> Bundle.open(bundle)).getMessage();
    }

    @Test
    void aWellFormedBundleOpens(@TempDir Path dir) {
        Path b = bundle(dir);
        assertTrue(Bundle.isBundle(b));
        assertFalse(Bundle.isBundle(dir));
        Bundle bundle = Bundle.open(b);
        assertEquals(b.resolve("model.onnx"), bundle.modelFile());
        assertArrayEquals(PLAN, bundle.readPlan(bundle.manifest().engines().get(0)));
        assertEquals(Precision.FP32, bundle.manifest().precision());
    }

    @Test
    void namesThatLeaveTheFolderAreRefused(@TempDir Path dir) throws IOException {
        Path b = bundle(dir);
        Files.copy(b.resolve("model.onnx"), dir.resolve("outside.onnx"));
        TestBundles.editManifest(b, s -> s.replace("\"file\" : \"model.onnx\"", "\"file\" : \"../outside.onnx\""));
        assertEquals("bundle " + b + ": manifest field model.file ('../outside.onnx') escapes the bundle folder through '..';"
                + " a bundle may only name files inside its folder", refused(b));

        TestBundles.editManifest(b, s -> s.replace("\"../outside.onnx\"", "\"" + dir.resolve("outside.onnx") + "\""));
        assertEquals("bundle " + b + ": manifest field model.file ('" + dir.resolve("outside.onnx") + "') is an absolute path;"
                + " a bundle may only name files inside its folder", refused(b));

        TestBundles.editManifest(b, s -> s.replace("\"" + dir.resolve("outside.onnx") + "\"", "\"sub/../../outside.onnx\""));
        assertTrue(refused(b).contains("escapes the bundle folder through '..'"));

        TestBundles.editManifest(b, s -> s.replace("\"sub/../../outside.onnx\"", "\"model.onnx\"")
                .replace("\"" + PLAN_FILE + "\"", "\"..\\\\secret.plan\""));
        assertTrue(refused(b).contains("manifest field engines[0].file ('..\\secret.plan') escapes the bundle folder"), refused(b));
    }

    @Test
    void aSymbolicLinkOutOfTheFolderIsRefused(@TempDir Path dir) throws IOException {
        Path b = bundle(dir);
        Path outside = Files.write(dir.resolve("elsewhere.plan"), PLAN);
        Files.delete(b.resolve(PLAN_FILE));
        Files.createSymbolicLink(b.resolve(PLAN_FILE), outside);
        assertEquals("bundle " + b + ": manifest field engines[0].file ('" + PLAN_FILE + "') is a symbolic link to "
                + outside.toRealPath() + ", outside the bundle folder", refused(b));
    }

    @Test
    void missingFilesAreNamed(@TempDir Path dir) throws IOException {
        Path b = bundle(dir);
        Files.delete(b.resolve(PLAN_FILE));
        assertEquals("bundle " + b + ": manifest field engines[0].file ('" + PLAN_FILE + "') is missing from the folder", refused(b));
        Files.delete(b.resolve("model.onnx"));
        assertEquals("bundle " + b + ": manifest field model.file ('model.onnx') is missing from the folder", refused(b));
        Files.delete(b.resolve("manifest.json"));
        assertTrue(refused(b).contains("is a directory without manifest.json; expected an .onnx file or an engine bundle folder"));
        assertTrue(refused(dir.resolve("nothing")).contains("is not an engine bundle folder (it does not exist)"));
    }

    @Test
    void aChangedModelIsNamedWithBothHashes(@TempDir Path dir) throws IOException {
        Path b = bundle(dir);
        String recorded = Bundle.open(b).manifest().model().sha256();
        byte[] model = Files.readAllBytes(b.resolve("model.onnx"));
        model[model.length - 1] ^= 1; // same size, different content
        Files.write(b.resolve("model.onnx"), model);
        String actual = Bundle.sha256(model);
        assertEquals("bundle " + b + ": model.onnx has SHA-256 " + actual + " but the manifest records " + recorded
                + "; the file was changed after the bundle was built (rebuild the bundle with 'javelin build')", refused(b));

        Files.write(b.resolve("model.onnx"), new byte[] {1, 2, 3});
        assertEquals("bundle " + b + ": model.onnx is 3 bytes but the manifest (model.file) records " + model.length
                + "; the file was changed or truncated after the bundle was built", refused(b));
    }

    @Test
    void aChangedPlanIsCaughtWhenRead(@TempDir Path dir) throws IOException {
        Path b = bundle(dir);
        Files.write(b.resolve(PLAN_FILE), new byte[] {10, 20, 30, 41});
        Bundle bundle = Bundle.open(b); // sizes match: plans are hashed only when the TensorRT backend reads them
        ModelException e = assertThrows(ModelException.class, () -> bundle.readPlan(bundle.manifest().engines().get(0)));
        assertTrue(e.getMessage().startsWith("bundle " + b + ": " + PLAN_FILE + " has SHA-256 "), e.getMessage());
        assertTrue(e.getMessage().endsWith("; the plan was changed after the bundle was built"), e.getMessage());
    }
}
