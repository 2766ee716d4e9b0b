/**
 * The builder's ONNX toolkit: reading, checking, describing and writing ONNX models with protobuf
 * classes generated at build time from {@code src/main/proto/onnx.proto} (package
 * {@code dev.javelin.builder.onnx.proto}, field numbers per the public ONNX specification).
 *
 * <ul>
 *   <li>{@link dev.javelin.builder.onnx.OnnxModel} - load (typed errors for missing, empty, truncated
 *       or corrupted files), external data confined to the model's folder, {@code validate()}, write
 *       (self-contained or with external data).</li>
 *   <li>{@link dev.javelin.builder.onnx.OnnxGraph} - producers, consumers, values captured by
 *       subgraphs, topological order; cycles, dangling names and double producers are errors naming
 *       the nodes.</li>
 *   <li>{@link dev.javelin.builder.onnx.ModelWalk} - every graph, node and tensor of a model
 *       (subgraphs, functions, training graphs) and tensor rewriting; the base for passes such as
 *       constant folding, FP16 conversion and subgraph extraction.</li>
 *   <li>{@link dev.javelin.builder.onnx.Tensors}, {@link dev.javelin.builder.onnx.ElementType} -
 *       sizes and dense bytes of tensors whatever field holds them.</li>
 *   <li>{@link dev.javelin.builder.onnx.TensorRtOpSupport} - ops TensorRT cannot build, why, and what
 *       the builder plans for each; {@link dev.javelin.builder.onnx.ModelSummary} - what
 *       {@code javelin inspect} prints.</li>
 *   <li>{@link dev.javelin.builder.onnx.OnnxGraphBuilder} - fluent construction of small models for
 *       tests and passes.</li>
 *   <li>Passes (ONNX in, ONNX out): {@link dev.javelin.builder.onnx.ConstantFolding},
 *       {@link dev.javelin.builder.onnx.DeadNodeRemoval}, {@link dev.javelin.builder.onnx.SubgraphExtraction},
 *       {@link dev.javelin.builder.onnx.SpecializeInputs}, {@link dev.javelin.builder.onnx.ExposeRecurrentState};
 *       {@link dev.javelin.builder.onnx.ShapeDiscovery} types every tensor from one ONNX Runtime run, and
 *       {@link dev.javelin.builder.onnx.OrtCpu} is the unoptimized ONNX Runtime CPU evaluation they share.</li>
 *   <li>{@link dev.javelin.builder.onnx.RequiredAttributes} - attributes the ONNX specification requires,
 *       checked by {@code OnnxModel.validate()}.</li>
 * </ul>
 *
 * Every model problem is a {@link dev.javelin.runtime.ModelException} whose message names the file,
 * graph, node or tensor concerned.
 */
package dev.javelin.builder.onnx;
