package dev.javelin.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import dev.javelin.bindings.testing.NativeTestBuild;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the real JNA driver binding against a fake libcuda compiled from the real {@code cuda.h}
 * ({@code src/test/native/fake_cuda.c}); the surefire execution {@code fake-cuda-driver} runs this class
 * alone, in its own JVM, with {@code -Djavelin.cuda.driver} pointing at the fake. Registration itself
 * checks that every entry point {@link CudaDriverApi} binds exists under the name cuda.h gives it.
 */
class FakeCudaDriverTest {
    private static NativeLibrary fake;

    @BeforeAll
    static void buildFakeDriver() {
        String configured = System.getProperty(NativeLoader.CUDA_DRIVER_PATH_PROPERTY);
        org.junit.jupiter.api.Assumptions.assumeTrue(configured != null,
                "runs only in the fake-cuda-driver surefire execution");
        Path lib = NativeTestBuild.build("fake-cuda", "libcuda.so.1", "gcc", "fake_cuda.c",
                List.of("-I" + NativeTestBuild.cudaInclude(), "-Wl,-soname,libcuda.so.1"));
        assertEquals(Path.of(configured).toAbsolutePath().normalize(), lib.normalize());
        fake = NativeLibrary.getInstance(lib.toString());
    }

    private static int counter(String name) {
        return fake.getFunction(name).invokeInt(new Object[0]);
    }

    @AfterEach
    void everythingReleased() {
        assertEquals(0, counter("fake_live_device_allocations"), "device allocations leaked");
        assertEquals(0, counter("fake_live_pinned_allocations"), "pinned allocations leaked");
        assertEquals(0, counter("fake_live_streams"), "streams leaked");
        assertEquals(0, counter("fake_live_events"), "events leaked");
        assertEquals(0, counter("fake_primary_refs"), "primary context references leaked");
        assertEquals(0, counter("fake_live_modules"), "modules leaked");
        assertEquals(0, counter("fake_live_graphs"), "graphs leaked");
    }

    /** A minimal fatbin container: magic, version, header size, payload size, payload. */
    private static byte[] fatbin(int payload) {
        ByteBuffer b = ByteBuffer.allocate(16 + payload).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xBA55ED50).putShort((short) 1).putShort((short) 16).putLong(payload);
        return b.array();
    }

    @Test
    void moduleLoadFunctionLookupAndLaunchMarshalEveryParameterKind() {
        int n = 1000;
        try (CudaContext ctx = CudaContext.primary(0);
             CudaStream stream = CudaStream.create(ctx);
             CudaModule module = CudaModule.load(ctx, fatbin(64), "test.fatbin");
             DeviceBuffer x = DeviceBuffer.allocate(ctx, 4L * n);
             DeviceBuffer y = DeviceBuffer.allocate(ctx, 4L * n);
             DeviceBuffer out = DeviceBuffer.allocate(ctx, 5 * 8)) {
            ByteBuffer hx = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
            ByteBuffer hy = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                hx.putFloat(4 * i, i);
                hy.putFloat(4 * i, 1);
            }
            x.copyFromHost(hx, stream);
            y.copyFromHost(hy, stream);
            CudaFunction axpy = module.function("javelin_test_axpy");
            assertTrue(axpy == module.function("javelin_test_axpy"), "looked up once");
            axpy.launch(Dim3.of((n + 255) / 256), Dim3.of(256), 0, stream,
                    new KernelArgs().int64(n).float32(2f).pointer(x.address()).pointer(y.address()));
            y.copyToHost(hy, stream);
            stream.synchronize();
            for (int i = 0; i < n; i++) {
                assertEquals(2f * i + 1, hy.getFloat(4 * i), "y[" + i + "]");
            }

            // A struct { int a; double b; } by value: 4 bytes, 4 of padding, 8 bytes; aligned to 8.
            ByteBuffer s = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -7).putDouble(8, 2.5);
            module.function("javelin_test_kinds").launch(Dim3.of(1), Dim3.of(1), 0, stream, new KernelArgs()
                    .pointer(out.address()).int32(-123).int64(1L << 40).float32(1.5f).struct(s.array(), 8));
            ByteBuffer back = ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder());
            out.copyToHost(back, stream);
            stream.synchronize();
            assertEquals(-123, back.getLong(0));
            assertEquals(1L << 40, back.getLong(8));
            assertEquals(Float.floatToRawIntBits(1.5f), back.getLong(16));
            assertEquals(-7, back.getLong(24));
            assertEquals(Double.doubleToRawLongBits(2.5), back.getLong(32));

            Function describe = fake.getFunction("fake_launch_describe");
            byte[] text = new byte[512];
            int count = counter("fake_launch_count");
            int len = describe.invokeInt(new Object[] {count - 2, text, text.length});
            assertEquals("javelin_test_axpy grid=4,1,1 block=256,1,1 smem=0 args=1000," + Float.floatToRawIntBits(2f) + ","
                    + x.address() + "," + y.address(), new String(text, 0, len, java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    @Test
    void moduleAndLaunchFailuresAreTyped() {
        Function setStatus = fake.getFunction("fake_set_load_status");
        try (CudaContext ctx = CudaContext.primary(0); CudaStream stream = CudaStream.create(ctx)) {
            NativeCallException bad = assertThrows(NativeCallException.class,
                    () -> CudaModule.load(ctx, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, "garbage.bin"));
            assertEquals(CudaDriver.ERROR_INVALID_IMAGE, bad.code());
            assertTrue(bad.getMessage().startsWith("cuModuleLoadData(garbage.bin, 8 bytes, device 0) failed: "
                    + "CUDA_ERROR_INVALID_IMAGE (200)"), bad.getMessage());
            assertFalse(CudaDriver.isToolchainMismatch(bad.code()));

            setStatus.invokeVoid(new Object[] {0, CudaDriver.ERROR_UNSUPPORTED_PTX_VERSION});
            try {
                NativeCallException old = assertThrows(NativeCallException.class, () -> CudaModule.load(ctx, fatbin(8), "k.fatbin"));
                assertEquals("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", old.status());
                assertTrue(CudaDriver.isToolchainMismatch(old.code()));
            } finally {
                setStatus.invokeVoid(new Object[] {0, 0});
            }
            assertTrue(CudaDriver.isToolchainMismatch(CudaDriver.ERROR_NO_BINARY_FOR_GPU));

            CudaModule module = CudaModule.load(ctx, fatbin(8), "k.fatbin");
            NativeCallException missing = assertThrows(NativeCallException.class, () -> module.function("no_such_kernel"));
            assertEquals(CudaDriver.ERROR_NOT_FOUND, missing.code());
            assertTrue(missing.getMessage().contains("cuModuleGetFunction(k.fatbin, no_such_kernel)"), missing.getMessage());

            CudaFunction axpy = module.function("javelin_test_axpy");
            // A pointer the driver never handed out: the fake faults the way a GPU would.
            NativeCallException wild = assertThrows(NativeCallException.class, () -> axpy.launch(Dim3.of(1), Dim3.of(32), 0,
                    stream, new KernelArgs().int64(1).float32(1f).pointer(0x10).pointer(0x20)));
            assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", wild.status());
            assertTrue(wild.getMessage().startsWith("cuLaunchKernel(javelin_test_axpy, grid (1, 1, 1), block (32, 1, 1), 0 B shared, "
                    + "stream " + stream.id() + ")"), wild.getMessage());
            NativeCallException tooBig = assertThrows(NativeCallException.class, () -> axpy.launch(Dim3.of(1), Dim3.of(2048), 0,
                    stream, new KernelArgs().int64(0).float32(1f).pointer(0).pointer(0)));
            assertEquals("CUDA_ERROR_INVALID_VALUE", tooBig.status());
            assertThrows(IllegalArgumentException.class, () -> new Dim3(0, 1, 1));

            module.close();
            module.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> axpy.launch(Dim3.of(1), Dim3.of(1), 0,
                    stream, new KernelArgs().int64(0).float32(1f).pointer(0).pointer(0)));
            assertTrue(closed.getMessage().contains("CUDA module k.fatbin"), closed.getMessage());
        }
    }

    @Test
    void probeReportsTheDriverAndItsVersion() {
        NativeLoader.Probe p = NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER);
        assertTrue(p.available(), p.detail());
        assertEquals("13.1", p.version());
        assertTrue(p.detail().contains("libcuda.so.1"), p.detail());
    }

    @Test
    void devicesAndProperties() {
        CudaDriver d = CudaDriver.get();
        assertEquals(13010, d.version());
        assertEquals(1, d.deviceCount());
        CudaDeviceInfo dev = d.device(0);
        assertEquals("Javelin Fake GPU", dev.name());
        assertEquals(86, dev.computeCapability());
        assertEquals("8.6", dev.computeCapabilityString());
        assertEquals(1L << 30, dev.totalMemory());
        assertEquals(84, dev.multiprocessors());
        assertFalse(dev.integrated());
        assertTrue(dev.canMapHostMemory());
        assertThrows(IllegalArgumentException.class, () -> d.device(1));
        long[] mem = d.memoryInfo(0);
        assertEquals(1L << 30, mem[0]);
        assertEquals(1L << 30, mem[1]);
    }

    @Test
    void roundTripThroughDeviceMemory() {
        byte[] data = new byte[4 << 20];
        new Random(7).nextBytes(data);
        try (CudaContext ctx = CudaContext.primary(0);
             CudaStream stream = CudaStream.create(ctx);
             PinnedHostBuffer in = PinnedHostBuffer.allocate(ctx, data.length, false);
             PinnedHostBuffer out = PinnedHostBuffer.allocate(ctx, data.length, false);
             DeviceBuffer a = DeviceBuffer.allocate(ctx, data.length);
             DeviceBuffer b = DeviceBuffer.allocate(ctx, data.length)) {
            assertEquals((1L << 30) - 2L * data.length, CudaDriver.get().memoryInfo(0)[0], "free memory drops by the allocations");
            in.buffer().put(data);
            a.copyFromHost(in.address(), 0, data.length, stream);
            b.copyFrom(a, data.length, stream);
            b.copyToHost(out.address(), 0, data.length, stream);
            stream.synchronize();
            byte[] back = new byte[data.length];
            out.buffer().get(back);
            assertArrayEquals(data, back);

            // Direct (pageable) buffers, with an offset into the device buffer.
            ByteBuffer direct = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            direct.putLong(0, 0x0102030405060708L).putLong(8, -1L);
            a.copyFromHost(direct, stream);
            ByteBuffer check = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            a.copyToHost(check, stream);
            stream.synchronize();
            assertEquals(0x0102030405060708L, check.getLong(0));
            assertEquals(-1L, check.getLong(8));

            b.fill((byte) 0x5A, stream);
            b.copyToHost(out.address(), 0, data.length, stream);
            stream.synchronize();
            assertEquals(0x5A, out.buffer().get(data.length - 1));
            assertTrue(stream.isIdle());
        }
    }

    @Test
    void failuresNameTheCallTheSizeAndTheDriverStatus() {
        try (CudaContext ctx = CudaContext.primary(0)) {
            NativeCallException e = assertThrows(NativeCallException.class, () -> DeviceBuffer.allocate(ctx, 2L << 30));
            assertEquals("cuMemAlloc(2.0 GiB) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", e.getMessage());
            assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.status());
            assertEquals(2, e.code());
            try (CudaStream stream = CudaStream.create(ctx); DeviceBuffer small = DeviceBuffer.allocate(ctx, 64)) {
                // Checked in Java before any native call.
                IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                        () -> small.copyToHost(ByteBuffer.allocateDirect(65), stream));
                assertTrue(oob.getMessage().contains("65 bytes"), oob.getMessage());
                assertThrows(IllegalArgumentException.class, () -> small.copyFromHost(ByteBuffer.allocate(8), stream));
                assertThrows(IllegalArgumentException.class, () -> DeviceBuffer.allocate(ctx, 0));
            }
        }
    }

    @Test
    void workOnAFreshThreadMakesTheContextCurrentItself() throws Exception {
        // The fake, like the real driver, refuses allocations without a current context on the thread.
        try (CudaContext ctx = CudaContext.primary(0)) {
            long bytes = CompletableFuture.supplyAsync(() -> {
                try (DeviceBuffer b = DeviceBuffer.allocate(ctx, 1024); CudaStream s = CudaStream.create(ctx)) {
                    b.fill((byte) 1, s);
                    s.synchronize();
                    return b.bytes();
                }
            }, r -> new Thread(r, "fresh").start()).get();
            assertEquals(1024, bytes);
        }
    }

    @Test
    void eventsOrderAndTimeWork() {
        try (CudaContext ctx = CudaContext.primary(0);
             CudaStream s1 = CudaStream.create(ctx);
             CudaStream s2 = CudaStream.create(ctx);
             CudaEvent start = CudaEvent.create(ctx, true);
             CudaEvent end = CudaEvent.create(ctx, true);
             CudaEvent marker = CudaEvent.create(ctx, false)) {
            assertFalse(start.isComplete(), "an event never recorded is not complete");
            start.record(s1);
            marker.record(s1);
            s2.waitFor(marker);
            end.record(s1);
            end.synchronize();
            assertTrue(end.isComplete());
            float ms = CudaEvent.elapsedMillis(start, end);
            assertTrue(ms >= 0 && ms < 10_000, "elapsed " + ms);
            assertThrows(IllegalArgumentException.class, () -> CudaEvent.elapsedMillis(start, marker));
        }
    }

    @Test
    void mappedPinnedMemoryHasADevicePointer() {
        try (CudaContext ctx = CudaContext.primary(0);
             PinnedHostBuffer mapped = PinnedHostBuffer.allocate(ctx, 256, true);
             PinnedHostBuffer plain = PinnedHostBuffer.allocate(ctx, 256, false)) {
            assertTrue(mapped.devicePointer() != 0);
            assertThrows(IllegalStateException.class, plain::devicePointer);
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseNamesTheObject() {
        CudaContext ctx = CudaContext.primary(0);
        CudaStream stream = CudaStream.create(ctx);
        DeviceBuffer buf = DeviceBuffer.allocate(ctx, 4 << 20);
        buf.close();
        buf.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buf.fill((byte) 0, stream));
        assertTrue(e.getMessage().contains("device buffer of 4.0 MiB"), e.getMessage());
        stream.close();
        stream.close();
        ctx.close();
        ctx.close();
    }

    @Test
    void theGpuLibrariesAboveTheDriverReportWhatTheyMiss() {
        // The bytedeco JNI's libcuda.so.1 dependency is satisfied by the loaded fake (same soname), so what
        // is reported is the next missing piece: the CUDA runtime if this machine has no libcudart.so.13,
        // else (a CUDA toolkit is installed here) the first TensorRT dependency the linker cannot find.
        NativeLoader.Probe rt = NativeLoader.probe(NativeLoader.Stack.CUDA_RUNTIME);
        NativeLibraryUnavailableException e = assertThrows(NativeLibraryUnavailableException.class,
                () -> NativeLoader.require(NativeLoader.Stack.TENSORRT));
        if (rt.available()) {
            assertTrue(rt.version().startsWith(NativeStackLine.CUDA_MAJOR + "."), rt.toString());
            assertTrue(rt.detail().contains("built for " + NativeStackLine.CUDA), rt.detail());
            assertTrue(e.getMessage().contains("TensorRT libraries could not be loaded"), e.getMessage());
            assertTrue(e.getMessage().contains("cannot open shared object file"), e.getMessage());
        } else {
            // Default line: libcudart.so.13 (a CUDA 13 toolkit is installed here, so this branch is not taken);
            // JetPack 6 line: libcudart.so.12, which this machine lacks.
            assertTrue(rt.detail().contains("libcudart.so." + NativeStackLine.CUDA_MAJOR), rt.detail());
            assertTrue(e.getMessage().contains("needs the CUDA runtime"), e.getMessage());
            assertTrue(e.getMessage().contains("libcudart.so." + NativeStackLine.CUDA_MAJOR), e.getMessage());
        }
        assertTrue(e.getMessage().contains("libnvinfer.so.10"), "names what is expected: " + e.getMessage());
    }

    @Test
    void aCapturedGraphReplaysCopiesAndLaunchesOnFreshHostData() {
        int n = 300;
        try (CudaContext ctx = CudaContext.primary(0);
             CudaStream stream = CudaStream.create(ctx);
             CudaModule module = CudaModule.load(ctx, fatbin(64), "test.fatbin");
             PinnedHostBuffer host = PinnedHostBuffer.allocate(ctx, 4L * n, false);
             DeviceBuffer x = DeviceBuffer.allocate(ctx, 4L * n);
             DeviceBuffer y = DeviceBuffer.allocate(ctx, 4L * n)) {
            CudaFunction axpy = module.function("javelin_test_axpy");
            ByteBuffer h = host.buffer();
            for (int i = 0; i < n; i++) {
                h.putFloat(4 * i, 100);
            }
            int launchesBefore = counter("fake_launch_count");
            // y = 0; x <- host; y = 3x + y; host <- y
            try (CudaGraph graph = CudaGraph.capture(stream, s -> {
                y.fill((byte) 0, s);
                x.copyFromHost(host.address(), 0, 4L * n, s);
                axpy.launch(Dim3.of((n + 127) / 128), Dim3.of(128), 0, s,
                        new KernelArgs().int64(n).float32(3f).pointer(x.address()).pointer(y.address()));
                y.copyToHost(host.address(), 0, 4L * n, s);
            })) {
                assertEquals(launchesBefore, counter("fake_launch_count"), "capture runs nothing");
                assertEquals(100f, h.getFloat(0), "capture runs nothing");
                for (int round = 1; round <= 2; round++) {
                    for (int i = 0; i < n; i++) {
                        h.putFloat(4 * i, round * i);
                    }
                    graph.launch(stream);
                    stream.synchronize();
                    for (int i = 0; i < n; i++) {
                        assertEquals(3f * round * i, h.getFloat(4 * i), "round " + round + ", y[" + i + "]");
                    }
                }
                assertEquals(launchesBefore + 2, counter("fake_launch_count"), "one kernel launch per replay");
            }
        }
    }

    @Test
    void aFailedCaptureIsTypedAndLeavesTheStreamUsable() {
        try (CudaContext ctx = CudaContext.primary(0);
             CudaStream stream = CudaStream.create(ctx);
             DeviceBuffer d = DeviceBuffer.allocate(ctx, 64)) {
            NativeCallException e = assertThrows(NativeCallException.class,
                    () -> CudaGraph.capture(stream, s -> {
                        d.fill((byte) 1, s);
                        s.synchronize(); // not capturable: invalidates the capture
                    }));
            assertTrue(e.getMessage().contains("cuStreamSynchronize"), e.getMessage());
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> CudaGraph.capture(stream, s -> {
                        throw new IllegalStateException("work failed");
                    }));
            assertEquals("work failed", thrown.getMessage());
            ByteBuffer back = ByteBuffer.allocateDirect(64);
            d.fill((byte) 7, stream);
            d.copyToHost(back, stream);
            stream.synchronize();
            assertEquals(7, back.get(63));
        }
    }
}
