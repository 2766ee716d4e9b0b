package dev.javelin.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemInfoTest {
    private static void write(Path root, String file, byte[] content) throws IOException {
        Path p = root.resolve(file);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    @Test
    void jetsonOrinWithL4t36() throws IOException {
        Path root = Files.createTempDirectory("orin");
        write(root, "etc/nv_tegra_release", ("# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, "
                + "DATE: Wed Jan  8 01:49:37 UTC 2025\n# KERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\n").getBytes(StandardCharsets.UTF_8));
        write(root, "proc/device-tree/model", "NVIDIA Jetson AGX Orin Developer Kit\0".getBytes(StandardCharsets.UTF_8));
        SystemInfo.Jetson j = SystemInfo.readJetson(root);
        assertEquals("NVIDIA Jetson AGX Orin Developer Kit", j.model());
        assertEquals("36.4.3", j.l4t());
        assertEquals("6.2", j.jetPack());
    }

    @Test
    void tegraFromTheDeviceTreeAloneAndOtherBoards(@TempDir Path root) throws IOException {
        write(root, "proc/device-tree/compatible", "nvidia,p3768-0000+p3767-0005\0nvidia,tegra234\0".getBytes(StandardCharsets.UTF_8));
        SystemInfo.Jetson unknown = SystemInfo.readJetson(root);
        assertEquals(java.util.Arrays.asList(null, null, null), java.util.Arrays.asList(unknown.model(), unknown.l4t(), unknown.jetPack()));
        assertFalse(unknown.check().matches(), "an unknown L4T release cannot be said to match");
        Path pi = Files.createTempDirectory("pi");
        write(pi, "proc/device-tree/model", "Raspberry Pi 5 Model B Rev 1.0\0".getBytes(StandardCharsets.UTF_8));
        assertNull(SystemInfo.readJetson(pi));
        assertNull(SystemInfo.readJetson(Files.createTempDirectory("x86")));
    }

    @Test
    void l4tAndJetPackLines() {
        assertEquals("35.6.0", SystemInfo.parseL4t("# R35 (release), REVISION: 6.0, GCID: 1, BOARD: t186ref, EABI: aarch64"));
        assertEquals("5.x", SystemInfo.jetPackLine("35.6.0"));
        assertEquals("7.x", SystemInfo.jetPackLine("38.2.0"));
        assertEquals("4.x", SystemInfo.jetPackLine("32.7.4"));
        assertNull(SystemInfo.jetPackLine("99.1.0"));
        assertNull(SystemInfo.parseL4t("garbage"));
    }

    @Test
    void nvidiaDriverVersionFromProc(@TempDir Path root) throws IOException {
        assertEquals("580.65.06", SystemInfo.parseNvidiaDriver("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  "
                + "Sun Jul 27 07:09:50 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"));
        assertEquals("590.44.01", SystemInfo.parseNvidiaDriver("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  "
                + "590.44.01  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Nov 11 2025"));
        assertNull(SystemInfo.readNvidiaDriver(root));
        write(root, "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  540.4.0  Release Build\n"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("540.4.0", SystemInfo.readNvidiaDriver(root));
    }

    @Test
    void thisMachineWithoutAGpu() {
        org.junit.jupiter.api.Assumptions.assumeFalse(NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available(),
                "this machine has an NVIDIA driver");
        SystemInfo info = SystemInfo.collect();
        assertNull(info.cudaDriver());
        assertTrue(info.gpus().isEmpty());
        assertNull(info.tensorRt());
        assertTrue(info.tensorRtBuiltFor().startsWith(NativeStackLine.TENSORRT_BUILT + "."), info.tensorRtBuiltFor());
        assertEquals(NativeStackLine.ONNXRUNTIME, info.onnxRuntime());
        assertEquals(NativeStackLine.ID, info.nativeLine().id());
        assertEquals(List.of("CUDA driver", "CUDA runtime", "TensorRT", "ONNX Runtime"),
                info.nativeStacks().stream().map(SystemInfo.NativeStack::name).toList());
        assertFalse(info.nativeStacks().get(0).available());
        assertEquals("no NVIDIA driver: libcuda.so.1 not found", info.nativeStacks().get(0).detail());
        assertTrue(info.nativeStacks().get(0).tried().get(0).startsWith("dlopen(libcuda.so.1)"));
        assertEquals(List.of("tensorrt", "cuda", "cpu"), info.backends().stream().map(SystemInfo.BackendStatus::name).toList());
        SystemInfo.BackendStatus trt = info.backends().get(0);
        assertFalse(trt.usable());
        assertTrue(trt.detail().contains("no NVIDIA driver"), trt.detail());

        Map<String, Object> m = info.toMap();
        assertEquals(List.of("os", "jvm", "jetson", "nvidia_driver", "cuda_driver", "devices", "tensorrt", "onnxruntime",
                "native_line", "native", "backends"), List.copyOf(m.keySet()));
        assertEquals(List.of(), m.get("devices"));
        assertTrue(m.containsKey("nvidia_driver") && m.get("nvidia_driver") == null, "absent values are null, not omitted");

        String text = info.toText();
        assertTrue(text.contains("NVIDIA driver: not found"), text);
        assertTrue(text.contains("ONNX Runtime:  " + NativeStackLine.ONNXRUNTIME), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("  tensorrt  no   CUDA driver unavailable: no NVIDIA driver")), text);
        assertEquals(1, text.lines().filter(l -> l.contains("tried: dlopen(libcuda.so.1)")).count(), "attempts shown once:\n" + text);
    }
}
