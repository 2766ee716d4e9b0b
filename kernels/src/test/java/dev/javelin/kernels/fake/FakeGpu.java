package dev.javelin.kernels.fake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaStream;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.bindings.cuda.KernelArgs;
import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.KernelModules;
import dev.javelin.kernels.Launch;
import dev.javelin.kernels.LaunchPlan;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.NativeBuild;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The "GPU" of the fake-cuda-kernels test JVM: the bindings' fake libcuda (named by -Djavelin.cuda.driver)
 * with the host build of the kernels as its kernel provider. Plans run through the real Java path —
 * {@link KernelModules} loads the real fatbins with cuModuleLoadData, cuModuleGetFunction finds the entry,
 * {@link dev.javelin.bindings.cuda.KernelArgs} marshals the parameters, cuLaunchKernel receives them — and the
 * fake runs the kernel on the host (one thread per CUDA thread). {@link #run} also checks that the driver
 * received exactly the launches, geometry and parameter bytes the plan holds.
 */
public final class FakeGpu {
    private static NativeLibrary driver;
    private static CudaContext context;
    private static CudaStream stream;
    private static KernelModules modules;

    private FakeGpu() {
    }

    /** Builds the native pieces and opens the context, once per JVM. */
    public static synchronized void start() {
        String configured = System.getProperty(NativeLoader.CUDA_DRIVER_PATH_PROPERTY);
        Assumptions.assumeTrue(configured != null, "runs only in the fake-cuda-kernels surefire execution");
        if (driver != null) {
            return;
        }
        dev.javelin.kernels.KernelCatalogue catalogue = dev.javelin.kernels.KernelCatalogue.get();
        Assumptions.assumeTrue(catalogue.hasFatbins(), "the launch path runs the fatbins, and this build has none: " + catalogue.reason());
        Path host = NativeBuild.hostKernels();
        Path lib = NativeBuild.fakeCuda();
        assertEquals(Path.of(configured).toAbsolutePath().normalize(), lib.normalize());
        driver = NativeLibrary.getInstance(lib.toString());
        assertEquals(0, driver.getFunction("fake_set_kernel_library").invokeInt(new Object[] {host.toString()}),
                "the fake driver takes the host build as its kernel provider");
        context = CudaContext.primary(0);
        stream = CudaStream.create(context);
        modules = KernelModules.create(context);
    }

    public static NativeLibrary driver() {
        start();
        return driver;
    }

    public static CudaContext context() {
        start();
        return context;
    }

    public static CudaStream stream() {
        start();
        return stream;
    }

    public static KernelModules modules() {
        start();
        return modules;
    }

    public static int counter(String name) {
        return driver().getFunction(name).invokeInt(new Object[0]);
    }

    /** The fake's record of launch {@code i}: {@code name grid=x,y,z block=x,y,z smem=n args=...}. */
    public static String launchRecord(int i) {
        byte[] text = new byte[4096];
        Function describe = driver().getFunction("fake_launch_describe");
        int len = describe.invokeInt(new Object[] {i, text, text.length});
        return len < 0 ? null : new String(text, 0, len, StandardCharsets.US_ASCII);
    }

    /** What the fake must have recorded for {@code l}. */
    public static String expectedRecord(Launch l) {
        StringBuilder sb = new StringBuilder(l.entry().symbol()).append(" grid=").append(l.grid().x()).append(',').append(l.grid().y())
                .append(',').append(l.grid().z()).append(" block=").append(l.block().x()).append(',').append(l.block().y()).append(',')
                .append(l.block().z()).append(" smem=").append(l.sharedBytes()).append(" args=");
        KernelArgs a = l.args();
        for (int i = 0; i < a.count(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            byte[] v = a.value(i);
            if (v.length == 4 || v.length == 8) {
                long x = 0;
                for (int k = v.length - 1; k >= 0; k--) {
                    x = (x << 8) | (v[k] & 0xFF);
                }
                sb.append(Long.toUnsignedString(x));
            } else {
                sb.append("0x");
                for (byte b : v) {
                    sb.append(String.format("%02x", b & 0xFF));
                }
            }
        }
        return sb.toString();
    }

    /** Runs the plan, waits, and checks the driver received exactly its launches. */
    public static void run(LaunchPlan plan) {
        run(plan, modules());
    }

    /** As {@link #run(LaunchPlan)} with the kernels of {@code modules}. */
    public static void run(LaunchPlan plan, KernelModules modules) {
        int before = counter("fake_launch_count");
        if (before > 3000) {
            driver().getFunction("fake_launch_reset").invokeVoid(new Object[0]);
            before = 0;
        }
        plan.execute(modules, stream());
        stream().synchronize();
        int after = counter("fake_launch_count");
        assertEquals(plan.launches().size(), after - before, "launches received for " + plan.op());
        for (int i = 0; i < plan.launches().size(); i++) {
            assertEquals(expectedRecord(plan.launches().get(i)), launchRecord(before + i), "launch " + i + " of " + plan.op());
        }
    }

    /** Device memory for one test, freed on close. */
    public static final class Scope implements AutoCloseable {
        private final List<DeviceBuffer> buffers = new ArrayList<>();

        public DeviceBuffer allocate(long bytes) {
            DeviceBuffer b = DeviceBuffer.allocate(context(), Math.max(1, bytes));
            buffers.add(b);
            return b;
        }

        /** A device copy of {@code t}. */
        public DeviceTensor upload(String name, HostTensor t) {
            DeviceBuffer b = allocate(t.bytes());
            if (t.bytes() > 0) {
                b.copyFromHost(dev.javelin.bindings.core.NativeMemory.address(t.data()), 0, t.bytes(), stream());
            }
            return DeviceTensor.of(name, b, t.type(), t.shape());
        }

        /** An uninitialised (0xA5-filled, so stale zeros cannot pass for results) device tensor. */
        public DeviceTensor empty(String name, ScalarType type, long... shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            DeviceBuffer b = allocate(n * type.bytes());
            b.fill((byte) 0xA5, stream());
            return DeviceTensor.of(name, b, type, shape);
        }

        public HostTensor download(DeviceTensor t) {
            HostTensor h = HostTensor.allocate(t.type(), t.shape());
            if (t.bytes() > 0) {
                // The fake's device pointers are host pointers; a real copy still goes through the driver.
                DeviceBuffer owner = owner(t);
                owner.copyToHost(dev.javelin.bindings.core.NativeMemory.address(h.data()), t.address() - owner.address(), t.bytes(),
                        stream());
                stream().synchronize();
            }
            return h;
        }

        public DeviceBuffer owner(DeviceTensor t) {
            for (DeviceBuffer b : buffers) {
                if (t.address() >= b.address() && t.address() < b.address() + b.bytes()) {
                    return b;
                }
            }
            throw new IllegalArgumentException(t + " is not in this scope");
        }

        @Override
        public void close() {
            stream().synchronize();
            for (DeviceBuffer b : buffers) {
                b.close();
            }
        }
    }
}
