package dev.javelin.bindings.trt;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The methods a compiled class refers to, read from its constant pool (JVMS §4.4): every
 * {@code CONSTANT_Methodref} / {@code CONSTANT_InterfaceMethodref} with its owner, name and descriptor. A call
 * the code makes is always one of these entries, so scanning them finds every call without running anything.
 */
final class ClassFileRefs {
    /** A method reference: owner in internal form ({@code org/bytedeco/tensorrt/nvinfer/IBuilder}), name, descriptor. */
    record MethodRef(String referrer, String owner, String name, String descriptor) {
        /** Simple name of the owner class. */
        String ownerSimpleName() {
            return owner.substring(owner.lastIndexOf('/') + 1);
        }

        /** Number of parameters in the descriptor. */
        int parameterCount() {
            int n = 0;
            int i = 1;
            while (descriptor.charAt(i) != ')') {
                char c = descriptor.charAt(i);
                while (c == '[') {
                    c = descriptor.charAt(++i);
                }
                if (c == 'L') {
                    i = descriptor.indexOf(';', i);
                }
                i++;
                n++;
            }
            return n;
        }
    }

    private ClassFileRefs() {
    }

    /** Every method reference of every {@code .class} file under {@code dir}. */
    static List<MethodRef> scan(Path dir) throws IOException {
        List<MethodRef> refs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                try (InputStream in = Files.newInputStream(f)) {
                    refs.addAll(read(dir.relativize(f).toString(), in));
                }
            }
        }
        return refs;
    }

    static List<MethodRef> read(String referrer, InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        if (data.readInt() != 0xCAFEBABE) {
            throw new IOException(referrer + " is not a class file");
        }
        data.readUnsignedShort(); // minor
        data.readUnsignedShort(); // major
        int count = data.readUnsignedShort();
        String[] utf8 = new String[count];
        int[] classNameIndex = new int[count];
        int[][] nameAndType = new int[count][];
        List<int[]> methodRefs = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = data.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = data.readUTF();
                case 7 -> classNameIndex[i] = data.readUnsignedShort();
                case 10, 11 -> methodRefs.add(new int[] {data.readUnsignedShort(), data.readUnsignedShort()});
                case 12 -> nameAndType[i] = new int[] {data.readUnsignedShort(), data.readUnsignedShort()};
                case 9, 3, 4, 17, 18 -> data.readInt();
                case 5, 6 -> {
                    data.readLong();
                    i++; // 8-byte constants take two slots
                }
                case 8, 16, 19, 20 -> data.readUnsignedShort();
                case 15 -> {
                    data.readUnsignedByte();
                    data.readUnsignedShort();
                }
                default -> throw new IOException(referrer + ": unknown constant-pool tag " + tag + " at " + i);
            }
        }
        List<MethodRef> out = new ArrayList<>();
        for (int[] r : methodRefs) {
            int[] nt = nameAndType[r[1]];
            out.add(new MethodRef(referrer, utf8[classNameIndex[r[0]]], utf8[nt[0]], utf8[nt[1]]));
        }
        return out;
    }
}
