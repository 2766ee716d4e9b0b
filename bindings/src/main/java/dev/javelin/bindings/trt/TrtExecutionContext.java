package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.cuda.CudaStream;
import java.util.Arrays;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;

/**
 * A TensorRT execution context: input shapes, tensor addresses and {@code enqueueV3}. One thread at a
 * time; open one per concurrent caller.
 */
public final class TrtExecutionContext extends NativeHandle {
    private final TrtObject<IExecutionContext> context;
    private final Dims64 dims = new Dims64(); // reused: owned by this context, freed by JavaCPP
    private long streamHandle;
    private CUstream_st stream;

    TrtExecutionContext(TrtObject<IExecutionContext> context) {
        super("TensorRT execution context");
        this.context = context;
    }

    /** Sets the shape of a dynamic input for the next enqueue. */
    public void setInputShape(String name, long[] shape) {
        checkOpen();
        if (shape.length > Dims64.MAX_DIMS) {
            throw new IllegalArgumentException("input " + name + " has rank " + shape.length + "; TensorRT allows "
                    + Dims64.MAX_DIMS);
        }
        dims.nbDims(shape.length);
        for (int i = 0; i < shape.length; i++) {
            dims.d(i, shape[i]);
        }
        TensorRt.sharedLogger().clearLastError();
        if (!context.get().setInputShape(name, dims)) {
            throw TrtErrors.failure("IExecutionContext.setInputShape(" + name + ", " + Arrays.toString(shape) + ")");
        }
    }

    /** The shape of a tensor given the input shapes set so far (-1 where still unknown). */
    public long[] tensorShape(String name) {
        checkOpen();
        return TrtEngine.dims(context.get().getTensorShape(name));
    }

    /**
     * Scratch memory this context needs for the input shapes set so far (TensorRT 10: can be far below the
     * engine's worst case when the shapes are small). Only for contexts created without scratch.
     */
    public long scratchBytesForShapes() {
        checkOpen();
        TensorRt.sharedLogger().clearLastError();
        long bytes = context.get().updateDeviceMemorySizeForShapes();
        if (bytes < 0) {
            throw TrtErrors.failure("IExecutionContext.updateDeviceMemorySizeForShapes");
        }
        return bytes;
    }

    /**
     * Gives a context created without scratch its scratch memory: {@code bytes} at device address {@code address}
     * (borrowed; it must stay allocated, and no other running context may use it, until this context is closed
     * or given other memory). TensorRT requires 256-byte alignment.
     */
    public void setDeviceMemory(long address, long bytes) {
        checkOpen();
        if (address % 256 != 0) {
            throw new IllegalArgumentException("TensorRT scratch memory must be 256-byte aligned, address " + address + " is not");
        }
        TensorRt.sharedLogger().clearLastError();
        context.get().setDeviceMemoryV2(new RawPointer(address), bytes);
        TrtErrors.throwIfLogged("IExecutionContext.setDeviceMemoryV2(" + bytes + " bytes)");
    }

    /** Binds tensor {@code name} to device address {@code address} (borrowed; must live until the work is done). */
    public void setTensorAddress(String name, long address) {
        checkOpen();
        TensorRt.sharedLogger().clearLastError();
        if (!context.get().setTensorAddress(name, new RawPointer(address))) {
            throw TrtErrors.failure("IExecutionContext.setTensorAddress(" + name + ")");
        }
    }

    /** Queues inference on {@code stream} with the bound shapes and addresses. */
    public void enqueueV3(CudaStream stream) {
        enqueueV3(stream.handle(), stream.id());
    }

    /** Queues inference on the raw stream {@code handle}; {@code id} names it in errors. */
    public void enqueueV3(long handle, int id) {
        checkOpen();
        if (stream == null || streamHandle != handle) {
            stream = new CUstream_st(new RawPointer(handle));
            streamHandle = handle;
        }
        TensorRt.sharedLogger().clearLastError();
        if (!context.get().enqueueV3(stream)) {
            throw TrtErrors.failure("IExecutionContext.enqueueV3(stream " + id + ")");
        }
    }

    @Override
    protected void release() {
        context.close();
        dims.close();
    }
}
