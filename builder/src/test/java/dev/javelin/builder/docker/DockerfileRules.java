package dev.javelin.builder.docker;

import dev.javelin.builder.docker.DockerfileModel.Instruction;
import dev.javelin.builder.docker.DockerfileModel.Stage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Javelin's own Dockerfile checks, for what the linters (dockerfile-utils, dockerfilelint) do not catch:
 * <ul>
 *   <li>{@code copy-from}: every {@code COPY --from} names an earlier stage, or is an image reference pinned like a base;</li>
 *   <li>{@code exec-form}: {@code ENTRYPOINT} and {@code CMD} are JSON arrays (signals reach the JVM, no shell);</li>
 *   <li>{@code pinned-base}: every {@code FROM} that is not an earlier stage has a tag other than {@code latest}, or a
 *       digest, after global {@code ARG}s are substituted;</li>
 *   <li>{@code non-root}: the final stage switches to a user other than root;</li>
 *   <li>{@code healthcheck}: the final stage states its health-check decision ({@code HEALTHCHECK NONE} for one-shot
 *       commands, which also drops one inherited from the base), and a long-running entrypoint has a real one;</li>
 *   <li>{@code entrypoint-file}: a jar the entrypoint runs is put in place by a {@code COPY} of the final stage;</li>
 *   <li>{@code context-path}: every {@code COPY}/{@code ADD} source from the build context exists in the repository;</li>
 *   <li>{@code context-filter}: the Dockerfile has its own {@code <name>.dockerignore} (BuildKit reads it next to the
 *       Dockerfile) keeping {@code **}{@code /target/} out, so a local build's output never rides into the image.</li>
 * </ul>
 * {@link #checkBuildOutput} adds, once Maven has packaged, that what the final stage copies from a build stage's
 * Maven output exists in the real build output ({@code build-output}).
 */
final class DockerfileRules {
    /** javelin subcommands that keep running (a server); an image whose entrypoint runs one needs a HEALTHCHECK CMD. */
    static final Set<String> LONG_RUNNING_COMMANDS = Set.of("serve", "server");

    /** One finding: file, line, rule and what is wrong. */
    record Violation(Path file, int line, String rule, String message) {
        @Override
        public String toString() {
            return (file == null ? "" : file.getFileName() + ":") + line + " [" + rule + "] " + message;
        }
    }

    private DockerfileRules() {
    }

    /** The static rules; {@code context} is the build context (the repository root), or {@code null} to skip it. */
    static List<Violation> check(DockerfileModel df, Path context) {
        List<Violation> out = new ArrayList<>();
        for (Stage s : df.stages()) {
            checkFrom(df, s, out);
            for (Instruction in : s.instructions()) {
                switch (in.keyword()) {
                    case "COPY", "ADD" -> checkCopy(df, s, in, context, out);
                    case "ENTRYPOINT", "CMD" -> {
                        if (!in.execForm()) {
                            out.add(v(df, in, "exec-form", in.keyword() + " is in shell form (" + in.args().strip()
                                    + "): write it as a JSON array so the process is PID 1 and gets SIGTERM"));
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        if (context != null) {
            checkContextFilter(df, out);
        }
        Stage last = df.finalStage();
        checkUser(df, last, out);
        checkHealthcheck(df, last, out);
        checkEntrypointFile(df, last, out);
        return out;
    }

    private static Violation v(DockerfileModel df, Instruction in, String rule, String message) {
        return new Violation(df.file(), in.line(), rule, message);
    }

    private static void checkFrom(DockerfileModel df, Stage s, List<Violation> out) {
        if (df.stageNamed(s.image(), s.index()) != null) {
            return; // FROM an earlier stage
        }
        String problem = pinProblem(s.image());
        if (problem != null) {
            out.add(v(df, s.from(), "pinned-base", "FROM " + s.image() + ": " + problem));
        }
    }

    /** Why an image reference is not pinned, or {@code null} if it is. */
    static String pinProblem(String image) {
        if (image.contains("$")) {
            return "an ARG without a default is left in the image reference, so the base is not fixed";
        }
        if (image.contains("@sha256:")) {
            return null;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.indexOf(':', slash + 1);
        if (colon < 0) {
            return "no tag, which means \"latest\": pin a version tag (or a digest)";
        }
        String tag = image.substring(colon + 1);
        if (tag.equalsIgnoreCase("latest")) {
            return "the \"latest\" tag moves; pin a version tag (or a digest)";
        }
        return tag.isEmpty() ? "empty tag" : null;
    }

    private static void checkCopy(DockerfileModel df, Stage s, Instruction in, Path context, List<Violation> out) {
        String from = in.flags().get("from");
        if (from != null) {
            if (df.stageNamed(from, s.index()) != null) {
                return;
            }
            boolean looksLikeImage = from.contains("/") || from.contains(":") || from.contains("@");
            if (!looksLikeImage) {
                List<String> earlier = new ArrayList<>();
                for (Stage e : df.stages()) {
                    if (e.index() < s.index()) {
                        earlier.add(e.name() != null ? e.name() : Integer.toString(e.index()));
                    }
                }
                out.add(v(df, in, "copy-from", in.keyword() + " --from=" + from + " names no earlier stage (earlier stages: "
                        + (earlier.isEmpty() ? "none" : String.join(", ", earlier)) + ") and is not an image reference"));
            } else {
                String problem = pinProblem(from);
                if (problem != null) {
                    out.add(v(df, in, "copy-from", in.keyword() + " --from=" + from + ": " + problem));
                }
            }
            return;
        }
        if (context == null) {
            return;
        }
        List<String> words = in.words();
        for (String src : words.subList(0, Math.max(0, words.size() - 1))) {
            if (src.contains("://") || src.startsWith("<<")) {
                continue; // ADD of a URL, heredoc
            }
            if (!exists(context, src)) {
                out.add(v(df, in, "context-path", in.keyword() + " source " + src + " is not in the build context "
                        + context.toAbsolutePath().normalize()));
            }
        }
    }

    private static void checkContextFilter(DockerfileModel df, List<Violation> out) {
        Path ignore = df.file().resolveSibling(df.file().getFileName() + ".dockerignore");
        try {
            List<String> patterns = Files.isRegularFile(ignore) ? Files.readAllLines(ignore) : List.of();
            if (patterns.stream().map(String::strip).noneMatch(l -> l.equals("**/target/") || l.equals("**/target"))) {
                out.add(new Violation(df.file(), 1, "context-filter", (Files.isRegularFile(ignore) ? ignore.getFileName()
                        + " does not exclude **/target/" : "no " + ignore.getFileName() + " next to it")
                        + ": local build output would be sent into the image build"));
            }
        } catch (IOException e) {
            out.add(new Violation(df.file(), 1, "context-filter", ignore + ": " + e.getMessage()));
        }
    }

    private static boolean exists(Path base, String pattern) {
        String p = pattern.startsWith("/") ? pattern.substring(1) : pattern;
        if (!p.contains("*") && !p.contains("?") && !p.contains("[")) {
            return Files.exists(base.resolve(p));
        }
        Path rel = Path.of(p);
        Path dir = rel.getParent() == null ? base : base.resolve(rel.getParent());
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, rel.getFileName().toString())) {
            return ds.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    private static void checkUser(DockerfileModel df, Stage last, List<Violation> out) {
        Instruction user = last.last("USER");
        if (user == null) {
            out.add(new Violation(df.file(), last.from().line(), "non-root", "the final " + last.label()
                    + " has no USER, so it runs as root: add a non-root USER"));
            return;
        }
        String u = user.args().strip();
        String name = u.contains(":") ? u.substring(0, u.indexOf(':')) : u;
        if (name.equals("root") || name.equals("0")) {
            out.add(v(df, user, "non-root", "the final " + last.label() + " runs as USER " + u + ": use a non-root user"));
        }
    }

    /** The javelin subcommand the final stage runs (first CMD word not starting with '-'), or {@code null}. */
    static String command(Stage last) {
        List<String> words = new ArrayList<>();
        Instruction ep = last.last("ENTRYPOINT");
        Instruction cmd = last.last("CMD");
        if (ep != null) {
            words.addAll(ep.words());
        }
        if (cmd != null) {
            words.addAll(cmd.words());
        }
        int jar = words.indexOf("-jar");
        for (int i = jar < 0 ? 0 : jar + 2; i < words.size(); i++) {
            if (!words.get(i).startsWith("-")) {
                return words.get(i).toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static void checkHealthcheck(DockerfileModel df, Stage last, List<Violation> out) {
        Instruction hc = last.last("HEALTHCHECK");
        String command = command(last);
        boolean longRunning = command != null && LONG_RUNNING_COMMANDS.contains(command);
        if (hc == null) {
            out.add(new Violation(df.file(), last.from().line(), "healthcheck", "the final " + last.label()
                    + " states no HEALTHCHECK: write HEALTHCHECK NONE for a one-shot command"
                    + (longRunning ? ", but '" + command + "' keeps running, so give it HEALTHCHECK CMD" : "")));
        } else if (longRunning && hc.args().strip().equalsIgnoreCase("NONE")) {
            out.add(v(df, hc, "healthcheck", "the entrypoint runs '" + command + "', which keeps running: HEALTHCHECK "
                    + "NONE hides a hung process; give it HEALTHCHECK CMD"));
        }
    }

    private static void checkEntrypointFile(DockerfileModel df, Stage last, List<Violation> out) {
        Instruction ep = last.last("ENTRYPOINT");
        if (ep == null || !ep.execForm()) {
            return;
        }
        for (String w : ep.words()) {
            if (w.startsWith("/") && w.endsWith(".jar") && copyDestination(last, w) == null) {
                out.add(v(df, ep, "entrypoint-file", "ENTRYPOINT runs " + w + ", which no COPY of the final "
                        + last.label() + " puts there"));
            }
        }
    }

    /** The COPY of {@code stage} whose destination is {@code path} (or a folder it is in), or {@code null}. */
    static Instruction copyDestination(Stage stage, String path) {
        for (Instruction in : stage.all("COPY")) {
            List<String> w = in.words();
            String dest = w.get(w.size() - 1);
            if (dest.equals(path) || (dest.endsWith("/") && path.startsWith(dest))) {
                return in;
            }
        }
        return null;
    }

    /**
     * After {@code mvn package}: every source the final stage copies from a build stage's Maven output (a path under
     * the stage's WORKDIR, which holds the repository) exists in {@code repo}'s real build output, and at least one
     * such copy exists (the image is made of the Maven build, not of something else).
     */
    static List<Violation> checkBuildOutput(DockerfileModel df, Path repo) {
        List<Violation> out = new ArrayList<>();
        Stage last = df.finalStage();
        int fromMaven = 0;
        for (Instruction in : last.all("COPY")) {
            String from = in.flags().get("from");
            Stage src = from == null ? null : df.stageNamed(from, last.index());
            if (src == null) {
                continue;
            }
            String root = src.workdir().endsWith("/") ? src.workdir() : src.workdir() + "/";
            List<String> w = in.words();
            for (String s : w.subList(0, w.size() - 1)) {
                if (!s.startsWith(root)) {
                    // Made by a RUN of the build stage: at least that RUN must name it.
                    String dir = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
                    boolean made = src.all("RUN").stream().anyMatch(r -> r.args().contains(dir));
                    if (!made) {
                        out.add(v(df, in, "build-output", "COPY --from=" + from + " " + s + ": outside the stage's "
                                + "WORKDIR " + src.workdir() + " and no RUN of that stage makes it"));
                    }
                    continue;
                }
                String rel = s.substring(root.length());
                if (!rel.contains("target/")) {
                    continue; // a source file, checked as a context path
                }
                fromMaven++;
                Path p = repo.resolve(rel.endsWith("/") ? rel.substring(0, rel.length() - 1) : rel);
                if (!Files.exists(p)) {
                    out.add(v(df, in, "build-output", "COPY --from=" + from + " " + s + ": the Maven build produces no "
                            + repo.relativize(p)));
                } else if (Files.isDirectory(p)) {
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                        if (!ds.iterator().hasNext()) {
                            out.add(v(df, in, "build-output", "COPY --from=" + from + " " + s + ": empty in the Maven build"));
                        }
                    } catch (IOException e) {
                        out.add(v(df, in, "build-output", s + ": " + e.getMessage()));
                    }
                }
            }
        }
        if (fromMaven == 0) {
            out.add(new Violation(df.file(), last.from().line(), "build-output", "the final " + last.label()
                    + " copies nothing from a build stage's Maven output (target/)"));
        }
        return out;
    }
}
