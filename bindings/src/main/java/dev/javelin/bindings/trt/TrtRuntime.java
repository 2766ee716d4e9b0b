package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.Bytes;
import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.core.NativeLoader;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * A TensorRT runtime: deserialises engines. Engines must be closed before the runtime that made them
 * (TensorRT requires the runtime to outlive its engines).
 */
public final class TrtRuntime extends NativeHandle {
    private final TrtObject<IRuntime> runtime;

    private TrtRuntime(TrtObject<IRuntime> runtime) {
        super("TensorRT runtime");
        this.runtime = runtime;
    }

    /**
     * Creates a runtime; the caller owns it.
     *
     * @throws dev.javelin.bindings.core.NativeLibraryUnavailableException if TensorRT cannot be loaded
     */
    public static TrtRuntime create() {
        NativeLoader.require(NativeLoader.Stack.TENSORRT);
        TrtLogger logger = TensorRt.sharedLogger();
        logger.clearLastError();
        // Owned: deleted through its deleting destructor when closed.
        IRuntime r = nvinfer.createInferRuntime(logger);
        if (r == null || r.isNull()) {
            throw TrtErrors.failure("createInferRuntime");
        }
        return new TrtRuntime(new TrtObject<>(r, "TensorRT IRuntime", TrtAbi.INOCOPY_DELETING_DESTRUCTOR));
    }

    /** Deserialises a plan (the bytes {@link TrtBuilder#buildSerialized} produced); the caller owns the engine. */
    public TrtEngine deserialize(byte[] plan) {
        checkOpen();
        try (BytePointer blob = new BytePointer(plan)) {
            return deserialize(blob, plan.length);
        }
    }

    /** Deserialises a plan held in a direct buffer (its remaining bytes); the caller owns the engine. */
    public TrtEngine deserialize(ByteBuffer plan) {
        checkOpen();
        try (BytePointer blob = new BytePointer(plan)) {
            return deserialize(blob, plan.remaining());
        }
    }

    private TrtEngine deserialize(BytePointer blob, long size) {
        TensorRt.sharedLogger().clearLastError();
        // Owned by the caller; TensorRT copies what it needs, so the blob can go right after.
        ICudaEngine engine = runtime.get().deserializeCudaEngine(blob, size);
        if (engine == null || engine.isNull()) {
            throw TrtErrors.failure("IRuntime.deserializeCudaEngine(" + Bytes.format(size) + ")");
        }
        return new TrtEngine(new TrtObject<>(engine, "TensorRT ICudaEngine", TrtAbi.INOCOPY_DELETING_DESTRUCTOR));
    }

    @Override
    protected void release() {
        runtime.close();
    }
}
