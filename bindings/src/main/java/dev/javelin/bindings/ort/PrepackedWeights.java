package dev.javelin.bindings.ort;

import dev.javelin.bindings.core.NativeHandle;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtPrepackedWeightsContainer;

/**
 * Owner of an {@code OrtPrepackedWeightsContainer}: sessions of the same model created with one container
 * (see {@link InferenceSession#open(java.nio.file.Path, SessionConfig, PrepackedWeights)}) keep one copy
 * of the weights their kernels pre-pack (MLAS GEMM/conv packing, the largest per-session weight copies on
 * the CPU provider) instead of one copy each.
 *
 * <p>Close it only after every session created with it is closed: ONNX Runtime keeps pointers into it.
 */
public final class PrepackedWeights extends NativeHandle {
    private final OrtApi api;
    private final OrtPrepackedWeightsContainer container;

    private PrepackedWeights(OrtApi api, OrtPrepackedWeightsContainer container) {
        super("ORT prepacked weights container");
        this.api = api;
        this.container = container;
    }

    /** Creates an empty container; the caller owns it. */
    public static PrepackedWeights create() {
        OrtApi api = Ort.api();
        OrtPrepackedWeightsContainer c = new OrtPrepackedWeightsContainer();
        // CreatePrepackedWeightsContainer: owned by the result, released in release().
        Ort.check(api.CreatePrepackedWeightsContainer(c), "CreatePrepackedWeightsContainer");
        return new PrepackedWeights(api, c);
    }

    OrtPrepackedWeightsContainer handle() {
        checkOpen();
        return container;
    }

    @Override
    protected void release() {
        // ReleasePrepackedWeightsContainer: frees the container and the packed buffers it holds.
        api.ReleasePrepackedWeightsContainer(container);
    }
}
