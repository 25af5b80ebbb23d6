package dev.loupe.tensor.matmul;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * This process's C environment ({@code environ}), which native libraries read with {@code getenv}:
 * Java's {@link System#getenv()} is a snapshot taken at start and cannot set anything, so settings
 * OpenBLAS reads as it loads go through libc's {@code setenv}.
 */
final class CEnvironment {
    private CEnvironment() {}

    /** {@code setenv(name, value, 1)}; false when libc has no setenv or it fails. */
    static boolean set(String name, String value) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> f = linker.defaultLookup().find("setenv");
        if (f.isEmpty()) return false;
        MethodHandle h = linker.downcallHandle(f.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            return (int) h.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 1) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
