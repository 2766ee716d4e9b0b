package dev.javelin.kernels;

/**
 * Javelin's kernels cannot run on this machine, and why: no fatbin was built and NVRTC is missing, the
 * driver rejected the fatbin and NVRTC could not fix it, ... The runtime turns it into a backend-unavailable
 * error naming the op.
 */
public class KernelUnavailableException extends RuntimeException {
    public KernelUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
