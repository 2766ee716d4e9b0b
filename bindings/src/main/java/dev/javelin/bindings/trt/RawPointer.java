package dev.javelin.bindings.trt;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP pointer to an address Javelin got elsewhere (a CUDA stream or device buffer from the JNA
 * driver binding); it owns nothing. JavaCPP's {@code address} field is protected, hence the subclass.
 */
final class RawPointer extends Pointer {
    RawPointer(long address) {
        super((Pointer) null);
        this.address = address;
    }
}
