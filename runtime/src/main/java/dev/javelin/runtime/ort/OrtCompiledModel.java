package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.Ort;
import dev.javelin.bindings.ort.OrtException;
import dev.javelin.bindings.ort.SessionRunner;
import dev.javelin.bindings.ort.TensorValue;
import dev.javelin.bindings.ort.ValueInfo;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.spi.CompiledModel;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model loaded in one or more ONNX Runtime sessions ({@link ModelInstances}). {@link #run} is
 * thread-safe: concurrent calls run concurrently, each with a pooled {@link SessionRunner}, spread over
 * the instances so that they do not contend inside one ONNX Runtime session; input tensors are passed
 * to ONNX Runtime without copies and the outputs ONNX Runtime allocates become the result's tensors,
 * also without copies (closing the result releases them).
 */
final class OrtCompiledModel implements CompiledModel {
    private final Path model;
    private final ModelInstances instances;
    private final ModelSignature signature;
    private final String description;
    private final String[] inputNames;
    private final String[] outputNames;
    private final DType[] outputTypes;
    private final RunnerPool runners;
    private final Set<OrtLane> lanes = ConcurrentHashMap.newKeySet();

    private OrtCompiledModel(Path model, ModelInstances instances, ModelSignature signature, String description) {
        this.model = model;
        this.instances = instances;
        this.signature = signature;
        this.description = description;
        this.inputNames = signature.inputNames().toArray(String[]::new);
        this.outputNames = signature.outputNames().toArray(String[]::new);
        this.outputTypes = signature.outputs().stream().map(TensorInfo::dtype).toArray(DType[]::new);
        this.runners = new RunnerPool(instances, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                inputNames.length, outputNames.length);
    }

    /** A model held in exactly one session; takes ownership of {@code session}, closes it if the model cannot be described. */
    static OrtCompiledModel create(Path model, InferenceSession session, String description) {
        return create(model, new ModelInstances(model, session, null, null, 1), description);
    }

    /** Takes ownership of {@code instances}; closes them if the model cannot be described. */
    static OrtCompiledModel create(Path model, ModelInstances instances, String description) {
        try {
            InferenceSession session = instances.first();
            ModelSignature sig = new ModelSignature(describe(model, session.inputs(), "input"),
                    describe(model, session.outputs(), "output"));
            return new OrtCompiledModel(model, instances, sig, description);
        } catch (RuntimeException e) {
            instances.close();
            throw e;
        }
    }

    private static List<TensorInfo> describe(Path model, List<ValueInfo> values, String kind) {
        List<TensorInfo> out = new ArrayList<>();
        for (ValueInfo v : values) {
            if (!v.isTensor()) {
                throw new ModelException("model " + model + ": " + kind + " '" + v.name() + "' is not a tensor (ONNX value kind "
                        + v.onnxType() + "); Javelin runs models whose inputs and outputs are tensors");
            }
            DType dtype;
            try {
                dtype = DType.fromOnnx(v.elementType());
            } catch (IllegalArgumentException e) {
                throw new ModelException("model " + model + ": " + kind + " '" + v.name() + "' has element type "
                        + Ort.elementTypeName(v.elementType())
                        + "; Javelin carries float32, float16, int8, uint8, int32, int64 and bool", e);
            }
            long[] dims = v.dims();
            List<TensorInfo.Dim> ds = new ArrayList<>();
            for (int i = 0; i < dims.length; i++) {
                String p = v.dimParams().get(i);
                ds.add(dims[i] >= 0 ? TensorInfo.Dim.fixed(dims[i]) : new TensorInfo.Dim(-1, p.isEmpty() ? null : p));
            }
            out.add(new TensorInfo(v.name(), dtype, ds));
        }
        return out;
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String description() {
        return description;
    }

    Path model() {
        return model;
    }

    /** The first instance. */
    InferenceSession session() {
        return instances.first();
    }

    /** How many ONNX Runtime sessions hold the model now (instances are created as concurrency needs them). */
    int instanceCount() {
        return instances.count();
    }

    ModelInstances instances() {
        return instances;
    }

    @Override
    public Result run(Map<String, Tensor> inputs) {
        RunnerPool.Pooled pooled = runners.acquire();
        SessionRunner r = pooled.runner;
        try {
            for (int i = 0; i < inputNames.length; i++) {
                Tensor t = inputs.get(inputNames[i]);
                if (t == null) {
                    throw new InvalidInputException(inputNames[i], "missing input '" + inputNames[i] + "'");
                }
                // Borrowed: the map (so each tensor and its buffer) stays reachable until the fence below.
                r.setBorrowedInput(i, t.unsafeBuffer(), t.dtype().onnxType(), pooled.inputDims(i, t.shape()));
            }
            r.run(null);
            Tensor[] out = new Tensor[outputNames.length];
            try {
                for (int j = 0; j < outputNames.length; j++) {
                    TensorValue v = r.takeOutput(j);
                    out[j] = adopt(v, outputTypes[j], outputNames[j], pooled, j);
                }
            } catch (RuntimeException e) {
                for (Tensor t : out) {
                    if (t != null) {
                        t.close();
                    }
                }
                throw e;
            }
            return Result.of(outputNames, out);
        } catch (OrtException e) {
            throw new NativeFailureException("ONNX Runtime failed to run " + model.getFileName() + ": " + e.getMessage(), e);
        } finally {
            r.clear();
            runners.release(pooled);
            Reference.reachabilityFence(inputs);
        }
    }

    /** As {@link #adopt(TensorValue, DType, String)}, with the shape object cached by the runner and no extra buffer view. */
    private static Tensor adopt(TensorValue v, DType expected, String name, RunnerPool.Pooled pooled, int j) {
        try {
            if (v.elementType() != expected.onnxType()) {
                throw new NativeFailureException("output '" + name + "' came back as "
                        + Ort.elementTypeName(v.elementType()) + " but the model declares " + expected);
            }
            // data(): the value's own buffer object, made for this output alone (position 0, capacity = size).
            return Tensor.adoptExclusive(v.data(), expected, pooled.outputShape(j, v), v);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    /** Wraps an ORT-owned output as a tensor that releases it on close. */
    static Tensor adopt(TensorValue v, DType expected, String name) {
        try {
            DType actual = DType.fromOnnx(v.elementType());
            if (actual != expected) {
                throw new NativeFailureException("output '" + name + "' came back as " + actual + " but the model declares "
                        + expected);
            }
            return Tensor.adopt(v.data(), actual, Shape.of(v.shape()), v);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    @Override
    public Lane newLane(Map<String, Shape> inputShapes) {
        OrtLane lane = new OrtLane(this, inputShapes, instances.reserveLane());
        lanes.add(lane);
        return lane;
    }

    /** On the instance of {@code sibling} (see {@link CompiledModel#newLaneBeside}). */
    @Override
    public Lane newLaneBeside(Lane sibling, Map<String, Shape> inputShapes) {
        if (!(sibling instanceof OrtLane o) || !lanes.contains(o)) {
            return newLane(inputShapes);
        }
        OrtLane lane = new OrtLane(this, inputShapes, instances.reserveLaneOn(o.instance));
        lanes.add(lane);
        return lane;
    }

    void laneClosed(OrtLane lane) {
        lanes.remove(lane);
        instances.laneClosed(lane.instance);
    }

    /** Closes lanes still open (their bindings must go before the sessions), idle runners, then the instances. */
    @Override
    public void close() {
        for (OrtLane lane : List.copyOf(lanes)) {
            lane.close();
        }
        runners.close();
        instances.close();
    }

    @Override
    public String toString() {
        return description + " [" + model.getFileName() + "]";
    }
}
