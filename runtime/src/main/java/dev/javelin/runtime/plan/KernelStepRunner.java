package dev.javelin.runtime.plan;

import dev.javelin.kernels.AffineGridKernel;
import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.DftKernel;
import dev.javelin.kernels.DynamicQuantizeLinearKernel;
import dev.javelin.kernels.KernelOp;
import dev.javelin.kernels.LaunchPlan;
import dev.javelin.kernels.MatMulIntegerKernel;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.UniqueKernel;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Function;

/**
 * Runs one kernel step of a plan: maps the ONNX node's inputs, attributes and outputs onto its Javelin kernel's
 * launcher, asks the executor for output memory once the output shapes are known, and queues the launches. The same
 * code serves the GPU (launches on the plan's stream) and the CPU emulation (launches on the host build), so the
 * emulation checks exactly the launches the GPU would get.
 *
 * <p>Host round trips, only where a shape needs a value: Unique reads its unique count (8 bytes) between its count
 * and fill passes; DFT's {@code dft_length}/{@code axis} and AffineGrid's {@code size} are read when they are not
 * constants folded into the plan.
 */
public final class KernelStepRunner {
    /** Where launches run and how a few bytes of device memory reach the host. */
    public interface Device {
        /** Queues (GPU) or runs (host build) the launches in order. */
        void launch(LaunchPlan plan);

        /** Copies {@code bytes} bytes at device address {@code address} to the host, after the work queued so far. */
        byte[] read(long address, int bytes);
    }

    /** Memory the executor gives a step. */
    public interface Memory {
        /** Memory for output {@code name} of this type and shape (an arena slot, or the caller's output buffer). */
        DeviceTensor output(String name, ScalarType type, long[] shape);

        /** The step's workspace of at least {@code bytes} bytes. */
        DeviceTensor workspace(String name, long bytes);
    }

    private KernelStepRunner() {
    }

    /** The kernels' element type for a runtime type. */
    public static ScalarType scalarType(DType t, String tensor) {
        return switch (t) {
            case FLOAT32 -> ScalarType.FLOAT;
            case FLOAT16 -> ScalarType.FLOAT16;
            case INT8 -> ScalarType.INT8;
            case UINT8 -> ScalarType.UINT8;
            case INT32 -> ScalarType.INT32;
            case INT64 -> ScalarType.INT64;
            case BOOL -> throw new ModelException("tensor '" + tensor + "' is bool, which no Javelin kernel takes");
        };
    }

    /** The runtime type for a kernel element type (the inverse of {@link #scalarType}). */
    public static DType dtype(ScalarType t, String tensor) {
        return switch (t) {
            case FLOAT -> DType.FLOAT32;
            case FLOAT16 -> DType.FLOAT16;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case DOUBLE -> throw new ModelException("tensor '" + tensor + "' is double, which Javelin tensors do not carry");
        };
    }

    /**
     * Runs {@code step}.
     *
     * @param inputs the step's input tensors by name (only names the step lists)
     * @throws ModelException naming the step if its kernel is unknown
     */
    public static void run(KernelNode step, Function<String, DeviceTensor> inputs, Memory memory, Device device) {
        KernelOp op = KernelOp.byId(step.kernel()).orElseThrow(() -> new ModelException("plan step '" + step.id()
                + "' names kernel '" + step.kernel() + "', which this Javelin does not have"));
        switch (op) {
            case DYNAMIC_QUANTIZE_LINEAR -> dynamicQuantizeLinear(step, inputs, memory, device);
            case MATMUL_INTEGER -> matMulInteger(step, inputs, memory, device);
            case DFT -> dft(step, inputs, memory, device);
            case AFFINE_GRID -> affineGrid(step, inputs, memory, device);
            case UNIQUE -> unique(step, inputs, memory, device);
        }
    }

    private static DeviceTensor input(KernelNode step, int i, Function<String, DeviceTensor> inputs) {
        String name = step.input(i);
        return name == null ? null : inputs.apply(name);
    }

    private static DeviceTensor required(KernelNode step, int i, Function<String, DeviceTensor> inputs) {
        DeviceTensor t = input(step, i, inputs);
        if (t == null) {
            throw new ModelException("plan step '" + step.id() + "' (" + step.op() + " '" + step.node() + "') has no input " + i);
        }
        return t;
    }

    private static DeviceTensor output(KernelNode step, int i, Memory memory, ScalarType type, long... shape) {
        String name = step.output(i);
        return name == null ? null : memory.output(name, type, shape);
    }

    private static DeviceTensor workspace(KernelNode step, Memory memory, long bytes) {
        return memory.workspace(step.workspaceName(), bytes);
    }

    private static void dynamicQuantizeLinear(KernelNode step, Function<String, DeviceTensor> inputs, Memory memory, Device device) {
        DeviceTensor x = required(step, 0, inputs);
        DeviceTensor y = output(step, 0, memory, ScalarType.UINT8, x.shape());
        DeviceTensor scale = output(step, 1, memory, ScalarType.FLOAT);
        DeviceTensor zeroPoint = output(step, 2, memory, ScalarType.UINT8);
        if (y == null || scale == null || zeroPoint == null) {
            throw new ModelException("plan step '" + step.id() + "': DynamicQuantizeLinear '" + step.node()
                    + "' must name all three outputs (y, y_scale, y_zero_point)");
        }
        DeviceTensor ws = workspace(step, memory, DynamicQuantizeLinearKernel.workspaceBytes(x.elements()));
        device.launch(DynamicQuantizeLinearKernel.plan(x, y, scale, zeroPoint, ws));
    }

    private static void matMulInteger(KernelNode step, Function<String, DeviceTensor> inputs, Memory memory, Device device) {
        DeviceTensor a = required(step, 0, inputs);
        DeviceTensor b = required(step, 1, inputs);
        DeviceTensor y = output(step, 0, memory, ScalarType.INT32, MatMulIntegerKernel.outputShape(a.shape(), b.shape()));
        device.launch(MatMulIntegerKernel.plan(a, b, input(step, 2, inputs), input(step, 3, inputs), y));
    }

    private static void dft(KernelNode step, Function<String, DeviceTensor> inputs, Memory memory, Device device) {
        DeviceTensor x = required(step, 0, inputs);
        long length = step.attribute("dft_length", 0);
        DeviceTensor lengthInput = input(step, 1, inputs);
        if (lengthInput != null) {
            length = scalar(lengthInput, device, step);
        }
        long axis = step.attribute("axis", step.opset() >= 20 ? -2 : 1);
        DeviceTensor axisInput = step.opset() >= 20 ? input(step, 2, inputs) : null;
        if (axisInput != null) {
            axis = scalar(axisInput, device, step);
        }
        DftKernel.Attributes attrs = new DftKernel.Attributes(axis, step.attribute("inverse", 0) != 0,
                step.attribute("onesided", 0) != 0, length);
        DeviceTensor y = output(step, 0, memory, x.type(), DftKernel.outputShape(x.shape(), attrs));
        device.launch(DftKernel.plan(x, y, attrs));
    }

    private static void affineGrid(KernelNode step, Function<String, DeviceTensor> inputs, Memory memory, Device device) {
        DeviceTensor theta = required(step, 0, inputs);
        long[] size;
        DeviceTensor sizeInput = input(step, 1, inputs);
        if (sizeInput != null) {
            size = longs(sizeInput, device, step);
        } else if (step.listAttributes().containsKey("size")) {
            size = step.listAttributes().get("size").stream().mapToLong(Long::longValue).toArray();
        } else {
            throw new ModelException("plan step '" + step.id() + "': AffineGrid '" + step.node() + "' has neither a 'size' input "
                    + "nor a folded 'size' attribute");
        }
        DeviceTensor grid = output(step, 0, memory, theta.type(), AffineGridKernel.outputShape(size));
        device.launch(AffineGridKernel.plan(theta, size, step.attribute("align_corners", 0) != 0, grid));
    }

    private static void unique(KernelNode step, Function<String, DeviceTensor> inputs, Memory memory, Device device) {
        DeviceTensor x = required(step, 0, inputs);
        long n = x.elements();
        DeviceTensor ws = workspace(step, memory, UniqueKernel.workspaceBytes(n));
        device.launch(UniqueKernel.countPlan(x, ws));
        // The one host round trip: the outputs' shape is the unique count.
        long u = n == 0 ? 0 : ByteBuffer.wrap(device.read(ws.address() + UniqueKernel.countOffset(n), 8))
                .order(ByteOrder.LITTLE_ENDIAN).getLong();
        DeviceTensor y = output(step, 0, memory, x.type(), u);
        DeviceTensor indices = output(step, 1, memory, ScalarType.INT64, u);
        DeviceTensor inverse = output(step, 2, memory, ScalarType.INT64, n);
        DeviceTensor counts = output(step, 3, memory, ScalarType.INT64, u);
        device.launch(UniqueKernel.fillPlan(x, ws, u, step.attribute("sorted", 1) != 0, y, indices, inverse, counts));
    }

    private static long scalar(DeviceTensor t, Device device, KernelNode step) {
        long[] v = longs(t, device, step);
        if (v.length != 1) {
            throw new ModelException("plan step '" + step.id() + "': input '" + t.name() + "' of " + step.op() + " '"
                    + step.node() + "' must hold one value, has " + v.length);
        }
        return v[0];
    }

    /** Reads a small int32/int64 tensor that decides an output shape (the host round trip the shape requires). */
    private static long[] longs(DeviceTensor t, Device device, KernelNode step) {
        if (t.type() != ScalarType.INT64 && t.type() != ScalarType.INT32) {
            throw new ModelException("plan step '" + step.id() + "': input '" + t.name() + "' of " + step.op() + " must be "
                    + "int64 or int32, is " + t.type().onnxName());
        }
        int n = Math.toIntExact(t.elements());
        if (n > 16) {
            throw new ModelException("plan step '" + step.id() + "': input '" + t.name() + "' has " + n + " values; expected a "
                    + "scalar or a short shape vector");
        }
        long[] out = new long[n];
        if (n == 0) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(device.read(t.address(), Math.toIntExact(t.bytes()))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            out[i] = t.type() == ScalarType.INT64 ? b.getLong() : b.getInt();
        }
        return out;
    }
}
