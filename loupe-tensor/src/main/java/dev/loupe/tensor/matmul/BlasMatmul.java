package dev.loupe.tensor.matmul;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Single-precision GEMM by the system's CBLAS (OpenBLAS on Linux, Accelerate on macOS), called
 * through the Foreign Function &amp; Memory API with no JNI and no copies: the downcalls are linked
 * with {@code Linker.Option.critical(true)}, which lets a heap {@code float[]} (as
 * {@code MemorySegment.ofArray(arr).asSlice(off · 4)}) be passed as a pointer for the duration of
 * the call. The price of a critical call is that the JVM cannot reach a safepoint on this thread
 * until BLAS returns (a garbage collection waits for the product), acceptable for products of
 * milliseconds; copying GPT-2-sized operands off-heap would cost more than the product.
 *
 * <p>Single-row products (m = 1, KV-cache decoding) do not go to BLAS but to the pure-Java
 * matrix–vector kernels ({@link Gemv}, through {@link JavaMatmul}): OpenBLAS's sgemm with M = 1 is
 * about 5× slower than its sgemv, and its sgemv, fast alone on a quiet machine, is the slowest and
 * least steady part of decoding on a busy one (its worker threads, another pool beside Loupe's,
 * measured 4–10 GB/s against the Java kernel's 18–28 GB/s on the same matrices at load average 20;
 * docs/performance.md). With this, decoding runs on one thread pool and its result does not depend
 * on the thread count. OpenBLAS's own thread pool is set to {@link Parallel#threads()} so that both
 * backends use the same number of cores, and its kernels are chosen for the CPU before it loads
 * ({@link OpenBlasCoreType}: the AVX-512 ones on an AVX-512 CPU).
 *
 * <p>Create with {@link #load()}, which returns empty when no library is found.
 */
public final class BlasMatmul implements MatmulBackend {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    /** Single-row products: the pure-Java matrix–vector kernels (see the class comment). */
    private static final JavaMatmul SINGLE_ROW = new JavaMatmul();

    private final MethodHandle sgemm;
    private final String library;
    private final String coreName;
    private final int threadTimeout;

    private BlasMatmul(MethodHandle sgemm, String library, String coreName, int threadTimeout) {
        this.sgemm = sgemm;
        this.coreName = coreName;
        this.library = library;
        this.threadTimeout = threadTimeout;
    }

    /** The BLAS library found on this system, or empty (see {@link #searched()} for where it looked). */
    public static Optional<BlasMatmul> load() {
        return Holder.INSTANCE;
    }

    /**
     * Where {@link #load()} looks for a CBLAS library, in order: {@code LOUPE_BLAS} (or the system
     * property {@code loupe.blas}) alone when set, else the usual OpenBLAS/Accelerate locations.
     */
    public static List<String> searched() {
        return Holder.CANDIDATES;
    }

    /** Why the library could not be loaded (empty when it was). */
    public static String failure() {
        return Holder.failure;
    }

    /** The file or name of the library in use, e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0. */
    public String library() {
        return library;
    }

    /** OpenBLAS's name for the kernels it runs (e.g. "SkylakeX", "Haswell"), or "" for another BLAS. */
    public String coreName() {
        return coreName;
    }

    /**
     * The thread timeout OpenBLAS read from {@code OPENBLAS_THREAD_TIMEOUT} as it loaded (its workers
     * spin 2ⁿ cycles after a product; 0 = unset, OpenBLAS's default 28), or −1 for another BLAS.
     * See {@link OpenBlasThreadTimeout}.
     */
    public int threadTimeout() {
        return threadTimeout;
    }

    @Override
    public String name() {
        return "blas";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (m == 1) {
            SINGLE_ROW.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS,
                    m, n, k, alpha, slice(a, aOff), lda, slice(b, bOff), ldb, beta, slice(c, cOff), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("BLAS call failed: " + t, t);
        }
    }

    private static MemorySegment slice(float[] arr, int off) {
        MemorySegment s = MemorySegment.ofArray(arr);
        return off == 0 ? s : s.asSlice((long) off * Float.BYTES);
    }

    /** Lazy, once-per-JVM loading: the library either loads on first use or is reported absent. */
    private static final class Holder {
        static final List<String> CANDIDATES = candidates();
        static String failure = "";
        static final Optional<BlasMatmul> INSTANCE = tryLoad();

        private static List<String> candidates() {
            List<String> c = new ArrayList<>();
            String env = System.getProperty("loupe.blas", System.getenv("LOUPE_BLAS"));
            if (env != null && !env.isBlank()) return List.of(env.trim()); // an explicit choice: only that
            String os = System.getProperty("os.name", "").toLowerCase();
            if (os.contains("mac")) {
                c.add("/System/Library/Frameworks/Accelerate.framework/Accelerate");
                c.add("libcblas.dylib");
                c.add("/opt/homebrew/opt/openblas/lib/libopenblas.dylib");
                c.add("/usr/local/opt/openblas/lib/libopenblas.dylib");
            } else {
                for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
                    c.add(dir + "/libopenblas.so.0");
                    c.add(dir + "/openblas-pthread/libopenblas.so.0");
                    c.add(dir + "/openblas-openmp/libopenblas.so.0");
                }
                c.add("libopenblas.so.0");
                c.add("libopenblas.so");
            }
            return List.copyOf(c);
        }

        private static Optional<BlasMatmul> tryLoad() {
            OpenBlasCoreType.applyBeforeLoading();                       // OPENBLAS_CORETYPE, read by OpenBLAS as it loads
            OpenBlasThreadTimeout.applyBeforeLoading();                  // OPENBLAS_THREAD_TIMEOUT, likewise
            Linker linker = Linker.nativeLinker();
            StringBuilder why = new StringBuilder();
            for (String cand : CANDIDATES) {
                boolean isPath = cand.contains("/");
                if (isPath && !Files.exists(Path.of(cand))) {
                    if (CANDIDATES.size() == 1) why.append(cand).append(": no such file");
                    continue;
                }
                try {
                    SymbolLookup lib = isPath ? SymbolLookup.libraryLookup(Path.of(cand), Arena.global())
                            : SymbolLookup.libraryLookup(cand, Arena.global());
                    Optional<MemorySegment> gemm = lib.find("cblas_sgemm");
                    if (gemm.isEmpty()) {
                        why.append(cand).append(": no cblas_sgemm; ");
                        continue;
                    }
                    Linker.Option critical = Linker.Option.critical(true);
                    MethodHandle sgemm = linker.downcallHandle(gemm.get(), FunctionDescriptor.ofVoid(
                            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT,
                            ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT), critical);
                    lib.find("openblas_set_num_threads").ifPresent(f -> {
                        try {
                            linker.downcallHandle(f, FunctionDescriptor.ofVoid(JAVA_INT)).invokeExact(Parallel.threads());
                        } catch (Throwable t) {
                            throw new LoupeException("openblas_set_num_threads failed in " + cand, t);
                        }
                    });
                    return Optional.of(new BlasMatmul(sgemm, cand, coreName(lib, linker), threadTimeout(lib, linker)));
                } catch (IllegalArgumentException | IllegalCallerException e) {
                    why.append(cand).append(": ").append(e.getMessage()).append("; ");
                }
            }
            failure = why.isEmpty() ? "none of them exists" : why.toString().replaceAll("; $", "");
            return Optional.empty();
        }

        /** What OpenBLAS read from OPENBLAS_THREAD_TIMEOUT ({@code openblas_thread_timeout}), or −1 for another BLAS. */
        private static int threadTimeout(SymbolLookup lib, Linker linker) {
            Optional<MemorySegment> f = lib.find("openblas_thread_timeout");
            if (f.isEmpty()) return -1;
            try {
                return (int) linker.downcallHandle(f.get(), FunctionDescriptor.of(JAVA_INT)).invokeExact();
            } catch (Throwable t) {
                return -1;
            }
        }

        /** OpenBLAS's name for the kernels it chose ({@code openblas_get_corename}), or "" for another BLAS. */
        private static String coreName(SymbolLookup lib, Linker linker) {
            Optional<MemorySegment> f = lib.find("openblas_get_corename");
            if (f.isEmpty()) return "";
            try {
                MemorySegment name = (MemorySegment) linker.downcallHandle(f.get(), FunctionDescriptor.of(ADDRESS)).invokeExact();
                return name.equals(MemorySegment.NULL) ? "" : name.reinterpret(64).getString(0);
            } catch (Throwable t) {
                return "";
            }
        }
    }
}
