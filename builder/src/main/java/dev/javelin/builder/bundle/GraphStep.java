package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.OnnxModel;

/**
 * One ONNX-to-ONNX step of {@code javelin build} (legalization, precision, checks). Steps are plain functions
 * of the model, so each one can be checked by running its input and output on ONNX Runtime. A step that only
 * inspects returns the model it was given.
 */
public interface GraphStep {
    /** Short name for reports and the manifest, e.g. {@code fp16} or {@code dim-names}. */
    String name();

    /**
     * Applies the step.
     *
     * @throws dev.javelin.runtime.ModelException naming the node or tensor when the model cannot be processed
     */
    StepOutcome apply(OnnxModel model);
}
