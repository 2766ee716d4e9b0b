package dev.javelin.bindings.ort;

import dev.javelin.bindings.core.NativeHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.onnxruntime.OrtAllocator;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtIoBinding;
import org.bytedeco.onnxruntime.OrtRunOptions;
import org.bytedeco.onnxruntime.OrtStatus;

/**
 * Owner of an {@code OrtIoBinding}: inputs and outputs bound once to a session, so that
 * {@link #run} is a single native call that moves no data through Java. Inputs are bound to
 * {@link TensorValue}s over memory the owner keeps; outputs either to preallocated
 * {@link TensorValue}s (ONNX Runtime writes into them) or to host memory that ONNX Runtime allocates
 * on the next run ({@link #bindOutputToHost}), read with {@link #outputs()}.
 *
 * <p>This object keeps a reference to every value bound so their memory outlives the binding. One
 * thread at a time; close before the session.
 */
public final class IoBinding extends NativeHandle {
    private final InferenceSession session;
    private final OrtApi api;
    private final OrtIoBinding binding;
    private final Map<String, TensorValue> boundInputs = new HashMap<>();
    private final Map<String, TensorValue> boundOutputs = new HashMap<>();
    private final Scratch scratch = new Scratch();

    IoBinding(InferenceSession session) {
        super("ORT IoBinding on " + session.description());
        this.session = session;
        this.api = session.api();
        OrtIoBinding b = new OrtIoBinding();
        try {
            // CreateIoBinding: owned by this object, released in release().
            Ort.check(api.CreateIoBinding(session.handle(), b), "CreateIoBinding");
        } catch (RuntimeException e) {
            throw Ort.wrap("CreateIoBinding", e);
        }
        this.binding = b;
    }

    /** Binds input {@code name} to {@code value} (borrowed: it must stay open while bound). */
    public void bindInput(String name, TensorValue value) {
        checkOpen();
        String call = "BindInput(" + name + ")";
        try (BytePointer n = new BytePointer(name)) {
            Ort.check(api.BindInput(binding, n, new Scratch.ValueRef().at(value.address())), call);
        } catch (RuntimeException e) {
            throw Ort.wrap(call, e);
        }
        boundInputs.put(name, value);
    }

    /** Binds output {@code name} to preallocated {@code value} (borrowed): runs write into its memory. */
    public void bindOutput(String name, TensorValue value) {
        checkOpen();
        String call = "BindOutput(" + name + ")";
        try (BytePointer n = new BytePointer(name)) {
            Ort.check(api.BindOutput(binding, n, new Scratch.ValueRef().at(value.address())), call);
        } catch (RuntimeException e) {
            throw Ort.wrap(call, e);
        }
        boundOutputs.put(name, value);
    }

    /**
     * Binds output {@code name} to host memory ONNX Runtime allocates during the next run, for outputs
     * whose shape is not known before running. After that run the binding holds the allocated value and
     * later runs write into it again; rebind to let ONNX Runtime allocate anew (e.g. if the shape changes).
     */
    public void bindOutputToHost(String name) {
        checkOpen();
        String call = "BindOutputToDevice(" + name + ", cpu)";
        try (BytePointer n = new BytePointer(name)) {
            Ort.check(api.BindOutputToDevice(binding, n, Ort.cpuMemoryInfo()), call);
        } catch (RuntimeException e) {
            throw Ort.wrap(call, e);
        }
        boundOutputs.remove(name);
    }

    /** Unbinds every output (ClearBoundOutputs), dropping this binding's references to them. */
    public void clearOutputs() {
        checkOpen();
        api.ClearBoundOutputs().call(binding);
        boundOutputs.clear();
    }

    /**
     * Runs the session on the bound values.
     *
     * @param options run options, or {@code null} for defaults
     * @throws OrtException with ONNX Runtime's code and message if the run fails
     */
    public void run(RunConfig options) {
        checkOpen();
        OrtRunOptions ro = options == null ? null : options.handle();
        OrtStatus s;
        try {
            // RunWithBinding: writes into the bound outputs (allocating those bound to a device).
            s = api.RunWithBinding(session.handle(), ro, binding);
        } catch (RuntimeException e) {
            throw Ort.wrap("RunWithBinding(" + session.description() + ")", e);
        }
        if (s != null && !s.isNull()) {
            throw Ort.toException(s, "RunWithBinding(" + session.description() + ")");
        }
    }

    /**
     * Like {@link #run}, with ONNX Runtime's error log lines for this run sent to debug: for a caller that
     * expects a possible failure and handles it (e.g. a learned output shape that the data changed).
     */
    public void runQuietly(RunConfig options) {
        boolean before = OrtEnvironment.setQuiet(true);
        try {
            run(options);
        } finally {
            OrtEnvironment.setQuiet(before);
        }
    }

    /**
     * The values currently bound as outputs, in binding order, with their names; each is a new reference
     * the caller owns (closing it does not unbind it).
     */
    public List<Map.Entry<String, TensorValue>> outputs() {
        checkOpen();
        // GetBoundOutputNames / GetBoundOutputValues: arrays allocated with the default allocator, freed here;
        // each returned value is a new reference handed to the caller.
        OrtAllocator allocator = new OrtAllocator();
        Ort.check(api.GetAllocatorWithDefaultOptions(allocator), "GetAllocatorWithDefaultOptions");
        List<String> names = new ArrayList<>();
        BytePointer buffer = new BytePointer();
        SizeTPointer lengths = new SizeTPointer();
        try (SizeTPointer count = new SizeTPointer(1L)) {
            Ort.check(api.GetBoundOutputNames(binding, allocator, buffer, lengths, count), "GetBoundOutputNames");
            long n = count.get();
            if (n > 0) {
                try {
                    LongPointer lens = new LongPointer(lengths);
                    long offset = 0;
                    for (int i = 0; i < n; i++) {
                        long len = lens.get(i);
                        byte[] b = new byte[(int) len];
                        buffer.position(offset).get(b);
                        names.add(new String(b, java.nio.charset.StandardCharsets.UTF_8));
                        offset += len;
                    }
                } finally {
                    buffer.position(0);
                    Ort.check(api.AllocatorFree(allocator, buffer), "AllocatorFree");
                    Ort.check(api.AllocatorFree(allocator, lengths), "AllocatorFree");
                }
            }
            if (n == 0) {
                return List.of();
            }
            PointerPointer<?> values = new PointerPointer<>();
            SizeTPointer valueCount = new SizeTPointer(1L);
            try {
                Ort.check(api.GetBoundOutputValues(binding, allocator, values, valueCount), "GetBoundOutputValues");
            } catch (RuntimeException e) {
                valueCount.close();
                throw e;
            }
            List<Map.Entry<String, TensorValue>> out = new ArrayList<>();
            try {
                LongPointer addrs = new LongPointer(values);
                long m = valueCount.get();
                for (int i = 0; i < m; i++) {
                    long addr = addrs.get(i);
                    String name = i < names.size() ? names.get(i) : "output " + i;
                    out.add(Map.entry(name, TensorValue.adopt(api, addr, scratch, name)));
                }
            } catch (RuntimeException e) {
                for (Map.Entry<String, TensorValue> v : out) {
                    v.getValue().close();
                }
                throw e;
            } finally {
                valueCount.close();
                Ort.check(api.AllocatorFree(allocator, values), "AllocatorFree");
            }
            return out;
        }
    }

    @Override
    protected void release() {
        // ReleaseIoBinding: frees the binding and its references to bound values; the values stay with their owners.
        api.ReleaseIoBinding(binding);
        boundInputs.clear();
        boundOutputs.clear();
        scratch.close();
    }
}
