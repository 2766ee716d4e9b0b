package dev.javelin.builder.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the repository and its Dockerfiles are, seen from builder's tests (which run in builder/). */
final class Repo {
    private Repo() {
    }

    static Path root() {
        Path builder = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        Path root = builder.getParent();
        if (!Files.isRegularFile(root.resolve("docker/Dockerfile")) || !Files.isRegularFile(root.resolve("pom.xml"))) {
            throw new IllegalStateException("expected the repository root (with docker/Dockerfile) above " + builder);
        }
        return root;
    }

    /** Every Dockerfile in docker/ ({@code Dockerfile}, {@code Dockerfile.*} but not their .dockerignore files). */
    static List<Path> dockerfiles() throws IOException {
        try (Stream<Path> s = Files.list(root().resolve("docker"))) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return (n.equals("Dockerfile") || n.startsWith("Dockerfile.")) && !n.endsWith(".dockerignore");
            }).sorted().toList();
        }
    }

    static Path fixture(String name) throws Exception {
        return Path.of(Repo.class.getResource("/docker/" + name).toURI());
    }
}
