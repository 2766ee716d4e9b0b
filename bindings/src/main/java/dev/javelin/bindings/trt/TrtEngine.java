package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.NativeHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;

/**
 * A deserialised TensorRT engine. Execution contexts must be closed before their engine, and the engine
 * before its {@link TrtRuntime}.
 */
public final class TrtEngine extends NativeHandle {
    private final TrtObject<ICudaEngine> engine;
    private final List<TrtTensorInfo> io;

    TrtEngine(TrtObject<ICudaEngine> engine) {
        super("TensorRT engine");
        this.engine = engine;
        this.io = Collections.unmodifiableList(readIo(engine.get()));
    }

    private static List<TrtTensorInfo> readIo(ICudaEngine e) {
        List<TrtTensorInfo> out = new ArrayList<>();
        int n = e.getNbIOTensors();
        for (int i = 0; i < n; i++) {
            String name = e.getIOTensorName(i);
            boolean input = e.getTensorIOMode(name).value == nvinfer.TensorIOMode.kINPUT.value;
            TrtDataType dtype = TrtDataType.fromValue(e.getTensorDataType(name).value);
            long[] dims = dims(e.getTensorShape(name));
            boolean host = e.getTensorLocation(name).value == nvinfer.TensorLocation.kHOST.value;
            out.add(new TrtTensorInfo(name, input, dtype, dims, Collections.nCopies(dims.length, null), host));
        }
        return out;
    }

    static long[] dims(Dims64 d) {
        int n = d.nbDims();
        if (n < 0) {
            return new long[0];
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = d.d(i);
        }
        return out;
    }

    /** Inputs and outputs in engine order; shapes have -1 where the dimension is dynamic. */
    public List<TrtTensorInfo> ioTensors() {
        checkOpen();
        return io;
    }

    /** Creates an execution context with its own scratch memory; the caller owns it. */
    public TrtExecutionContext createExecutionContext() {
        checkOpen();
        TensorRt.sharedLogger().clearLastError();
        // Owned by the caller; deleted before the engine.
        IExecutionContext ctx = engine.get().createExecutionContext();
        if (ctx == null || ctx.isNull()) {
            throw TrtErrors.failure("ICudaEngine.createExecutionContext");
        }
        return new TrtExecutionContext(new TrtObject<>(ctx, "TensorRT IExecutionContext",
                TrtAbi.INOCOPY_DELETING_DESTRUCTOR));
    }

    /**
     * Creates an execution context without scratch memory ({@code kUSER_MANAGED}): the caller gives it some with
     * {@link TrtExecutionContext#setDeviceMemory} before the first enqueue, which lets many contexts' scratch
     * come from one allocation sized to what their shapes need. The caller owns the context.
     */
    public TrtExecutionContext createExecutionContextWithoutScratch() {
        checkOpen();
        TensorRt.sharedLogger().clearLastError();
        // Owned by the caller; deleted before the engine. Its scratch memory stays the caller's.
        IExecutionContext ctx = engine.get().createExecutionContext(nvinfer.ExecutionContextAllocationStrategy.kUSER_MANAGED);
        if (ctx == null || ctx.isNull()) {
            throw TrtErrors.failure("ICudaEngine.createExecutionContext(kUSER_MANAGED)");
        }
        return new TrtExecutionContext(new TrtObject<>(ctx, "TensorRT IExecutionContext (user-managed scratch)",
                TrtAbi.INOCOPY_DELETING_DESTRUCTOR));
    }

    /** Scratch memory a context needs for any shapes of {@code profile}, in bytes. */
    public long deviceMemorySizeForProfile(int profile) {
        checkOpen();
        return engine.get().getDeviceMemorySizeForProfileV2(profile);
    }

    /** Number of optimisation profiles the engine was built with. */
    public int optimizationProfiles() {
        checkOpen();
        return engine.get().getNbOptimizationProfiles();
    }

    /** The {min, opt, max} shapes of input {@code name} in {@code profile}. */
    public long[][] profileShape(String name, int profile) {
        checkOpen();
        ICudaEngine e = engine.get();
        return new long[][] {
            dims(e.getProfileShape(name, profile, nvinfer.OptProfileSelector.kMIN)),
            dims(e.getProfileShape(name, profile, nvinfer.OptProfileSelector.kOPT)),
            dims(e.getProfileShape(name, profile, nvinfer.OptProfileSelector.kMAX))};
    }

    /** Scratch memory one execution context needs over all profiles, in bytes. */
    public long deviceMemorySize() {
        checkOpen();
        return engine.get().getDeviceMemorySizeV2();
    }

    /** The engine as a plan, for caching; copies the bytes out of TensorRT's buffer, which is then deleted. */
    public byte[] serialize() {
        checkOpen();
        TensorRt.sharedLogger().clearLastError();
        IHostMemory mem = engine.get().serialize();
        if (mem == null || mem.isNull()) {
            throw TrtErrors.failure("ICudaEngine.serialize");
        }
        try (TrtObject<IHostMemory> owned = new TrtObject<>(mem, "TensorRT IHostMemory", TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
            return copy(owned.get());
        }
    }

    static byte[] copy(IHostMemory mem) {
        long size = mem.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("TensorRT produced a " + size + "-byte plan; Javelin handles plans up to 2 GiB");
        }
        byte[] out = new byte[(int) size];
        new BytePointer(mem.data()).capacity(size).get(out);
        return out;
    }

    @Override
    protected void release() {
        engine.close();
    }
}
