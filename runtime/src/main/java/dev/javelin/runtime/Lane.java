package dev.javelin.runtime;

/**
 * A preallocated, bound execution slot of a session: input and output tensors are allocated once
 * for fixed input shapes and bound to the backend, so {@link #run()} moves no data through Java and
 * allocates nothing. This is the fastest way to call a model repeatedly with the same shapes; the
 * executor and streaming sessions are built on it.
 *
 * <p>One lane serves one thread at a time; open one lane per thread. Tensors returned by
 * {@link #input} and {@link #output} are owned by the lane and valid until it is closed.
 */
public interface Lane extends AutoCloseable {
    /** The bound input tensor named {@code name}; write the request's data into it before {@link #run()}. */
    Tensor input(String name);

    /** The bound output tensor named {@code name}; holds the result of the last {@link #run()}. */
    Tensor output(String name);

    /**
     * Rebinds input or output {@code name} to the caller's tensor, so runs read or write that memory directly
     * (streaming sessions ping-pong state buffers between two lanes this way, with no copy). The tensor must
     * have the input's shape (or, for an output, the shape the run will produce) and stay open while the lane
     * is used; the lane never frees it. After this, {@link #input}/{@link #output} return a view of it.
     *
     * @throws UnsupportedOperationException if this backend's lanes cannot bind caller memory
     */
    default void bind(String name, Tensor tensor) {
        throw new UnsupportedOperationException("lanes of this backend cannot bind caller memory");
    }

    /** Runs the model on the bound inputs, writing the bound outputs. */
    void run();

    /** A part of a run that device backends time separately. */
    enum Stage {
        /** Copying the bound inputs from host to device memory. */
        HOST_TO_DEVICE,
        /** The model's own work on the device. */
        COMPUTE,
        /** Copying the bound outputs from device to host memory. */
        DEVICE_TO_HOST
    }

    /**
     * How long {@code stage} took in the last {@link #run()}, measured on the device (CUDA events), or -1 when
     * this backend does not time stages (host backends: there is no copy, and compute is the whole run).
     * Device backends read their timers only when asked (once per run), so a run that nobody times pays nothing.
     */
    default long lastStageNanos(Stage stage) {
        return -1;
    }

    /** Releases the lane's bindings and buffers. */
    @Override
    void close();
}
