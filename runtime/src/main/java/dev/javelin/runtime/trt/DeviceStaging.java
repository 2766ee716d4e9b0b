package dev.javelin.runtime.trt;

import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.bindings.cuda.PinnedHostBuffer;

/**
 * A device buffer and its pinned host twin for one tensor, grown on demand ({@link TrtTypes#grownCapacity})
 * and reused across runs. Not thread-safe: it belongs to one execution slot or lane.
 */
final class DeviceStaging implements AutoCloseable {
    private final CudaContext context;
    private DeviceBuffer device;
    private PinnedHostBuffer host;

    DeviceStaging(CudaContext context) {
        this.context = context;
    }

    /** Makes room for {@code bytes}; previous contents are not kept. */
    void ensure(long bytes) {
        long have = device == null ? 0 : device.bytes();
        long want = TrtTypes.grownCapacity(have, bytes);
        if (want != have || device == null) {
            close();
            device = DeviceBuffer.allocate(context, want);
            host = PinnedHostBuffer.allocate(context, want, false);
        }
    }

    DeviceBuffer device() {
        return device;
    }

    PinnedHostBuffer host() {
        return host;
    }

    @Override
    public void close() {
        if (host != null) {
            host.close();
            host = null;
        }
        if (device != null) {
            device.close();
            device = null;
        }
    }
}
