package dev.javelin.bindings.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of every owner of a native handle: one owner, one idempotent {@link #close()}, and use after
 * close throws {@link IllegalStateException} naming the object.
 *
 * <p>With {@code -Djavelin.trackNative=true} each live handle records the stack that created it, so
 * tests (and users chasing a leak) can list what was never closed with {@link #liveHandles()}.
 */
public abstract class NativeHandle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHandle.class);
    private static final boolean TRACK = Boolean.getBoolean("javelin.trackNative");
    private static final Map<NativeHandle, Throwable> LIVE = new ConcurrentHashMap<>();

    // A volatile field set by compare-and-set through a VarHandle rather than an AtomicBoolean: handles are
    // created per run for outputs, and the extra object was 16 of the bytes each run(Map) allocated.
    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(NativeHandle.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String description;
    private volatile boolean closed;

    /** @param description what this handle is, e.g. {@code "ORT session model.onnx"}; used in errors */
    protected NativeHandle(String description) {
        this.description = description;
        if (TRACK) {
            LIVE.put(this, new Throwable("created here: " + description));
        }
    }

    /** Throws if closed; call at the top of every method that touches the native handle. */
    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    /** Whether {@link #close()} has run. */
    public final boolean isClosed() {
        return closed;
    }

    /** What this handle is. */
    public final String description() {
        return description;
    }

    /** Frees the native resource exactly once; later calls do nothing. */
    @Override
    public final void close() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        if (TRACK) {
            LIVE.remove(this);
        }
        try {
            release();
        } catch (RuntimeException e) {
            // A failing release must not stop a container from closing its other children.
            LOG.warn("releasing {} failed: {}", description, e.toString());
        }
    }

    /** Frees the native resource; called once by {@link #close()}. */
    protected abstract void release();

    /**
     * Handles created and not yet closed, with their creation sites; empty unless
     * {@code -Djavelin.trackNative=true}.
     */
    public static Map<String, Throwable> liveHandles() {
        Map<String, Throwable> out = new ConcurrentHashMap<>();
        LIVE.forEach((h, site) -> out.put(h.description + "@" + System.identityHashCode(h), site));
        return out;
    }

    @Override
    public String toString() {
        return description + (isClosed() ? " (closed)" : "");
    }
}
