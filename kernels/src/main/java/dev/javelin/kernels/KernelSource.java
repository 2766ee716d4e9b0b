package dev.javelin.kernels;

/** A CUDA source file of the kernels module, built into one fatbin (one CUDA module at run time). */
public enum KernelSource {
    DYNAMIC_QUANTIZE_LINEAR("dynamic_quantize_linear"),
    MATMUL_INTEGER("matmul_integer"),
    DFT("dft"),
    AFFINE_GRID("affine_grid"),
    UNIQUE("unique");

    /** Class-path folder of the fatbins and kernels.json. */
    public static final String RESOURCE_DIR = "dev/javelin/kernels/";

    private final String fileName;

    KernelSource(String fileName) {
        this.fileName = fileName;
    }

    /** The source's base name, e.g. {@code dft} (file {@code dft.cu}, resource {@code dft.fatbin}). */
    public String baseName() {
        return fileName;
    }

    /** Class-path resource of the fatbin. */
    public String fatbinResource() {
        return RESOURCE_DIR + fileName + ".fatbin";
    }

    /** Class-path resource of the CUDA source (shipped for the NVRTC fallback). */
    public String sourceResource() {
        return RESOURCE_DIR + "cuda/" + fileName + ".cu";
    }
}
