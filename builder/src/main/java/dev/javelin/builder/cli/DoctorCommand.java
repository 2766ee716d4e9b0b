package dev.javelin.builder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.javelin.runtime.SystemInfo;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code javelin doctor}: what this machine offers Javelin and, for each backend, whether it is usable and
 * why not. A machine without a GPU is a normal answer, not an error: the command exits 0 whenever it could
 * write its report.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Reports OS/arch, JVM, Jetson board (model, L4T/JetPack, CUDA/TensorRT found, whether this build's "
                + "native line fits it and the fix if not), NVIDIA driver and CUDA versions, GPUs (compute capability, "
                + "memory), TensorRT and ONNX Runtime versions, and for each backend whether it is usable and why not."})
public final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON with stable keys: os, jvm, jetson, nvidia_driver, cuda_driver, "
            + "devices, tensorrt, onnxruntime, native_line, native, backends.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SystemInfo info = SystemInfo.collect();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(info.toMap()));
        } else {
            out.print(info.toText());
        }
        out.flush();
        return 0;
    }
}
