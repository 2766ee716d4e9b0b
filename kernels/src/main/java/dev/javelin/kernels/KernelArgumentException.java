package dev.javelin.kernels;

/**
 * A kernel launcher was given arguments the op does not accept (a dtype, a shape, an attribute); the message
 * names the op, the tensor and what was expected. Thrown before anything reaches the GPU.
 */
public class KernelArgumentException extends IllegalArgumentException {
    public KernelArgumentException(String message) {
        super(message);
    }
}
