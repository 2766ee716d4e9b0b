package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.cuda.KernelArgs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Java side agrees with what nvcc built: each {@link KernelEntry}'s parameter list and launch bound against
 * the PTX nvcc emitted ({@code target/kernels-build/<source>.ptx}, parsed here independently of the build
 * step's own parser), the catalogue (kernels.json) against both, and the fatbins on the class path.
 */
class KernelCatalogueTest {
    private static final Path PTX_DIR = Path.of("target/kernels-build");
    private static final Pattern ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)\\s*(?:\\.maxntid (\\d+), (\\d+), (\\d+))?");

    private record PtxEntry(List<String> params, int maxThreads) {
    }

    private static KernelCatalogue builtCatalogue() {
        KernelCatalogue c = KernelCatalogue.get();
        Assumptions.assumeTrue(c.hasFatbins(), "the build had no nvcc: " + c.reason());
        return c;
    }

    private static Map<String, PtxEntry> ptx(KernelSource s) throws IOException {
        String text = Files.readString(PTX_DIR.resolve(s.baseName() + ".ptx"));
        Map<String, PtxEntry> m = new TreeMap<>();
        Matcher e = ENTRY.matcher(text);
        while (e.find()) {
            List<String> params = new ArrayList<>();
            for (String line : e.group(2).split(",")) {
                String p = line.trim();
                if (p.isEmpty()) {
                    continue;
                }
                // ".param .u64 name" or ".param .align 8 .b8 name[160]"
                Matcher struct = Pattern.compile("\\.param \\.align (\\d+) \\.b8 \\w+\\[(\\d+)]").matcher(p);
                if (struct.find()) {
                    params.add("b8[" + struct.group(2) + "]:align" + struct.group(1));
                } else {
                    Matcher scalar = Pattern.compile("\\.param \\.(\\w+) ").matcher(p);
                    assertTrue(scalar.find(), "PTX parameter " + p);
                    params.add(scalar.group(1));
                }
            }
            int max = e.group(3) == null ? 1024 : Integer.parseInt(e.group(3)) * Integer.parseInt(e.group(4)) * Integer.parseInt(e.group(5));
            m.put(e.group(1), new PtxEntry(params, max));
        }
        return m;
    }

    /** The PTX spelling of a Java parameter kind; structs are checked by size below. */
    private static String ptxType(KernelArgs.Kind k) {
        return k.ptxType();
    }

    @Test
    void everyLauncherParameterListMatchesThePtxSignature() throws IOException {
        builtCatalogue();
        List<String> ptxEntries = new ArrayList<>();
        for (KernelSource s : KernelSource.values()) {
            Map<String, PtxEntry> entries = ptx(s);
            ptxEntries.addAll(entries.keySet());
            for (KernelEntry e : KernelEntry.values()) {
                if (e.source() != s) {
                    continue;
                }
                PtxEntry p = entries.get(e.symbol());
                assertNotNull(p, e.symbol() + " is not an entry of " + s.baseName() + ".ptx");
                assertEquals(e.params().size(), p.params().size(), e.symbol() + ": parameter count");
                for (int i = 0; i < p.params().size(); i++) {
                    KernelArgs.Kind k = e.params().get(i);
                    if (k == KernelArgs.Kind.STRUCT) {
                        assertEquals("b8[160]:align8", p.params().get(i), e.symbol() + " parameter " + i + " (MmiBatch by value)");
                    } else {
                        assertEquals(ptxType(k), p.params().get(i), e.symbol() + " parameter " + i + " is " + k);
                    }
                }
                assertEquals(e.maxThreads(), p.maxThreads(), e.symbol() + ": __launch_bounds__ (.maxntid)");
            }
        }
        List<String> declared = new ArrayList<>();
        for (KernelEntry e : KernelEntry.values()) {
            declared.add(e.symbol());
        }
        assertEquals(declared.stream().sorted().toList(), ptxEntries.stream().sorted().toList(),
                "every PTX entry has a KernelEntry and vice versa");
    }

    @Test
    void theStructTheMatMulLauncherMarshalsHasThePtxSize() {
        DeviceTensor a = new DeviceTensor("A", 0x1000, 6, ScalarType.UINT8, new long[] {2, 3});
        DeviceTensor b = new DeviceTensor("B", 0x2000, 12, ScalarType.UINT8, new long[] {3, 4});
        DeviceTensor y = new DeviceTensor("Y", 0x3000, 32, ScalarType.INT32, new long[] {2, 4});
        KernelArgs args = MatMulIntegerKernel.plan(a, b, null, null, y).launches().get(0).args();
        assertEquals(160, args.size(11));
        assertEquals(ByteBuffer.wrap(args.value(11)).order(ByteOrder.LITTLE_ENDIAN).getLong(24), 1, "innermost batch dim 1");
    }

    @Test
    void catalogueAgreesWithThePtxAndHasFiguresForEveryTarget() throws IOException {
        KernelCatalogue c = builtCatalogue();
        assertEquals(List.of("sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_100", "sm_110", "sm_120"), c.sassTargets());
        assertEquals("compute_75", c.ptxTarget());
        assertTrue(c.nvccVersion().matches("\\d+\\.\\d+\\.\\d+"), c.nvccVersion());
        for (KernelEntry e : KernelEntry.values()) {
            KernelCatalogue.Kernel k = c.kernel(e).orElseThrow(() -> new AssertionError(e.symbol() + " missing from kernels.json"));
            assertEquals(e.source().baseName(), k.source());
            assertEquals(ptx(e.source()).get(e.symbol()).params(), k.ptxParams(), e.symbol());
            assertEquals(e.maxThreads(), k.maxThreads(), e.symbol());
            assertEquals(c.sassTargets(), List.copyOf(new TreeMap<>(k.sass()).keySet()).stream()
                    .sorted((x, y) -> Integer.compare(Integer.parseInt(x.substring(3)), Integer.parseInt(y.substring(3)))).toList(),
                    e.symbol() + ": ptxas figures for every target");
            for (Map.Entry<String, KernelCatalogue.SassFigures> f : k.sass().entrySet()) {
                assertTrue(f.getValue().registers() > 0 && f.getValue().registers() <= 255, e.symbol() + " " + f);
                // Occupancy sanity: the launch bound's threads fit the 64K-register file.
                assertTrue((long) f.getValue().registers() * e.maxThreads() <= 65536, e.symbol() + " " + f);
            }
        }
        assertEquals(KernelEntry.values().length, c.kernels().size());
    }

    @Test
    void fatbinsAreOnTheClassPathAndHoldEveryEntry() {
        KernelCatalogue c = builtCatalogue();
        for (KernelSource s : KernelSource.values()) {
            byte[] fatbin = c.fatbin(s).orElseThrow();
            assertEquals(0xBA55ED50, ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN).getInt(0), s + ": fatbin magic");
            String text = new String(fatbin, StandardCharsets.ISO_8859_1);
            for (KernelEntry e : KernelEntry.values()) {
                if (e.source() == s) {
                    assertTrue(text.contains(e.symbol()), e.symbol() + " in " + s.fatbinResource());
                }
            }
            assertTrue(text.contains(".target sm_75") || text.contains("sm_75"), s + ": compute_75 PTX / sm_75 SASS");
            assertEquals(NvrtcCompiler.sourceHash(c.cudaSource(s), c.cudaHeaders()), c.sourceHash(s),
                    s + ": the source shipped for NVRTC is the one the fatbin was built from");
            assertFalse(c.cudaSource(s).isEmpty());
        }
    }
}
