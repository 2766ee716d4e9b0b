package dev.javelin.bindings.trt;

/**
 * Vtable positions of the deleting destructors of TensorRT interface classes, read from the TensorRT
 * headers; see {@link CppObjects} for the reasoning.
 */
final class TrtAbi {
    /**
     * Deleting destructor of every {@code INoCopy}-derived interface ({@code IRuntime}, {@code ICudaEngine},
     * {@code IExecutionContext}, {@code IHostMemory}, {@code IBuilder}, {@code IBuilderConfig},
     * {@code INetworkDefinition}, {@code ITimingCache}): entry 0 is the complete-object destructor, entry 1 the deleting one.
     */
    static final int INOCOPY_DELETING_DESTRUCTOR = 1;

    private TrtAbi() {
    }

    /**
     * Deleting destructor of {@code nvonnxparser::IParser} for a TensorRT major version, or -1 if unknown.
     * 10.x declares eight virtual functions before the destructor (D1 = 8, D0 = 9); 11.x removed
     * {@code supportsModel} and {@code parseWithWeightDescriptors} (D0 = 7).
     */
    static int parserDeletingDestructor(int tensorRtMajor) {
        return switch (tensorRtMajor) {
            case 10 -> 9;
            case 11 -> 7;
            default -> -1;
        };
    }
}
