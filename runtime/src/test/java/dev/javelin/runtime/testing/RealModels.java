package dev.javelin.runtime.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the real trained models fetched by {@code scripts/fetch-models.sh}. */
public final class RealModels {
    private RealModels() {
    }

    /**
     * {@code .models/<name>}: from the {@code javelin.models.dir} property if set, else the first
     * {@code .models} folder found walking up from the working directory (surefire runs in the module).
     */
    public static Path path(String name) {
        String dir = System.getProperty("javelin.models.dir");
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir).resolve(name);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(".models"))) {
                return p.resolve(".models").resolve(name);
            }
        }
        return Path.of(".models").resolve(name);
    }
}
