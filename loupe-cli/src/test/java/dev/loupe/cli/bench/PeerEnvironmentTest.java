package dev.loupe.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The peer's environment and the kernels line of the benchmarks. */
class PeerEnvironmentTest {
    @Test
    void aCoreTypeOpenBlasDidNotTakeIsSaid() {
        assertThat(PeerEnvironment.notTaken("bogus", "Cooperlake")).contains("did not take 'bogus'").contains("Cooperlake");
        assertThat(PeerEnvironment.notTaken("SkylakeX", "SkylakeX")).isEmpty();
        assertThat(PeerEnvironment.notTaken("haswell", "Haswell")).isEmpty();          // OpenBLAS capitalises
        assertThat(PeerEnvironment.notTaken("", "Haswell")).isEmpty();                 // nothing asked
        assertThat(PeerEnvironment.notTaken("SkylakeX", "")).isEmpty();                // not OpenBLAS
    }

    @Test
    void thePeerGetsTheThreadCountAndLoupesCoreTypeButNotItsThreadTimeout() {
        ProcessBuilder pb = new ProcessBuilder("true");
        PeerEnvironment.apply(pb, 3);
        Map<String, String> env = pb.environment();
        assertThat(env).containsEntry("OPENBLAS_NUM_THREADS", "3").containsEntry("OMP_NUM_THREADS", "3");
        dev.loupe.tensor.matmul.OpenBlasCoreType.forPeers().forEach((k, v) -> assertThat(env).containsEntry(k, v));
        dev.loupe.tensor.matmul.Matmul.backend();                 // loaded: Loupe's own thread timeout is set
        if (System.getenv("OPENBLAS_THREAD_TIMEOUT") == null) assertThat(env).doesNotContainKey("OPENBLAS_THREAD_TIMEOUT");
        assertThat(PeerEnvironment.kernelsLine()).contains("Threads: ");
    }
}
