package dev.javelin.builder.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.docker.DockerfileRules.Violation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Javelin's own Dockerfile rules: the real Dockerfiles pass them, deliberately broken ones fail each rule. */
class DockerfileRulesTest {
    /** rule -> lines it was reported on, for exact comparisons. */
    private static Map<String, List<Integer>> byRule(List<Violation> vs) {
        Map<String, List<Integer>> m = new TreeMap<>();
        for (Violation v : vs) {
            m.computeIfAbsent(v.rule(), k -> new java.util.ArrayList<>()).add(v.line());
        }
        return m;
    }

    private static List<Violation> check(String fixture) throws Exception {
        return DockerfileRules.check(DockerfileModel.read(Repo.fixture(fixture)), null);
    }

    @Test
    void theRealDockerfilesPassEveryStaticRule() throws Exception {
        List<Path> files = Repo.dockerfiles();
        assertEquals(List.of("Dockerfile", "Dockerfile.jetson"), files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : files) {
            DockerfileModel df = DockerfileModel.read(f);
            assertEquals(List.of(), DockerfileRules.check(df, Repo.root()), f.toString());
            // What the rules rely on is really there: a build stage and a runtime stage that copies from it.
            assertEquals(List.of("build", "runtime"), df.stages().stream().map(DockerfileModel.Stage::name).toList());
            assertEquals("javelin", df.finalStage().last("USER").args());
            assertEquals("doctor", DockerfileRules.command(df.finalStage()));
        }
    }

    @Test
    void theBrokenDockerfileFailsAllFourWays() throws Exception {
        List<Violation> vs = check("broken.Dockerfile");
        assertEquals(Map.of("pinned-base", List.of(7), "copy-from", List.of(9), "non-root", List.of(11),
                "exec-form", List.of(14)), byRule(vs), vs.toString());
        String all = vs.toString();
        assertTrue(all.contains("COPY --from=biuld names no earlier stage (earlier stages: build)"), all);
        assertTrue(all.contains("FROM ubuntu:latest: the \"latest\" tag moves"), all);
        assertTrue(all.contains("runs as USER root"), all);
        assertTrue(all.contains("ENTRYPOINT is in shell form (java -jar /opt/app/app.jar)"), all);
    }

    @Test
    void untaggedBasesAndRootByUid() throws Exception {
        List<Violation> vs = check("untagged.Dockerfile");
        assertEquals(Map.of("pinned-base", List.of(3, 5), "copy-from", List.of(7), "non-root", List.of(8)), byRule(vs),
                vs.toString());
        assertTrue(vs.get(1).message().contains("an ARG without a default"), vs.get(1).message());
    }

    @Test
    void longRunningEntrypointNeedsARealHealthcheck() throws Exception {
        List<Violation> vs = check("serve-no-healthcheck.Dockerfile");
        assertEquals(Map.of("healthcheck", List.of(5)), byRule(vs), vs.toString());
        assertEquals("serve", DockerfileRules.command(DockerfileModel.read(Repo.fixture("serve-no-healthcheck.Dockerfile"))
                .finalStage()));
    }

    @Test
    void noUserNoHealthcheckDecisionAndAMissingJar() throws Exception {
        List<Violation> vs = check("no-decision.Dockerfile");
        assertEquals(Map.of("non-root", List.of(2), "healthcheck", List.of(2), "entrypoint-file", List.of(3)), byRule(vs),
                vs.toString());
    }

    @Test
    void aCorrectDockerfilePasses() throws Exception {
        assertEquals(List.of(), check("good.Dockerfile"));
        DockerfileModel df = DockerfileModel.read(Repo.fixture("good.Dockerfile"));
        assertEquals("eclipse-temurin:17-jre", df.finalStage().image(), "global ARG default substituted");
        assertEquals("$BUILDPLATFORM", df.stages().get(0).from().flags().get("platform"));
        assertTrue(df.stages().get(0).last("RUN").args().contains("&& echo built > target/app.jar"),
                "continuation joined, comment inside it dropped: " + df.stages().get(0).last("RUN").args());
    }

    @Test
    void contextChecksWhenBuiltFromTheRepository() throws Exception {
        // good.Dockerfile has no <name>.dockerignore next to it; serve-no-healthcheck.Dockerfile copies app/, which the
        // repository does not have.
        List<Violation> good = DockerfileRules.check(DockerfileModel.read(Repo.fixture("good.Dockerfile")), Repo.root());
        assertEquals(Map.of("context-filter", List.of(1)), byRule(good), good.toString());
        List<Violation> serve = DockerfileRules.check(DockerfileModel.read(Repo.fixture("serve-no-healthcheck.Dockerfile")),
                Repo.root());
        assertEquals(Map.of("context-filter", List.of(1), "context-path", List.of(3), "healthcheck", List.of(5)),
                byRule(serve), serve.toString());
    }

    @Test
    void pinning() {
        assertNull(DockerfileRules.pinProblem("nvidia/cuda:13.1.1-devel-ubuntu24.04"));
        assertNull(DockerfileRules.pinProblem("registry.example:5000/team/image:1.2"));
        assertTrue(DockerfileRules.pinProblem("registry.example:5000/team/image").startsWith("no tag"));
        assertNull(DockerfileRules.pinProblem("ubuntu@sha256:0123"));
        assertTrue(DockerfileRules.pinProblem("ubuntu:LATEST").contains("latest"));
    }
}
