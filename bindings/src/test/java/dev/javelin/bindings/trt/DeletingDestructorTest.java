package dev.javelin.bindings.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.javelin.bindings.testing.NativeTestBuild;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves Javelin's release path for TensorRT objects without TensorRT: a g++-built library holds a
 * hierarchy shaped like TensorRT 10's interfaces ({@code src/test/native/trt_like.cpp}), and the same Java
 * code that releases TensorRT objects ({@link TrtObject} -> {@link CppObjects}) must destroy and free each
 * object exactly once, like C++ {@code delete}.
 */
class DeletingDestructorTest {
    private static NativeLibrary lib;

    @BeforeAll
    static void build() {
        lib = NativeLibrary.getInstance(NativeTestBuild.build("trt-like", "libtrtlike.so", "g++", "trt_like.cpp",
                List.of("-std=c++17")).toString());
    }

    @BeforeEach
    void reset() {
        call("mirror_reset");
    }

    private static int call(String name, Object... args) {
        return lib.getFunction(name).invokeInt(args);
    }

    private static long create(String factory) {
        return Pointer.nativeValue(lib.getFunction(factory).invokePointer(new Object[0]));
    }

    @Test
    void inoCopyInterfaceIsDeletedExactlyOnceThroughSlotOne() {
        long runtime = create("mirror_create_runtime");
        TrtObject<RawPointer> owner = new TrtObject<>(new RawPointer(runtime), "IRuntime-like",
                TrtAbi.INOCOPY_DELETING_DESTRUCTOR);
        owner.close();
        owner.close(); // idempotent: a second close must not delete again
        assertEquals(1, call("mirror_destructions"), "destructor runs once");
        assertEquals(1, call("mirror_deletions"), "the implementation's operator delete frees it once");
        assertEquals(0, call("mirror_wrong_calls"));
        IllegalStateException e = assertThrows(IllegalStateException.class, owner::get);
        assertTrue(e.getMessage().contains("IRuntime-like"), e.getMessage());
    }

    @Test
    void interfaceWithMoreVirtualsAfterTheDestructorUsesTheSameSlot() {
        long config = create("mirror_create_config");
        try (TrtObject<RawPointer> owner = new TrtObject<>(new RawPointer(config), "IBuilderConfig-like",
                TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
            assertEquals(0, call("mirror_deletions"));
            assertEquals(config, owner.get().address());
        }
        assertEquals(1, call("mirror_destructions"));
        assertEquals(1, call("mirror_deletions"));
        assertEquals(0, call("mirror_wrong_calls"));
    }

    @Test
    void parserLayoutOfTensorRt10HasItsDeletingDestructorAtSlotNine() {
        long parser = create("mirror_create_parser");
        new TrtObject<>(new RawPointer(parser), "IParser-like", TrtAbi.parserDeletingDestructor(10)).close();
        assertEquals(1, call("mirror_destructions"));
        assertEquals(1, call("mirror_deletions"));
        assertEquals(0, call("mirror_wrong_calls"), "no parser method may run");
    }

    @Test
    void slotBeforeTheDeletingDestructorOnlyDestroys() {
        // Entry 0 is the complete-object destructor: it runs the destructor but does not free, which is
        // what tells the two entries apart (and why slot 1, not 0, is `delete`).
        long runtime = create("mirror_create_runtime");
        CppObjects.deleteVirtual(runtime, 0);
        assertEquals(1, call("mirror_destructions"));
        assertEquals(0, call("mirror_deletions"));
    }

    @Test
    void javaReleaseMatchesCppDelete() {
        long viaCpp = create("mirror_create_runtime");
        lib.getFunction("mirror_cpp_delete_runtime").invokeVoid(new Object[] {new Pointer(viaCpp)});
        int destructionsByCpp = call("mirror_destructions");
        int deletionsByCpp = call("mirror_deletions");
        call("mirror_reset");
        long viaJava = create("mirror_create_runtime");
        CppObjects.delete(new RawPointer(viaJava), TrtAbi.INOCOPY_DELETING_DESTRUCTOR);
        assertEquals(destructionsByCpp, call("mirror_destructions"));
        assertEquals(deletionsByCpp, call("mirror_deletions"));
    }

    @Test
    void manyObjectsAreEachDeletedOnce() {
        for (int i = 0; i < 10_000; i++) {
            new TrtObject<>(new RawPointer(create("mirror_create_runtime")), "r", TrtAbi.INOCOPY_DELETING_DESTRUCTOR).close();
        }
        assertEquals(10_000, call("mirror_destructions"));
        assertEquals(10_000, call("mirror_deletions"));
    }

    @Test
    void nullAndUnknownLayoutsAreRefused() {
        CppObjects.delete(new RawPointer(0), 1); // nothing to delete, nothing happens
        assertEquals(0, call("mirror_destructions"));
        assertEquals(-1, TrtAbi.parserDeletingDestructor(9));
        assertEquals(7, TrtAbi.parserDeletingDestructor(11));
        assertThrows(IllegalArgumentException.class, () -> CppObjects.deleteVirtual(1234, -1));
    }
}
