/**
 * Legalization: making a model buildable by TensorRT before the build. {@link dev.javelin.builder.legalize.Legalizer}
 * decides for every node TensorRT's op table rejects whether it is folded (constant inputs), rewritten into standard
 * ops ({@code com.microsoft} contrib ops, integer-arithmetic quantization), left for a Javelin CUDA kernel, or
 * unsupported, and records each decision, with its tolerance when not exact, in a
 * {@link dev.javelin.builder.legalize.LegalizationReport} (a Jackson-serializable record for the engine bundle's
 * manifest). {@link dev.javelin.builder.legalize.Prefer} chooses between a rewrite and a kernel for ops that have both.
 */
package dev.javelin.builder.legalize;
