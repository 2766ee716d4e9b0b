package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code javelin demo} as a user sees it. Numbers are checked in SentenceEmbedderTest; this checks the report. */
class DemoCommandTest {
    @BeforeAll
    static void cacheInBuildFolder() {
        // The model copy and the tokenizer library go under target/, never to the user's cache.
        System.setProperty("javelin.cache.dir", Path.of("target", "javelin-cache").toAbsolutePath().toString());
    }

    @Test
    void reportsBackendMatrixClosestSentenceAndLatency() {
        assumeTrue(Cli.cpuBackendInstalled(), Cli.NO_CPU_BACKEND);
        Cli.Outcome r = Cli.run("demo", "--backend", "cpu", "--runs", "2");
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("all-MiniLM-L6-v2 sentence embeddings"), r.out());
        assertTrue(lines.get(1).startsWith("backend   cpu: "), r.out());
        assertTrue(r.out().contains("sentences (6, embedding size 384)"), r.out());
        for (int i = 0; i < 6; i++) {
            assertTrue(r.out().contains("  [" + (i + 1) + "] " + DemoCommand.DEFAULT_SENTENCES.get(i)), r.out());
        }
        // Each sentence's closest other sentence is its paraphrase: 1<->2, 3<->4, 5<->6.
        int[] closest = {2, 1, 4, 3, 6, 5};
        int header = lines.indexOf(lines.stream().filter(l -> l.strip().startsWith("cosine")).findFirst().orElseThrow());
        assertEquals(List.of("cosine", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]", "closest"),
                List.of(lines.get(header).strip().split("\\s+")));
        for (int i = 0; i < 6; i++) {
            String line = lines.get(header + 1 + i);
            List<String> cells = List.of(line.strip().split("\\s+"));
            assertEquals("[" + (i + 1) + "]", cells.get(0), line);
            assertEquals(8, cells.size(), line);
            assertEquals("1.000", cells.get(i + 1), line);
            assertEquals("[" + closest[i] + "]", cells.get(7), line);
        }
        assertTrue(r.out().matches("(?s).*latency   batch of 6 x 1[0-9] tokens: tokenize [0-9.]+ ms; embed first [0-9.]+ ms;"
                + " warm \\(2 runs\\): median .*"), r.out());
    }

    @Test
    void ownSentences() {
        assumeTrue(Cli.cpuBackendInstalled(), Cli.NO_CPU_BACKEND);
        Cli.Outcome r = Cli.run("demo", "-b", "cpu", "-n", "0", "--sentences", "I like tea.", "Tea is what I enjoy.");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("  [1] I like tea.") && r.out().contains("  [2] Tea is what I enjoy."), r.out());
        assertTrue(r.out().contains("sentences (2, embedding size 384)"), r.out());
    }

    @Test
    void blankSentenceIsAUsageError() {
        Cli.Outcome r = Cli.run("demo", "--sentences", "fine", " ");
        assertEquals(ExitCodes.USAGE, r.code(), r.toString());
        assertEquals(List.of("javelin: --sentences must not contain empty sentences (see 'javelin help demo')"),
                r.errLines());
    }
}
