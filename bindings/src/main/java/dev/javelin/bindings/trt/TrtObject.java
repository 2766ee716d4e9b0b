package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.NativeHandle;
import org.bytedeco.javacpp.Pointer;

/**
 * Owner of one object a TensorRT {@code create*}/{@code build*}/{@code deserialize*} call returned;
 * {@link #close()} deletes it through its deleting destructor ({@link CppObjects}).
 */
final class TrtObject<T extends Pointer> extends NativeHandle {
    private final T object;
    private final int deletingDestructorSlot;

    TrtObject(T object, String description, int deletingDestructorSlot) {
        super(description);
        this.object = object;
        this.deletingDestructorSlot = deletingDestructorSlot;
    }

    /** The wrapped object; borrowed, valid until this owner is closed. */
    T get() {
        checkOpen();
        return object;
    }

    @Override
    protected void release() {
        CppObjects.delete(object, deletingDestructorSlot);
    }
}
