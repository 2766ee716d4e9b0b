package dev.javelin.bindings.trt;

import com.sun.jna.Function;
import com.sun.jna.Native;
import java.lang.reflect.Method;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases C++ objects that TensorRT allocated, the way C++ code does: {@code delete obj}.
 *
 * <h2>Why this is needed</h2>
 * TensorRT 10 removed {@code destroy()}; its headers tell callers to {@code delete} what {@code create*}
 * returned. The bytedeco preset wraps those objects without a deallocator (javacpp-presets #1699), so
 * {@code Pointer.close()} frees nothing, and its generated {@code delete} helpers are private to the JNI
 * library. Javelin therefore performs the {@code delete} itself.
 *
 * <h2>Why calling vtable slot N with {@code this} is exactly {@code delete obj}</h2>
 * <ol>
 *   <li>For a class with a virtual destructor, {@code delete p} compiles (Itanium C++ ABI, which GCC and
 *       Clang use on Linux x86-64 and AArch64) to a virtual call of the <em>deleting destructor</em> read
 *       from {@code p}'s vtable. That function, emitted with the dynamic type inside libnvinfer, runs the
 *       destructors of the whole object and then the {@code operator delete} matching the allocation, so the
 *       memory goes back to the allocator that made it. Javelin makes the same call.</li>
 *   <li>Itanium ABI §2.5.2 / §3.2.3: a virtual destructor occupies two consecutive vtable entries at the
 *       place of its declaration among the class's virtual functions, the complete-object destructor
 *       ("D1") then the deleting destructor ("D0"); a derived class's vtable starts with its primary base's
 *       entries and overriding reuses them. The vtable pointer is the first word of the object, and the
 *       address point it holds is entry 0.</li>
 *   <li>TensorRT 10.15 headers ({@code NvInferRuntime.h}, {@code NvInfer.h}): {@code INoCopy}'s only virtual
 *       function is {@code virtual ~INoCopy()}, and {@code IRuntime}, {@code ICudaEngine},
 *       {@code IExecutionContext}, {@code IHostMemory}, {@code IBuilder}, {@code IBuilderConfig},
 *       {@code INetworkDefinition}, {@code IRuntimeConfig} derive from it alone and declare only
 *       {@code virtual ~IXxx()} before any other virtual function. So D1 is entry 0 and D0 entry 1
 *       ({@link TrtAbi#INOCOPY_DELETING_DESTRUCTOR}).</li>
 *   <li>{@code nvonnxparser::IParser} ({@code NvOnnxParser.h}) has no base and declares eight virtual
 *       functions before {@code virtual ~IParser()} ({@code parse}, {@code parseFromFile},
 *       {@code supportsModel}, {@code parseWithWeightDescriptors}, {@code supportsOperator},
 *       {@code getNbErrors}, {@code getError}, {@code clearErrors}): D1 is entry 8, D0 entry 9, identical in
 *       10.0 and 10.15; TensorRT 11 dropped two of them ({@link TrtAbi#parserDeletingDestructor}).</li>
 *   <li>A member function receives {@code this} as its first, implicit argument, in the register a C
 *       function's first pointer argument uses (rdi on x86-64, x0 on AArch64), and D0 returns nothing. All
 *       these classes use single inheritance, so the pointer TensorRT returned needs no adjustment. A JNA
 *       {@link Function} over entry N, invoked with the object's address, is therefore {@code delete obj}.</li>
 * </ol>
 * The test build proves the mechanism on a g++-compiled hierarchy of the same shape
 * ({@code DeletingDestructorTest}): the destructor runs once and the class's own {@code operator delete}
 * (reached only through D0) frees the object.
 */
final class CppObjects {
    private static final Logger LOG = LoggerFactory.getLogger(CppObjects.class);
    private static final Method DEALLOCATOR = deallocatorAccessor();

    private CppObjects() {
    }

    /**
     * Deletes the C++ object at {@code object} through the deleting destructor at vtable entry
     * {@code deletingDestructorSlot}. The caller owned the object and must not use it again.
     */
    static void deleteVirtual(long object, int deletingDestructorSlot) {
        if (object == 0) {
            return;
        }
        if (deletingDestructorSlot < 0) {
            throw new IllegalArgumentException("invalid vtable slot " + deletingDestructorSlot);
        }
        com.sun.jna.Pointer self = new com.sun.jna.Pointer(object);
        com.sun.jna.Pointer vtable = self.getPointer(0);
        com.sun.jna.Pointer deleting = vtable.getPointer((long) deletingDestructorSlot * Native.POINTER_SIZE);
        Function.getFunction(deleting, Function.C_CONVENTION).invokeVoid(new Object[] {self});
    }

    /**
     * Deletes what {@code pointer} points to and nulls it. If a future preset attaches a JavaCPP
     * deallocator (the fix for #1699), that deallocator is used instead, so the object is never freed twice.
     */
    static void delete(Pointer pointer, int deletingDestructorSlot) {
        if (pointer == null || pointer.isNull()) {
            return;
        }
        if (hasDeallocator(pointer)) {
            pointer.deallocate();
            return;
        }
        long address = pointer.address();
        pointer.setNull();
        deleteVirtual(address, deletingDestructorSlot);
    }

    private static boolean hasDeallocator(Pointer pointer) {
        if (DEALLOCATOR == null) {
            return false;
        }
        try {
            return DEALLOCATOR.invoke(pointer) != null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static Method deallocatorAccessor() {
        try {
            Method m = Pointer.class.getDeclaredMethod("deallocator");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without access (javacpp on the module path) the 1.5.13 behaviour is known: no deallocator.
            LOG.debug("cannot inspect JavaCPP deallocators ({}); deleting through the vtable", e.toString());
            return null;
        }
    }
}
