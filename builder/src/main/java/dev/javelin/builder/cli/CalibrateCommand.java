package dev.javelin.builder.cli;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.precision.ActivationCalibration;
import dev.javelin.builder.precision.CalibrationCache;
import dev.javelin.builder.precision.CalibrationData;
import dev.javelin.builder.precision.Calibrator;
import dev.javelin.builder.precision.ImagePreprocessing;
import dev.javelin.builder.precision.Int8Quantization;
import dev.javelin.builder.precision.PrecisionAccuracy;
import dev.javelin.builder.precision.AccuracyReport;
import dev.javelin.builder.precision.QdqPlacement;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin calibrate MODEL --calib-data DIR -o OUT.onnx}: INT8 post-training quantization into explicit
 * Q/DQ (the INT8 step of {@code javelin build} on its own). See {@link Int8Quantization}.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize a model to INT8 with explicit QuantizeLinear/DequantizeLinear pairs: symmetric"
                + " per-tensor activations calibrated on sample data with ONNX Runtime CPU, per-channel int8 weights.",
                "The output is plain ONNX that TensorRT builds as an int8 network and ONNX Runtime CPU runs with its"
                        + " integer kernels.",
                "Calibration data (--calib-data DIR): <sample>.npz files (one array per input), <sample>/<input>.npy"
                        + " folders, <sample>.npy files for a single-input model, or images with --image-size."})
public final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The float32 .onnx model.")
    Path model;

    @Option(names = "--calib-data", paramLabel = "DIR",
            description = "Folder of calibration samples (layouts above). Not needed with --calib-cache.")
    Path calibData;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.onnx", required = true,
            description = "Where to write the quantized model.")
    Path output;

    @Option(names = "--calibrator", paramLabel = "NAME", defaultValue = "percentile",
            description = "max, percentile or entropy (default ${DEFAULT-VALUE}; entropy is TensorRT's legacy KL"
                    + " calibrator; it clips the outlier features of transformers, and on MiniLM and PP-OCRv4 det"
                    + " percentile kept more accuracy than either other).")
    String calibrator;

    @Option(names = "--percentile", paramLabel = "P", defaultValue = "99.99",
            description = "Percentile of absolute values kept by the percentile calibrator (default ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--calib-cache", paramLabel = "FILE",
            description = "Take activation scales from a legacy TensorRT calibration cache instead of calibrating.")
    Path calibCache;

    @Option(names = "--save-calib-cache", paramLabel = "FILE",
            description = "Also write the activation scales as a legacy TensorRT calibration cache (header"
                    + " TRT-101500-<calibrator>, one '<tensor>: <hex scale>' line per activation).")
    Path saveCalibCache;

    @Option(names = "--exclude", paramLabel = "NODE_OR_OP", split = ",",
            description = "Node names or op types to keep in float (repeat or separate with commas).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--eval-data", paramLabel = "DIR",
            description = "Samples (.npy/.npz) for the accuracy report against the float32 model; default: the last fifth"
                    + " of --calib-data, held back from calibration.")
    Path evalData;

    @Option(names = "--json", paramLabel = "FILE|-", description = "Also write the accuracy report as JSON (- for stdout).")
    String json;

    @Option(names = "--max-samples", paramLabel = "N", defaultValue = "0",
            description = "Use at most N samples (default: all, in name order).")
    int maxSamples;

    @Option(names = "--image-size", paramLabel = "WxH",
            description = "Calibrate from the images in --calib-data, resized to W x H.")
    String imageSize;

    @Option(names = "--image-input", paramLabel = "NAME", description = "The input the images feed (default: the only input).")
    String imageInput;

    @Option(names = "--image-layout", paramLabel = "NCHW|NHWC", defaultValue = "NCHW",
            description = "Layout of the image input (default ${DEFAULT-VALUE}).")
    String imageLayout;

    @Option(names = "--image-order", paramLabel = "RGB|BGR", defaultValue = "RGB",
            description = "Channel order the model expects (default ${DEFAULT-VALUE}).")
    String imageOrder;

    @Option(names = "--image-scale", paramLabel = "S", defaultValue = "0.00392156862745098",
            description = "Multiplies the 0..255 pixels first (default 1/255).")
    float imageScale;

    @Option(names = "--image-mean", paramLabel = "M,M,M", split = ",", description = "Per-channel mean subtracted after scaling (default 0,0,0).")
    float[] imageMean = {0, 0, 0};

    @Option(names = "--image-std", paramLabel = "S,S,S", split = ",", description = "Per-channel divisor applied last (default 1,1,1).")
    float[] imageStd = {1, 1, 1};

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (calibData == null && calibCache == null) {
            throw new ParameterException(spec.commandLine(), "give --calib-data DIR (or --calib-cache FILE)");
        }
        if (maxSamples < 0) {
            throw new ParameterException(spec.commandLine(), "--max-samples must be >= 0, was " + maxSamples);
        }
        Calibrator method;
        ActivationCalibration.Options calibration;
        try {
            method = Calibrator.parse(calibrator);
            calibration = ActivationCalibration.Options.of(method).withPercentile(percentile);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (calibCache != null && calibData == null && evalData == null) {
            throw new ParameterException(spec.commandLine(), "with --calib-cache, give --eval-data DIR: every precision run"
                    + " ends with an accuracy report against the float32 model on samples of its own");
        }
        ImagePreprocessing images = imageSize == null ? null : images();
        OnnxModel onnx = OnnxModel.load(model);
        long t0 = System.nanoTime();
        Int8Quantization.Outcome result;
        CalibrationData heldBack = evalData == null ? null : CalibrationData.fromDirectory(evalData, onnx);
        try {
            if (calibCache != null) {
                result = Int8Quantization.fromCache(onnx, CalibrationCache.read(calibCache), calibCache.toString(), exclude);
                if (heldBack == null) {
                    heldBack = samples(onnx, images);
                }
            } else {
                CalibrationData data = samples(onnx, images);
                if (heldBack == null) {
                    // No separate evaluation data: the last fifth is held back, so the report never judges on data
                    // that chose the scales.
                    PrecisionAccuracy.Split split = PrecisionAccuracy.holdBack(data);
                    data = split.calibration();
                    heldBack = split.heldBack();
                }
                result = Int8Quantization.calibrate(onnx, data, new Int8Quantization.Options(calibration, exclude));
            }
        } catch (QdqPlacement.UnknownExclusionException e) {
            throw new ParameterException(spec.commandLine(), "--exclude: " + e.getMessage());
        }
        long nanos = System.nanoTime() - t0;
        result.model().write(output);
        out.println("model     " + model);
        result.report().lines().forEach(l -> out.println("  " + l));
        if (saveCalibCache != null) {
            CalibrationCache.write(saveCalibCache, "TRT-101500-" + cacheLabel(method), result.report().amax());
            out.println("  calibration cache written to " + saveCalibCache);
        }
        out.println("wrote     " + output + " (" + String.format(Locale.ROOT, "%.1f MiB", Files.size(output) / 1048576.0)
                + ") in " + Latency.ms(nanos));
        out.println("accuracy  int8 against float32 on " + heldBack.describe());
        out.flush();
        AccuracyReport report = PrecisionAccuracy.evaluate(onnx, OnnxModel.load(output), "int8", heldBack,
                PrecisionAccuracy.defaults("int8"));
        report.tableLines().forEach(l -> out.println("  " + l));
        out.println(report.passed() ? "  passed: every output's lowest cosine >= 0.98"
                : "  FAILED: an output's lowest cosine is below 0.98 (the model is written; try --calibrator, --exclude)");
        if (json != null) {
            OutputFiles.writeJson(json, report.toJson(), out);
        }
        out.flush();
        return report.passed() ? ExitCodes.OK : ExitCodes.OUT_OF_TOLERANCE;
    }

    /** The calibration samples MODEL's inputs are fed from: --calib-data as .npy/.npz or, with --image-size, images. */
    private CalibrationData samples(OnnxModel onnx, ImagePreprocessing images) {
        if (calibData == null) {
            throw new ParameterException(spec.commandLine(), "give --calib-data DIR");
        }
        CalibrationData data = images != null ? CalibrationData.fromImages(calibData, onnx, imageInput, images)
                : CalibrationData.fromDirectory(calibData, onnx);
        return maxSamples > 0 ? data.limit(maxSamples) : data;
    }

    private static String cacheLabel(Calibrator c) {
        return switch (c) {
            case ENTROPY -> "EntropyCalibration2";
            case MAX -> "MinMaxCalibration";
            case PERCENTILE -> "PercentileCalibration";
        };
    }

    private ImagePreprocessing images() {
        String[] wh = imageSize.toLowerCase(Locale.ROOT).split("x");
        try {
            if (wh.length != 2) {
                throw new NumberFormatException();
            }
            int w = Integer.parseInt(wh[0].trim());
            int h = Integer.parseInt(wh[1].trim());
            return new ImagePreprocessing(w, h, ImagePreprocessing.Layout.parse(imageLayout),
                    ImagePreprocessing.ChannelOrder.parse(imageOrder), imageScale, imageMean, imageStd);
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "--image-size '" + imageSize + "' must be WxH, e.g. 640x480");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
