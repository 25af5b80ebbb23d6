package dev.loupe.tensor.matmul;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** OpenBLAS's thread timeout: Loupe's default unless the environment chose, and OpenBLAS reads it. */
class OpenBlasThreadTimeoutTest {
    @Test
    void loupeSetsItsDefaultOnlyWhenTheEnvironmentHasNone() {
        assertThat(OpenBlasThreadTimeout.decide(null)).contains("20");
        assertThat(OpenBlasThreadTimeout.decide(" ")).contains("20");
        assertThat(OpenBlasThreadTimeout.decide("28")).isEmpty();
        assertThat(OpenBlasThreadTimeout.decide("4")).isEmpty();
    }

    @Test
    void openBlasReadsTheTimeoutLoupeSet() {
        assumeTrue(BlasMatmul.load().isPresent(), "no OpenBLAS on this machine");
        BlasMatmul blas = BlasMatmul.load().orElseThrow();
        assumeTrue(blas.threadTimeout() >= 0, "the BLAS library is not OpenBLAS");
        String env = System.getenv(OpenBlasThreadTimeout.VARIABLE);
        if (env == null || env.isBlank()) {
            assertThat(blas.threadTimeout()).isEqualTo(OpenBlasThreadTimeout.LOUPE_DEFAULT);
            assertThat(OpenBlasThreadTimeout.describe()).contains("OPENBLAS_THREAD_TIMEOUT=20").contains("Loupe's default");
        } else {
            assertThat(OpenBlasThreadTimeout.describe()).contains("from the environment");
        }
    }
}
