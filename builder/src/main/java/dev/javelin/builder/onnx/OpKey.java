package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.NodeProto;

/**
 * The name an operator goes by in histograms and op tables: the bare op type for the default ONNX
 * domain ({@code Conv}), {@code domain:OpType} for any other ({@code com.microsoft:FastGelu}), so that
 * a contrib op never merges with a standard op of the same name.
 */
public final class OpKey {
    /** The default operator-set domain as written in most models. */
    public static final String DEFAULT_DOMAIN = "";
    /** The default domain's explicit name, which models may also use. */
    public static final String AI_ONNX = "ai.onnx";

    private OpKey() {
    }

    /** Whether {@code domain} names the default ONNX operator set. */
    public static boolean isDefaultDomain(String domain) {
        return domain == null || domain.isEmpty() || domain.equals(AI_ONNX);
    }

    /** The key of a node's operator. */
    public static String of(NodeProto node) {
        return of(node.getDomain(), node.getOpType());
    }

    /** The key of {@code opType} in {@code domain}. */
    public static String of(String domain, String opType) {
        return isDefaultDomain(domain) ? opType : domain + ":" + opType;
    }

    /** The domain shown for an opset import: {@code ai.onnx} for the empty default. */
    public static String displayDomain(String domain) {
        return domain == null || domain.isEmpty() ? AI_ONNX : domain;
    }
}
