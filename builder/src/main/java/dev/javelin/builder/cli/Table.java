package dev.javelin.builder.cli;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns: text left-aligned, columns marked numeric right-aligned. */
public final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] numeric;

    /**
     * @param header  column titles
     * @param numeric which columns are right-aligned (may be shorter than the header)
     */
    public Table(String[] header, boolean... numeric) {
        this.numeric = new boolean[header.length];
        System.arraycopy(numeric, 0, this.numeric, 0, Math.min(numeric.length, header.length));
        rows.add(header.clone());
    }

    /** Adds a row; missing cells are blank. */
    public Table row(String... cells) {
        String[] r = new String[numeric.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = i < cells.length && cells[i] != null ? cells[i] : "";
        }
        rows.add(r);
        return this;
    }

    /** The table as lines, each starting with {@code indent}, without trailing blanks. */
    public List<String> lines(String indent) {
        int[] width = new int[numeric.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        List<String> out = new ArrayList<>();
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder(indent);
            for (int i = 0; i < r.length; i++) {
                String pad = " ".repeat(width[i] - r[i].length());
                sb.append(i == 0 ? "" : "  ").append(numeric[i] ? pad + r[i] : r[i] + pad);
            }
            out.add(sb.toString().stripTrailing());
        }
        return out;
    }
}
