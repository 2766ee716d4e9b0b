package dev.javelin.builder.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile read the way BuildKit reads it, as far as Javelin's checks need: comment and parser-directive
 * lines dropped, backslash continuations joined, each instruction with its leading {@code --flags}, the build
 * stages split at {@code FROM}, and the global {@code ARG} defaults substituted into {@code FROM}.
 */
record DockerfileModel(Path file, List<Stage> stages, Map<String, String> globalArgs) {

    /**
     * One instruction.
     *
     * @param line    1-based line where it starts
     * @param keyword upper-case instruction, e.g. {@code COPY}
     * @param flags   leading {@code --name=value} flags (a flag without a value maps to {@code ""})
     * @param args    the rest of the instruction, flags removed
     */
    record Instruction(int line, String keyword, Map<String, String> flags, String args) {
        /** Whether {@link #args} is a JSON array (exec form). */
        boolean execForm() {
            return DockerfileModel.jsonArray(args) != null;
        }

        /** The exec-form array, or the shell-form words split on blanks. */
        List<String> words() {
            List<String> a = DockerfileModel.jsonArray(args);
            return a != null ? a : List.of(args.trim().split("\\s+"));
        }
    }

    /**
     * One build stage.
     *
     * @param index        0-based
     * @param name         the {@code AS} name in lower case, or {@code null}
     * @param image        the {@code FROM} image with global ARGs substituted
     * @param from         the {@code FROM} instruction
     * @param instructions the stage's instructions after {@code FROM}
     */
    record Stage(int index, String name, String image, Instruction from, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        Instruction last(String keyword) {
            List<Instruction> l = all(keyword);
            return l.isEmpty() ? null : l.get(l.size() - 1);
        }

        /** The stage's working directory for relative paths: its last {@code WORKDIR}, else {@code /}. */
        String workdir() {
            Instruction w = last("WORKDIR");
            return w == null ? "/" : w.args().trim();
        }

        String label() {
            return name != null ? "stage '" + name + "'" : "stage " + index;
        }
    }

    Stage finalStage() {
        return stages.get(stages.size() - 1);
    }

    /** The stage a {@code COPY --from} or {@code FROM} names, if it names an earlier one. */
    Stage stageNamed(String ref, int before) {
        String r = ref.toLowerCase(Locale.ROOT);
        for (Stage s : stages) {
            if (s.index() < before && (r.equals(s.name()) || r.equals(Integer.toString(s.index())))) {
                return s;
            }
        }
        return null;
    }

    static DockerfileModel read(Path file) throws IOException {
        return parse(file, Files.readString(file));
    }

    private static final Pattern FLAG = Pattern.compile("^--([A-Za-z][A-Za-z0-9-]*)(?:=(\\S*))?\\s*");
    private static final Pattern VAR = Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)\\}|([A-Za-z_][A-Za-z0-9_]*))");

    static DockerfileModel parse(Path file, String text) {
        List<Instruction> instructions = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        StringBuilder current = null;
        int start = 0;
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i];
            String trimmed = raw.strip();
            if (trimmed.startsWith("#") || (current == null && trimmed.isEmpty())) {
                continue; // comments (and parser directives) vanish, also inside a continued instruction
            }
            if (current == null) {
                current = new StringBuilder();
                start = i + 1;
            }
            boolean continues = trimmed.endsWith("\\");
            current.append(continues ? trimmed.substring(0, trimmed.length() - 1) : trimmed).append(' ');
            if (!continues) {
                instructions.add(instruction(start, current.toString().strip()));
                current = null;
            }
        }
        if (current != null) {
            instructions.add(instruction(start, current.toString().strip()));
        }

        Map<String, String> globalArgs = new LinkedHashMap<>();
        List<Stage> stages = new ArrayList<>();
        List<Instruction> body = null;
        for (Instruction in : instructions) {
            if (in.keyword().equals("FROM")) {
                String[] w = in.args().trim().split("\\s+");
                String image = substitute(w[0], globalArgs);
                String name = w.length >= 3 && w[1].equalsIgnoreCase("AS") ? w[2].toLowerCase(Locale.ROOT) : null;
                body = new ArrayList<>();
                stages.add(new Stage(stages.size(), name, image, in, body));
            } else if (body == null) {
                if (in.keyword().equals("ARG")) {
                    String a = in.args().trim();
                    int eq = a.indexOf('=');
                    globalArgs.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? null : unquote(a.substring(eq + 1)));
                }
            } else {
                body.add(in);
            }
        }
        if (stages.isEmpty()) {
            throw new IllegalArgumentException(file + ": no FROM instruction");
        }
        return new DockerfileModel(file, List.copyOf(stages), globalArgs);
    }

    private static Instruction instruction(int line, String text) {
        int sp = text.indexOf(' ');
        String keyword = (sp < 0 ? text : text.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : text.substring(sp + 1).strip();
        Map<String, String> flags = new LinkedHashMap<>();
        Matcher m = FLAG.matcher(rest);
        while (m.find()) {
            flags.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2) == null ? "" : m.group(2));
            rest = rest.substring(m.end());
            m = FLAG.matcher(rest);
        }
        return new Instruction(line, keyword, flags, rest);
    }

    /** Global ARG defaults substituted; a variable without a default stays as written (the rules report it). */
    static String substitute(String s, Map<String, String> args) {
        Matcher m = VAR.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String v = args.get(name);
            m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String unquote(String v) {
        String t = v.strip();
        return t.length() >= 2 && (t.startsWith("\"") && t.endsWith("\"") || t.startsWith("'") && t.endsWith("'"))
                ? t.substring(1, t.length() - 1) : t;
    }

    /** A JSON array of strings, or {@code null} if {@code s} is not one (exec form vs shell form). */
    static List<String> jsonArray(String s) {
        String t = s.strip();
        if (!t.startsWith("[") || !t.endsWith("]")) {
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(t);
            if (!n.isArray()) {
                return null;
            }
            List<String> out = new ArrayList<>();
            for (com.fasterxml.jackson.databind.JsonNode e : n) {
                if (!e.isTextual()) {
                    return null;
                }
                out.add(e.asText());
            }
            return out;
        } catch (IOException e) {
            return null;
        }
    }
}
