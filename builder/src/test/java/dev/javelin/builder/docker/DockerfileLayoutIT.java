package dev.javelin.builder.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.docker.DockerfileModel.Instruction;
import dev.javelin.builder.docker.DockerfileModel.Stage;
import dev.javelin.builder.docker.DockerfileRules.Violation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs after {@code package} (failsafe): the paths the Dockerfiles copy from their build stage are what this Maven
 * build really produced, and that output is a working distribution (the jar's Class-Path is exactly lib/).
 */
class DockerfileLayoutIT {
    private static final Path TARGET = Repo.root().resolve("builder/target");

    @Test
    void theDistributionIsSelfContained() throws Exception {
        Path jar = TARGET.resolve("javelin.jar");
        assertTrue(Files.isRegularFile(jar), jar + " (builder's package phase)");
        Manifest mf;
        try (JarFile j = new JarFile(jar.toFile())) {
            mf = j.getManifest();
            String main = mf.getMainAttributes().getValue("Main-Class");
            assertEquals("dev.javelin.builder.cli.Main", main);
            assertNotNull(j.getEntry(main.replace('.', '/') + ".class"), "Main-Class is in the jar");
        }
        Set<String> classPath = Arrays.stream(mf.getMainAttributes().getValue("Class-Path").trim().split("\\s+"))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> lib;
        try (Stream<Path> s = Files.list(TARGET.resolve("lib"))) {
            lib = s.map(p -> "lib/" + p.getFileName()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(classPath, lib, "javelin.jar's Class-Path and builder/target/lib");
        assertTrue(lib.stream().anyMatch(l -> l.startsWith("lib/javelin-runtime-")), lib.toString());
        assertTrue(lib.stream().anyMatch(l -> l.contains("linux-arm64")), "arm64 natives ride along for the Jetson image");
    }

    @Test
    void everyDockerfileCopiesWhatTheBuildProduced() throws Exception {
        for (Path f : Repo.dockerfiles()) {
            DockerfileModel df = DockerfileModel.read(f);
            assertEquals(List.of(), DockerfileRules.checkBuildOutput(df, Repo.root()), f.toString());

            // The jar the entrypoint runs finds its Class-Path: lib/ sits next to it in the image.
            Stage last = df.finalStage();
            Instruction jarCopy = DockerfileRules.copyDestination(last, "/opt/javelin/javelin.jar");
            assertNotNull(jarCopy, f + ": copies javelin.jar to /opt/javelin/javelin.jar");
            assertEquals("/src/builder/target/javelin.jar", jarCopy.words().get(0), f.toString());
            Instruction libCopy = last.all("COPY").stream()
                    .filter(i -> i.words().get(0).equals("/src/builder/target/lib/")).findFirst().orElseThrow();
            assertEquals("/opt/javelin/lib/", libCopy.words().get(1), f + ": lib/ next to the jar");
        }
    }

    @Test
    void copiesOfPathsTheBuildDoesNotMakeAreReported() throws Exception {
        List<Violation> vs = DockerfileRules.checkBuildOutput(DockerfileModel.read(Repo.fixture("wrong-output.Dockerfile")),
                Repo.root());
        assertEquals(List.of(9, 10, 11), vs.stream().map(Violation::line).toList(), vs.toString());
        assertTrue(vs.get(0).message().contains("the Maven build produces no builder/target/javelin-all.jar"), vs.toString());
        assertTrue(vs.get(2).message().contains("no RUN of that stage makes it"), vs.toString());
    }
}
