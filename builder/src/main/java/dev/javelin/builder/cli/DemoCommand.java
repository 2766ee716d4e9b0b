package dev.javelin.builder.cli;

import dev.javelin.builder.demo.CacheDir;
import dev.javelin.builder.demo.SentenceEmbedder;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.SessionOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code javelin demo}: a real trained model from Maven (all-MiniLM-L6-v2) with its real tokenizer embeds a
 * few sentences on the best backend; prints the cosine-similarity matrix and the latency.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Embed sentences with all-MiniLM-L6-v2 (a trained model fetched by Maven, with its HuggingFace"
                + " tokenizer) on the best backend, and print their cosine similarities and the latency.",
                "Paraphrases score high, unrelated sentences low."})
public final class DemoCommand implements Callable<Integer> {
    /** Three pairs of paraphrases on unrelated topics. */
    static final List<String> DEFAULT_SENTENCES = List.of(
            "A cat is sleeping on the sofa.",
            "The kitten naps on the couch.",
            "Stock markets fell sharply this morning.",
            "Share prices dropped steeply at the opening bell.",
            "How do I bake bread at home?",
            "What is a simple recipe for homemade bread?");

    @Spec
    CommandSpec spec;

    @Option(names = {"-b", "--backend"}, paramLabel = "BACKEND", defaultValue = "auto",
            converter = BackendOption.class, completionCandidates = BackendOption.class,
            description = "auto (default: the best usable one), cpu, cuda or tensorrt.")
    BackendKind backend;

    @Option(names = {"-s", "--sentences"}, arity = "1..*", paramLabel = "TEXT",
            description = "Sentences to embed instead of the built-in six (quote each one).")
    List<String> sentences;

    @Option(names = {"-n", "--runs"}, paramLabel = "N", defaultValue = "5",
            description = "Warm runs of the batch timed after the first one (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Intra-op threads on the CPU backend (default: ONNX Runtime's choice).")
    int threads;

    @Override
    public Integer call() throws IOException {
        List<String> texts = sentences == null || sentences.isEmpty() ? DEFAULT_SENTENCES : sentences;
        if (runs < 0 || threads < 0) {
            throw new ParameterException(spec.commandLine(), "--runs and --threads must be >= 0");
        }
        if (texts.stream().anyMatch(String::isBlank)) {
            throw new ParameterException(spec.commandLine(), "--sentences must not contain empty sentences");
        }
        PrintWriter out = spec.commandLine().getOut();
        SessionOptions options = SessionOptions.builder().backend(backend).intraOpThreads(threads).build();
        long t0 = System.nanoTime();
        try (SentenceEmbedder embedder = SentenceEmbedder.openMiniLm(options, CacheDir.defaultDir())) {
            long openNanos = System.nanoTime() - t0;
            out.println("all-MiniLM-L6-v2 sentence embeddings, mean-pooled and L2-normalized");
            out.println("backend   " + embedder.session().backend() + ": " + embedder.session().description());
            out.println("model     " + embedder.session().model() + " (opened in " + Latency.ms(openNanos) + ")");

            long tt = System.nanoTime();
            SentenceEmbedder.Batch batch = embedder.tokenize(texts);
            long tokenizeNanos = System.nanoTime() - tt;
            try (batch) {
                long r0 = System.nanoTime();
                float[][] emb = embedder.embed(batch);
                long first = System.nanoTime() - r0;
                long[] warm = new long[runs];
                for (int i = 0; i < runs; i++) {
                    long s = System.nanoTime();
                    embedder.embed(batch);
                    warm[i] = System.nanoTime() - s;
                }
                out.println();
                out.println("sentences (" + emb.length + ", embedding size " + emb[0].length + ")");
                for (int i = 0; i < texts.size(); i++) {
                    out.println("  [" + (i + 1) + "] " + texts.get(i));
                }
                out.println();
                printMatrix(out, SentenceEmbedder.cosineSimilarity(emb));
                out.println();
                out.println("latency   batch of " + batch.sentences() + " x " + batch.tokens() + " tokens: tokenize "
                        + Latency.ms(tokenizeNanos) + "; embed " + new Latency(first, warm).summary());
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The matrix with row and column labels, and for each sentence its closest other sentence. */
    static void printMatrix(PrintWriter out, double[][] sim) {
        int n = sim.length;
        String[] header = new String[n + 2];
        header[0] = "cosine";
        boolean[] numeric = new boolean[n + 2];
        for (int j = 0; j < n; j++) {
            header[j + 1] = "[" + (j + 1) + "]";
            numeric[j + 1] = true;
        }
        header[n + 1] = n > 1 ? "closest" : "";
        Table t = new Table(header, numeric);
        for (int i = 0; i < n; i++) {
            List<String> row = new ArrayList<>();
            row.add("[" + (i + 1) + "]");
            int best = -1;
            for (int j = 0; j < n; j++) {
                row.add(String.format(Locale.ROOT, "%.3f", sim[i][j]));
                if (j != i && (best < 0 || sim[i][j] > sim[i][best])) {
                    best = j;
                }
            }
            row.add(best < 0 ? "" : "[" + (best + 1) + "]");
            t.row(row.toArray(String[]::new));
        }
        t.lines("  ").forEach(out::println);
    }
}
