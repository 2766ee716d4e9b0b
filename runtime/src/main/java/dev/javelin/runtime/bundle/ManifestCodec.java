package dev.javelin.runtime.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.trt.OptimizationProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code manifest.json} to and from {@link BundleManifest}. Keys are snake_case; a dimension is a number when
 * fixed, a string when symbolic and {@code null} when unknown (the ONNX convention). Reading reports the
 * first problem with the JSON path of the field ({@code engines[0].compute_capability is missing}).
 */
public final class ManifestCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestCodec() {
    }

    /** The manifest as pretty-printed JSON. */
    public static String toJson(BundleManifest m) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree(m)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a manifest tree always serializes", e);
        }
    }

    /** The manifest as a JSON tree (for reports that embed it). */
    public static ObjectNode tree(BundleManifest m) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "javelin-bundle");
        root.put("format_version", m.formatVersion());
        root.put("created_by", m.createdBy());
        ObjectNode src = root.putObject("source");
        src.put("file", m.source().file());
        src.put("sha256", m.source().sha256());
        ObjectNode model = root.putObject("model");
        model.put("file", m.model().file());
        model.put("sha256", m.model().sha256());
        model.put("bytes", m.model().bytes());
        ArrayNode ext = model.putArray("external_data");
        m.model().externalData().forEach(d -> ext.addObject().put("file", d.file()).put("bytes", d.bytes()));
        root.put("precision", m.precision().label());
        if (m.calibration() == null) {
            root.putNull("calibration");
        } else {
            ObjectNode c = root.putObject("calibration");
            c.put("calibrator", m.calibration().calibrator());
            c.put("data_fingerprint", m.calibration().dataFingerprint());
        }
        ObjectNode sig = root.putObject("signature");
        sig.set("inputs", tensors(m.inputs()));
        sig.set("outputs", tensors(m.outputs()));
        ArrayNode profiles = root.putArray("profiles");
        for (BundleManifest.Profile p : m.profiles()) {
            ObjectNode o = profiles.addObject();
            o.put("name", p.name());
            ObjectNode inputs = o.putObject("inputs");
            p.profile().inputs().forEach((name, r) -> {
                ObjectNode ro = inputs.putObject(name);
                longs(ro.putArray("min"), r.min());
                longs(ro.putArray("opt"), r.opt());
                longs(ro.putArray("max"), r.max());
            });
        }
        ObjectNode build = root.putObject("build");
        build.put("workspace_bytes", m.build().workspaceBytes());
        build.put("optimization_level", m.build().optimizationLevel());
        ObjectNode trt = root.putObject("tensorrt");
        trt.put("status", m.tensorRt().built() ? "built" : "not_built");
        trt.put("detail", m.tensorRt().detail());
        ArrayNode engines = root.putArray("engines");
        for (BundleManifest.EngineRecord e : m.engines()) {
            ObjectNode o = engines.addObject();
            o.put("file", e.file());
            o.put("sha256", e.sha256());
            o.put("bytes", e.bytes());
            o.put("profile", e.profile());
            o.put("tensorrt_version", e.tensorRtVersion());
            o.put("cuda_version", e.cudaVersion());
            o.put("compute_capability", e.computeCapability());
            o.put("device", e.device());
            ArrayNode calls = o.putArray("builder_calls");
            e.builderCalls().forEach(calls::add);
        }
        ArrayNode legal = root.putArray("legalization");
        for (LegalizationDecision d : m.legalization()) {
            legal.addObject().put("node", d.node()).put("op", d.op()).put("decision", d.decision()).put("detail", d.detail());
        }
        if (m.partitionPlan() == null) {
            root.putNull("partition_plan");
        } else {
            root.put("partition_plan", m.partitionPlan());
        }
        ArrayNode steps = root.putArray("graph_steps");
        for (BundleManifest.GraphStepRecord s : m.graphSteps()) {
            ObjectNode o = steps.addObject();
            o.put("name", s.name());
            ArrayNode lines = o.putArray("report");
            s.report().forEach(lines::add);
        }
        return root;
    }

    private static ArrayNode tensors(List<BundleManifest.IoTensor> list) {
        ArrayNode a = JSON.createArrayNode();
        for (BundleManifest.IoTensor t : list) {
            ObjectNode o = a.addObject();
            o.put("name", t.name());
            o.put("dtype", t.dtype());
            if (t.dims() == null) {
                o.putNull("shape");
                continue;
            }
            ArrayNode shape = o.putArray("shape");
            for (TensorInfo.Dim d : t.dims()) {
                if (d.isFixed()) {
                    shape.add(d.size());
                } else if (d.symbol() != null && !d.symbol().isEmpty()) {
                    shape.add(d.symbol());
                } else {
                    shape.addNull();
                }
            }
        }
        return a;
    }

    private static void longs(ArrayNode a, long[] values) {
        for (long v : values) {
            a.add(v);
        }
    }

    /**
     * Writes {@code manifest.json} into {@code dir} atomically (a reader sees the old or the new manifest).
     *
     * @return the file written
     */
    public static Path write(BundleManifest m, Path dir) throws IOException {
        Path target = dir.resolve(BundleManifest.FILE_NAME);
        AtomicFiles.write(target, toJson(m).getBytes(StandardCharsets.UTF_8));
        return target;
    }

    /**
     * Parses manifest JSON.
     *
     * @param where what to call it in messages (the file)
     * @throws ModelException naming the field that is missing or malformed, or a format newer than this Javelin reads
     */
    public static BundleManifest parse(String json, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelException(where + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ModelException(where + " is not a JSON object; expected a Javelin bundle manifest");
        }
        Node r = new Node(root, "", where);
        if (!"javelin-bundle".equals(r.text("format"))) {
            throw new ModelException(where + ": field 'format' is '" + r.text("format") + "', expected 'javelin-bundle'");
        }
        int version = r.integer("format_version");
        if (version > BundleManifest.FORMAT_VERSION) {
            throw new ModelException(where + " has format version " + version + "; this Javelin reads up to "
                    + BundleManifest.FORMAT_VERSION + " (the bundle was written by a newer Javelin)");
        }
        try {
            Node src = r.object("source");
            Node model = r.object("model");
            List<BundleManifest.DataFile> ext = model.list("external_data",
                    d -> new BundleManifest.DataFile(d.text("file"), d.longValue("bytes")));
            Node calib = r.optionalObject("calibration");
            Node sig = r.object("signature");
            Node build = r.object("build");
            Node trt = r.object("tensorrt");
            String status = trt.text("status");
            if (!status.equals("built") && !status.equals("not_built")) {
                throw r.bad("tensorrt.status", "is '" + status + "', expected built or not_built");
            }
            return new BundleManifest(version, r.optionalText("created_by"),
                    new BundleManifest.SourceModel(src.text("file"), src.text("sha256")),
                    new BundleManifest.ModelFile(model.text("file"), model.text("sha256"), model.longValue("bytes"), ext),
                    precision(r),
                    calib == null ? null : new BundleManifest.Calibration(calib.text("calibrator"),
                            calib.optionalText("data_fingerprint")),
                    sig.list("inputs", ManifestCodec::tensor),
                    sig.list("outputs", ManifestCodec::tensor),
                    r.list("profiles", p -> new BundleManifest.Profile(p.text("name"), profile(p.object("inputs")))),
                    new BundleManifest.BuildSettings(build.longValue("workspace_bytes"), build.integer("optimization_level")),
                    new BundleManifest.TensorRtStatus(status.equals("built"), trt.optionalText("detail")),
                    r.list("engines", e -> new BundleManifest.EngineRecord(e.text("file"), e.text("sha256"),
                            e.longValue("bytes"), e.text("profile"), e.text("tensorrt_version"), e.optionalText("cuda_version"),
                            e.text("compute_capability"), e.optionalText("device"), e.list("builder_calls", c -> c.self()))),
                    r.list("legalization", d -> new LegalizationDecision(d.text("node"), d.text("op"), d.text("decision"),
                            d.optionalText("detail"))),
                    r.optionalText("partition_plan"),
                    r.optionalList("graph_steps", s -> new BundleManifest.GraphStepRecord(s.text("name"),
                            s.list("report", Node::self))));
        } catch (IllegalArgumentException e) {
            throw new ModelException(where + ": " + e.getMessage(), e);
        }
    }

    private static Precision precision(Node r) {
        String text = r.text("precision");
        try {
            return Precision.parse(text);
        } catch (IllegalArgumentException e) {
            throw r.bad("precision", "is '" + text + "'; expected fp32, fp16 or int8");
        }
    }

    private static BundleManifest.IoTensor tensor(Node t) {
        JsonNode shape = t.json.get("shape");
        if (shape == null) {
            throw t.bad(t.path + ".shape", "is missing");
        }
        List<TensorInfo.Dim> dims = null;
        if (!shape.isNull()) {
            if (!shape.isArray()) {
                throw t.bad(t.path + ".shape", "must be an array or null");
            }
            dims = new ArrayList<>();
            for (JsonNode d : shape) {
                if (d.isIntegralNumber() && d.asLong() >= 0) {
                    dims.add(TensorInfo.Dim.fixed(d.asLong()));
                } else if (d.isTextual()) {
                    dims.add(TensorInfo.Dim.symbolic(d.asText()));
                } else if (d.isNull()) {
                    dims.add(TensorInfo.Dim.symbolic(null));
                } else {
                    throw t.bad(t.path + ".shape", "has dimension " + d + "; expected a size >= 0, a name or null");
                }
            }
        }
        return new BundleManifest.IoTensor(t.text("name"), t.text("dtype"), dims);
    }

    private static OptimizationProfile profile(Node inputs) {
        Map<String, OptimizationProfile.Range> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : inputs.json.properties()) {
            Node r = new Node(e.getValue(), inputs.path + "." + e.getKey(), inputs.where);
            long[] min = r.longs("min");
            long[] opt = r.longs("opt");
            long[] max = r.longs("max");
            if (min.length != opt.length || opt.length != max.length) {
                throw r.bad(r.path, "min, opt and max have different ranks");
            }
            m.put(e.getKey(), new OptimizationProfile.Range(min, opt, max));
        }
        return new OptimizationProfile(m);
    }

    /** A JSON node and its path, for messages. */
    private record Node(JsonNode json, String path, String where) {
        private String at(String field) {
            return path.isEmpty() ? field : path + "." + field;
        }

        ModelException bad(String field, String problem) {
            return new ModelException(where + ": field '" + field + "' " + problem);
        }

        private JsonNode required(String field) {
            JsonNode n = json.get(field);
            if (n == null || n.isNull()) {
                throw bad(at(field), "is missing");
            }
            return n;
        }

        String self() {
            if (!json.isTextual()) {
                throw bad(path, "must be a string");
            }
            return json.asText();
        }

        String text(String field) {
            JsonNode n = required(field);
            if (!n.isTextual()) {
                throw bad(at(field), "must be a string, was " + n);
            }
            return n.asText();
        }

        String optionalText(String field) {
            JsonNode n = json.get(field);
            return n == null || n.isNull() ? null : text(field);
        }

        long longValue(String field) {
            JsonNode n = required(field);
            if (!n.isIntegralNumber()) {
                throw bad(at(field), "must be an integer, was " + n);
            }
            return n.asLong();
        }

        int integer(String field) {
            JsonNode n = required(field);
            if (!n.isInt()) {
                throw bad(at(field), "must be an integer, was " + n);
            }
            return n.asInt();
        }

        long[] longs(String field) {
            JsonNode n = required(field);
            if (!n.isArray()) {
                throw bad(at(field), "must be an array of integers");
            }
            long[] out = new long[n.size()];
            for (int i = 0; i < out.length; i++) {
                if (!n.get(i).isIntegralNumber()) {
                    throw bad(at(field), "must be an array of integers, has " + n.get(i));
                }
                out[i] = n.get(i).asLong();
            }
            return out;
        }

        Node object(String field) {
            JsonNode n = required(field);
            if (!n.isObject()) {
                throw bad(at(field), "must be an object");
            }
            return new Node(n, at(field), where);
        }

        Node optionalObject(String field) {
            JsonNode n = json.get(field);
            return n == null || n.isNull() ? null : object(field);
        }

        <T> List<T> list(String field, Function<Node, T> item) {
            JsonNode n = required(field);
            if (!n.isArray()) {
                throw bad(at(field), "must be an array");
            }
            List<T> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                out.add(item.apply(new Node(n.get(i), at(field) + "[" + i + "]", where)));
            }
            return out;
        }

        <T> List<T> optionalList(String field, Function<Node, T> item) {
            JsonNode n = json.get(field);
            return n == null || n.isNull() ? List.of() : list(field, item);
        }
    }
}
