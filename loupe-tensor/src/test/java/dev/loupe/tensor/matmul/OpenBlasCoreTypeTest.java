package dev.loupe.tensor.matmul;

import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The choice of OpenBLAS kernels: every branch of the decision, and that OpenBLAS runs what was chosen. */
class OpenBlasCoreTypeTest {
    private static final Set<String> AVX512 = Set.of("sse2", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl");
    private static final Set<String> AVX2 = Set.of("sse2", "avx2", "fma");

    @Test
    void autoPicksSkylakeXOnAnAvx512CpuEvenWhenTheEnvironmentSaysHaswell() {
        assertThat(OpenBlasCoreType.decide(null, null, AVX512).set()).contains("SkylakeX");
        OpenBlasCoreType.Choice c = OpenBlasCoreType.decide("auto", "Haswell", AVX512);
        assertThat(c.set()).contains("SkylakeX");
        assertThat(c.reason()).contains("OPENBLAS_CORETYPE=Haswell replaced").contains("LOUPE_BLAS_CORETYPE=keep");
    }

    @Test
    void autoLeavesTheEnvironmentAloneWithoutAvx512OrWhenItAlreadyNamesAnAvx512Type() {
        assertThat(OpenBlasCoreType.decide(null, "Haswell", AVX2).set()).isEmpty();
        assertThat(OpenBlasCoreType.decide(null, null, Set.of()).set()).isEmpty();
        assertThat(OpenBlasCoreType.decide(null, "SapphireRapids", AVX512).set()).isEmpty();
        assertThat(OpenBlasCoreType.decide(null, "cooperlake", AVX512).set()).isEmpty();
        // one AVX-512 flag missing (e.g. Knights Landing has F but not BW/DQ/VL): not enough for SkylakeX
        assertThat(OpenBlasCoreType.decide(null, null, Set.of("avx512f", "avx2")).set()).isEmpty();
    }

    @Test
    void keepAndAnExplicitNameAreObeyed() {
        assertThat(OpenBlasCoreType.decide("keep", "Haswell", AVX512)).isEqualTo(
                new OpenBlasCoreType.Choice(Optional.empty(), "LOUPE_BLAS_CORETYPE=keep (OPENBLAS_CORETYPE=Haswell)"));
        assertThat(OpenBlasCoreType.decide(" Zen ", "Haswell", AVX512).set()).contains("Zen");
        assertThat(OpenBlasCoreType.decide("", null, AVX512).set()).contains("SkylakeX");      // blank = auto
    }

    @Test
    void openBlasRunsTheChosenKernels() {
        assumeTrue(BlasMatmul.load().isPresent(), "no OpenBLAS on this machine");
        BlasMatmul blas = BlasMatmul.load().orElseThrow();
        assumeTrue(!blas.coreName().isEmpty(), "the BLAS library is not OpenBLAS");
        String setting = System.getProperty("loupe.blas.coretype", System.getenv("LOUPE_BLAS_CORETYPE"));
        assumeTrue(setting == null || setting.isBlank() || setting.equalsIgnoreCase("auto"), "LOUPE_BLAS_CORETYPE is set");
        assumeTrue(OpenBlasCoreType.cpuFlags().containsAll(Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl")),
                "this CPU has no AVX-512");
        assertThat(blas.coreName().toLowerCase(Locale.ROOT)).isIn(OpenBlasCoreType.AVX512_TYPES);
        String env = System.getenv("OPENBLAS_CORETYPE");
        if (env == null || !OpenBlasCoreType.AVX512_TYPES.contains(env.toLowerCase(Locale.ROOT))) {
            assertThat(OpenBlasCoreType.forPeers()).containsEntry("OPENBLAS_CORETYPE", "SkylakeX");   // the peer runs them too
        }
    }
}
