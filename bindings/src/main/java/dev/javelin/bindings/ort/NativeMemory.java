package dev.javelin.bindings.ort;

import org.bytedeco.javacpp.Pointer;

/** Native memory figures for leak checks, read through JavaCPP so callers need no vendor import. */
public final class NativeMemory {
    private NativeMemory() {
    }

    /** Resident set size of the process as JavaCPP measures it ({@code Pointer.physicalBytes()}). */
    public static long physicalBytes() {
        return Pointer.physicalBytes();
    }

    /** Bytes currently allocated through JavaCPP pointers with deallocators ({@code Pointer.totalBytes()}). */
    public static long javacppBytes() {
        return Pointer.totalBytes();
    }
}
