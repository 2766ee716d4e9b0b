package dev.javelin.bindings.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeStackLine;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Javelin calls only TensorRT functions that TensorRT 10.3 has, so the JetPack 6 line (JNI built for 10.6) is
 * safe on the 10.3 libraries JetPack 6.1/6.2 ship: a function added later sits past the end of 10.3's virtual
 * table. The list of newer functions ({@code tensorrt/api-newer-than-10.3.txt}) was derived from the public
 * TensorRT headers; its header says how. The one class allowed to differ per line ({@link NativeStackLine}) is
 * exempt, but holds no TensorRT call today.
 */
class TensorRtApiSubsetTest {
    /** One forbidden function: owner simple name, Java name, optional overload selector. */
    private record Newer(String owner, String name, Integer params, String paramType) {
        boolean matches(ClassFileRefs.MethodRef r) {
            if (!r.owner().startsWith("org/bytedeco/tensorrt/") || !r.ownerSimpleName().equals(owner)) {
                return false;
            }
            if (name == null) {
                return true; // the whole class is newer than 10.3
            }
            if (!r.name().equals(name)) {
                return false;
            }
            if (params != null) {
                return r.parameterCount() == params;
            }
            return paramType == null || r.descriptor().contains("/" + paramType + ";");
        }
    }

    private static final Pattern ENTRY = Pattern.compile("(\\w+)\\.(\\w+)(?:\\((?:#(\\d+)|(\\w+))\\))?");

    static List<Newer> newerThan103() throws IOException {
        List<Newer> out = new ArrayList<>();
        try (InputStream in = TensorRtApiSubsetTest.class.getResourceAsStream("/tensorrt/api-newer-than-10.3.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("class ")) {
                    out.add(new Newer(line.substring(6).trim(), null, null, null));
                    continue;
                }
                Matcher m = ENTRY.matcher(line);
                assertTrue(m.matches(), "bad entry: " + line);
                out.add(new Newer(m.group(1), m.group(2), m.group(3) == null ? null : Integer.parseInt(m.group(3)),
                        m.group(4)));
            }
        }
        return out;
    }

    private static Path classesOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static Set<String> violations(List<ClassFileRefs.MethodRef> refs, List<Newer> newer) {
        Set<String> found = new TreeSet<>();
        for (ClassFileRefs.MethodRef r : refs) {
            if (r.referrer().replace('\\', '/').equals("dev/javelin/bindings/core/NativeStackLine.class")) {
                continue;
            }
            for (Newer n : newer) {
                if (n.matches(r)) {
                    found.add(r.referrer() + " -> " + r.ownerSimpleName() + "." + r.name() + r.descriptor());
                }
            }
        }
        return found;
    }

    @Test
    void bindingsCallNoTensorRtFunctionNewerThan103() throws Exception {
        List<ClassFileRefs.MethodRef> refs = ClassFileRefs.scan(classesOf(TrtRuntime.class));
        // The scan sees the calls that matter: these are the ones a TensorRT run makes.
        Set<String> called = new TreeSet<>();
        for (ClassFileRefs.MethodRef r : refs) {
            if (r.owner().startsWith("org/bytedeco/tensorrt/")) {
                called.add(r.ownerSimpleName() + "." + r.name());
            }
        }
        for (String needed : List.of("IExecutionContext.enqueueV3", "IExecutionContext.setTensorAddress",
                "IRuntime.deserializeCudaEngine")) {
            assertTrue(called.contains(needed), needed + " not seen; the scan found " + called);
        }
        assertEquals(Set.of(), violations(refs, newerThan103()),
                "TensorRT functions that JetPack 6's TensorRT 10.3 lacks (line " + NativeStackLine.ID + ")");
    }

    @Test
    void theScanFindsNewerCallsInCompiledCode() throws Exception {
        List<ClassFileRefs.MethodRef> refs = new ArrayList<>();
        for (ClassFileRefs.MethodRef r : ClassFileRefs.scan(classesOf(TensorRtApiSubsetTest.class))) {
            if (r.referrer().contains("fixture")) {
                refs.add(r);
            }
        }
        Set<String> found = new TreeSet<>();
        for (String v : violations(refs, newerThan103())) {
            found.add(v.substring(v.indexOf("-> ") + 3, v.indexOf('(')));
        }
        assertEquals(new TreeSet<>(List.of("IBuilderConfig.setMaxNbTactics", "IBuilder.buildEngineWithConfig")), found);
    }

    @Test
    void newerOverloadsAreToldFromOlderOnes() throws Exception {
        String nv = "org/bytedeco/tensorrt/nvinfer/";
        List<ClassFileRefs.MethodRef> refs = List.of(
                new ClassFileRefs.MethodRef("A", nv + "INetworkDefinition", "addNonZero", "(L" + nv + "ITensor;)L" + nv + "INonZeroLayer;"),
                new ClassFileRefs.MethodRef("B", nv + "INetworkDefinition", "addNonZero", "(L" + nv + "ITensor;I)L" + nv + "INonZeroLayer;"),
                new ClassFileRefs.MethodRef("C", nv + "IRuntime", "deserializeCudaEngine", "(L" + nv + "IStreamReader;)L" + nv + "ICudaEngine;"),
                new ClassFileRefs.MethodRef("D", nv + "IRuntime", "deserializeCudaEngine", "(L" + nv + "IStreamReaderV2;)L" + nv + "ICudaEngine;"),
                new ClassFileRefs.MethodRef("E", nv + "ICudaEngine", "createExecutionContext", "(I)L" + nv + "IExecutionContext;"),
                new ClassFileRefs.MethodRef("F", nv + "ICudaEngine", "createExecutionContext", "(L" + nv + "IRuntimeConfig;)L" + nv + "IExecutionContext;"),
                new ClassFileRefs.MethodRef("G", nv + "IRuntimeConfig", "setExecutionContextAllocationStrategy", "(I)V"),
                new ClassFileRefs.MethodRef("H", "org/bytedeco/tensorrt/nvonnxparser/IParser", "parseFromFile", "(Ljava/lang/String;I)Z"),
                new ClassFileRefs.MethodRef("I", "org/bytedeco/tensorrt/nvonnxparser/IParser", "loadModelProto", "(Lorg/bytedeco/javacpp/Pointer;J)Z"));
        Set<String> who = new TreeSet<>();
        for (String v : violations(refs, newerThan103())) {
            who.add(v.substring(0, v.indexOf(' ')));
        }
        assertEquals(Set.of("B", "D", "F", "G", "I"), who);
    }
}
