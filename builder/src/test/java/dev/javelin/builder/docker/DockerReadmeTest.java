package dev.javelin.builder.docker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.docker.DockerfileModel.Instruction;
import dev.javelin.builder.docker.DockerfileModel.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docker/README.md (and its Platforms table) agrees with the Dockerfiles and the POM profiles. */
class DockerReadmeTest {
    private static String readme() throws Exception {
        return Files.readString(Repo.root().resolve("docker/README.md"));
    }

    private static String pom() throws Exception {
        return Files.readString(Repo.root().resolve("pom.xml"));
    }

    /** A property of the parent POM: the default, or the value inside profile {@code profile}. */
    private static String property(String pom, String profile, String name) {
        String scope = pom;
        if (profile != null) {
            Matcher p = Pattern.compile("<id>" + Pattern.quote(profile) + "</id>(.*?)</profile>", Pattern.DOTALL).matcher(pom);
            assertTrue(p.find(), "profile " + profile);
            scope = p.group(1);
        }
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(scope);
        assertTrue(m.find(), name + " in " + (profile == null ? "the POM" : profile));
        return m.group(1);
    }

    @Test
    void readmeNamesWhatTheDockerfilesUse() throws Exception {
        String readme = readme();
        String pom = pom();
        for (Path f : Repo.dockerfiles()) {
            String rel = "docker/" + f.getFileName();
            assertTrue(readme.contains("`" + rel + "`"), rel);
            DockerfileModel df = DockerfileModel.read(f);
            for (Stage s : df.stages()) {
                if (df.stageNamed(s.image(), s.index()) == null) {
                    assertTrue(readme.contains("`" + s.image() + "`"), rel + ": base " + s.image());
                }
                for (Instruction run : s.all("RUN")) {
                    Matcher m = Pattern.compile("-P([\\w,-]+)").matcher(run.args());
                    while (m.find()) {
                        for (String profile : m.group(1).split(",")) {
                            assertTrue(pom.contains("<id>" + profile + "</id>"), rel + ": profile " + profile + " in pom.xml");
                            assertTrue(readme.contains("-P" + profile), rel + ": profile " + profile + " in the README");
                        }
                    }
                }
            }
            Stage last = df.finalStage();
            for (Instruction env : last.all("ENV")) {
                Matcher m = Pattern.compile("([A-Z_][A-Z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher(env.args());
                while (m.find()) {
                    assertTrue(readme.contains("`" + m.group(1) + "`"), rel + ": variable " + m.group(1));
                    for (String token : m.group(2).replace("\"", "").split("\\s+")) {
                        assertTrue(readme.contains(token), rel + ": " + m.group(1) + " value " + token);
                    }
                }
            }
            for (Instruction vol : last.all("VOLUME")) {
                for (String v : vol.words()) {
                    assertTrue(readme.contains("`" + v + "`"), rel + ": volume " + v);
                }
            }
            assertTrue(readme.contains("`HEALTHCHECK NONE`"), "the health-check decision is explained");
        }
    }

    @Test
    void platformsTableAndNativeLinesMatchThePom() throws Exception {
        String readme = readme();
        String pom = pom();
        int table = readme.indexOf("## Platforms");
        assertTrue(table >= 0, "a Platforms section");
        String platforms = readme.substring(table);
        Set<String> rows = new LinkedHashSet<>();
        for (String line : platforms.split("\\R")) {
            if (line.startsWith("| ") && !line.startsWith("| platform") && !line.startsWith("|---")) {
                rows.add(line.substring(2, line.indexOf(" |", 2)));
            }
        }
        for (String expected : List.of("x86_64 servers", "Jetson Orin, JetPack 6", "Jetson Thor, JetPack 7", "CPU only")) {
            assertTrue(rows.stream().anyMatch(r -> r.startsWith(expected)), expected + " row in " + rows);
        }
        // The versions the README states for each line are the POM's.
        for (String profile : new String[] {null, "jetpack6"}) {
            String cuda = property(pom, profile, "cuda.preset.version");
            String trt = property(pom, profile, "tensorrt.preset.version");
            String ort = property(pom, profile, "onnxruntime.preset.version");
            if (profile != null) {
                assertTrue(readme.contains("`cuda:" + cuda + "`"), "cuda " + cuda);
                assertTrue(readme.contains("`tensorrt:" + trt + "`"), "tensorrt " + trt);
                assertTrue(readme.contains("`onnxruntime:" + ort + "`"), "onnxruntime " + ort);
                assertTrue(platforms.contains("bytedeco " + property(pom, profile, "javacpp.version")), profile);
            } else {
                assertTrue(readme.contains("`org.bytedeco:tensorrt:" + trt + ":linux-x86_64-redist`"), "redist " + trt);
                assertTrue(readme.contains("onnxruntime:" + ort + ":linux-x86_64-gpu"), "ORT gpu " + ort);
                assertTrue(platforms.contains("bytedeco " + property(pom, null, "javacpp.version")), "default line");
            }
        }
    }
}
