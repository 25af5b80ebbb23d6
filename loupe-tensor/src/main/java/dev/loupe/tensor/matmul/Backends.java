package dev.loupe.tensor.matmul;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the matrix-multiplication backend. {@code LOUPE_BACKEND=java|blas} (or the system
 * property {@code loupe.backend}) forces one; otherwise BLAS is used when a library loads and the
 * pure-Java Vector API backend when none does. Forcing {@code blas} where no library loads is a
 * {@link LoupeException} naming the places searched.
 */
public final class Backends {
    private Backends() {}

    /** The backend selected by the environment, as described above. */
    public static MatmulBackend fromEnvironment() {
        String v = System.getProperty("loupe.backend", System.getenv("LOUPE_BACKEND"));
        if (v == null || v.isBlank() || v.equalsIgnoreCase("auto")) {
            return BlasMatmul.load().<MatmulBackend>map(b -> b).orElseGet(JavaMatmul::new);
        }
        return byName(v.trim());
    }

    /** The backend called {@code name} ("java", "blas" or "reference"). */
    public static MatmulBackend byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "java" -> new JavaMatmul();
            case "reference" -> new ReferenceMatmul();
            case "blas" -> BlasMatmul.load().orElseThrow(() -> new LoupeException(
                    "matmul backend 'blas' requested but no CBLAS library loads; searched "
                            + String.join(", ", BlasMatmul.searched()) + " (" + BlasMatmul.failure()
                            + "); install one (e.g. 'apt-get install libopenblas0-pthread'), point LOUPE_BLAS at one, or use the java backend"));
            default -> throw new LoupeException("unknown matmul backend '" + name
                    + "' (LOUPE_BACKEND / loupe.backend): expected java, blas or auto");
        };
    }

    /** The fast backends usable on this machine: always "java", plus "blas" when a library loads. */
    public static List<MatmulBackend> available() {
        List<MatmulBackend> list = new ArrayList<>();
        list.add(new JavaMatmul());
        BlasMatmul.load().ifPresent(list::add);
        return List.copyOf(list);
    }

    /** One line for logs and benchmark output, e.g. "blas (/usr/lib/…/libopenblas.so.0, SkylakeX kernels), 2 threads". */
    public static String describe(MatmulBackend b) {
        String detail = switch (b) {
            case BlasMatmul blas -> "blas (" + blas.library() + (blas.coreName().isEmpty() ? "" : ", " + blas.coreName() + " kernels") + ")";
            case JavaMatmul j -> "java (Vector API, " + MicroKernel.S.vectorBitSize() + "-bit vectors, "
                    + MicroKernel.MR + "×" + MicroKernel.NR + " tiles)";
            default -> b.name();
        };
        return detail + ", " + Parallel.threads() + " thread" + (Parallel.threads() == 1 ? "" : "s");
    }
}
