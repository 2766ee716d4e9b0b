package dev.javelin.builder.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Lints every Dockerfile in docker/ with the two npm linters the build installs into
 * {@code builder/target/dockerfile-lint} (exec-maven-plugin, versions pinned in builder/pom.xml): dockerfile-utils
 * (the Docker language server's validator) and dockerfilelint (best-practice rules; docker/.dockerfilelintrc turns
 * off its tag rule, which misreads {@code FROM --platform=...}; DockerfileRules checks tags instead). Any finding,
 * warning or error, fails.
 */
class DockerfileLintTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path bin(String pkg, String file) {
        Path p = Path.of(System.getProperty("user.dir"), "target", "dockerfile-lint", "node_modules", pkg, "bin", file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " is missing: the build installs the Dockerfile linters with npm "
                    + "(exec-maven-plugin, phase generate-test-resources); is npm on the PATH?");
        }
        return p;
    }

    private record Run(int exit, String out) {
    }

    private static Run node(Path script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("node", script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "linter timed out: " + cmd);
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** dockerfile-utils findings as "line: message". */
    static List<String> dockerfileUtils(Path dockerfile) throws Exception {
        Run r = node(bin("dockerfile-utils", "dockerfile-utils"), "lint", "--json", dockerfile.toString());
        JsonNode a = JSON.readTree(r.out());
        List<String> out = new ArrayList<>();
        for (JsonNode d : a) {
            out.add((d.path("range").path("start").path("line").asInt() + 1) + ": " + d.path("severity").asText() + ": "
                    + d.path("message").asText());
        }
        return out;
    }

    /** dockerfilelint findings as "line: title"; it reads .dockerfilelintrc from the Dockerfile's folder. */
    static List<String> dockerfilelint(Path dockerfile) throws Exception {
        Run r = node(bin("dockerfilelint", "dockerfilelint"), "-j", dockerfile.toString());
        JsonNode root = JSON.readTree(r.out());
        List<String> out = new ArrayList<>();
        for (JsonNode f : root.path("files")) {
            for (JsonNode i : f.path("issues")) {
                out.add(i.path("line").asText() + ": " + i.path("title").asText());
            }
        }
        assertTrue(root.path("files").size() == 1, r.out());
        return out;
    }

    @Test
    void everyDockerfileIsLintClean() throws Exception {
        List<Path> files = Repo.dockerfiles();
        assertTrue(files.size() >= 2, files.toString());
        for (Path f : files) {
            assertEquals(List.of(), dockerfileUtils(f), "dockerfile-utils on " + f);
            assertEquals(List.of(), dockerfilelint(f), "dockerfilelint on " + f);
        }
    }

    @Test
    void theLintersReallyRunAndFindThings() throws Exception {
        Path bad = Repo.fixture("lint-bad.Dockerfile");
        List<String> utils = dockerfileUtils(bad);
        assertTrue(utils.contains("4: warning: There can only be one CMD instruction in a Dockerfile or build stage. "
                + "Only the last one will have an effect."), utils.toString());
        assertTrue(utils.contains("4: warning: Instructions should be written in uppercase letters"), utils.toString());
        List<String> lint = dockerfilelint(bad);
        assertTrue(lint.contains("3: Missing parameter for `apt-get`"), lint.toString());
        assertTrue(lint.contains("2: apt-get update without matching apt-get install"), lint.toString());
    }

    @Test
    void theInstalledLintersAreThePinnedVersions() throws Exception {
        for (String[] pkg : new String[][] {{"dockerfile-utils", "javelin.lint.dockerfile-utils"},
                {"dockerfilelint", "javelin.lint.dockerfilelint"}}) {
            Path json = Path.of(System.getProperty("user.dir"), "target", "dockerfile-lint", "node_modules", pkg[0],
                    "package.json");
            String expected = System.getProperty(pkg[1]);
            assertTrue(expected != null && !expected.isBlank(), "system property " + pkg[1] + " (set by builder/pom.xml)");
            assertEquals(expected, JSON.readTree(json.toFile()).path("version").asText(), pkg[0]);
        }
    }
}
