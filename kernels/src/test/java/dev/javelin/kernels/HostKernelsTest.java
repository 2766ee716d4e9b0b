package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.HostBuffer;
import dev.javelin.bindings.core.NativeMemory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The host build shipped by the main build (a class-path resource, not the tests' own build): it loads, holds every
 * kernel entry and none of the test-only ones, and runs a launch plan with host memory as "device" memory.
 */
class HostKernelsTest {
    @Test
    void theShippedHostBuildHoldsEveryKernelAndNoTestKernel() {
        HostKernels h = HostKernels.get();
        assertTrue(h.origin().contains("dev/javelin/kernels/host/"), h.origin());
        for (KernelEntry e : KernelEntry.values()) {
            assertTrue(h.has(e.symbol()), e.symbol());
        }
        assertFalse(h.has("jk_test_block_scan"), "test kernels are built only into the tests' library");
    }

    @Test
    void dynamicQuantizeLinearRunsOnTheHostWithTheLaunchPlanTheGpuWouldGet() {
        // x in [-255, 255]: scale (255 - (-255)) / 255 = 2 and zero point rint(0 - (-255) / 2) = rint(127.5) = 128, all
        // exact in float; y = sat(rint(x / 2) + 128) with rint rounding half to even.
        float[] xs = {-255f, 255f, 3f, -3f, 1f, 5f};
        int[] expected = {0, 255, 130, 126, 128, 130};
        int n = xs.length;
        try (HostBuffer x = HostBuffer.allocate(4L * n); HostBuffer y = HostBuffer.allocate(n); HostBuffer scale = HostBuffer.allocate(4);
             HostBuffer zp = HostBuffer.allocate(1); HostBuffer ws = HostBuffer.allocate(DynamicQuantizeLinearKernel.workspaceBytes(n))) {
            x.buffer().asFloatBuffer().put(xs);
            LaunchPlan plan = DynamicQuantizeLinearKernel.plan(tensor("x", x, ScalarType.FLOAT, n), tensor("y", y, ScalarType.UINT8, n),
                    tensor("scale", scale, ScalarType.FLOAT), tensor("zp", zp, ScalarType.UINT8),
                    tensor("ws", ws, ScalarType.UINT8, ws.bytes()));
            HostKernels.get().run(plan);
            assertEquals(2f, scale.buffer().getFloat(0), 0f);
            assertEquals(128, zp.buffer().get(0) & 0xFF);
            ByteBuffer out = y.buffer();
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i], out.get(i) & 0xFF, "y[" + i + "] for x = " + xs[i]);
            }
        }
    }

    private static DeviceTensor tensor(String name, HostBuffer b, ScalarType type, long... shape) {
        return new DeviceTensor(name, NativeMemory.address(b.buffer()), b.bytes(), type, shape);
    }
}
