package dev.loupe.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The {@code ./loupe} launcher refuses clearly when no JDK 25+ can be found. */
class LauncherTest {

    @Test
    void noSuitableJdkIsOneClearLine(@TempDir Path empty) throws Exception {
        Path launcher = Path.of("..", "loupe").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(launcher), "launcher script not found beside the module");
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is needed to run the launcher");
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", launcher.toString(), "--help");
        pb.environment().remove("JAVA_HOME");
        pb.environment().remove("LOUPE_JAVA_HOME");
        pb.environment().put("LOUPE_JDK_CANDIDATES", empty.toString());
        pb.redirectErrorStream(false);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(1);
        assertThat(out).isEmpty();
        assertThat(err.strip().lines().count()).isEqualTo(1);
        assertThat(err).contains("no JDK 25 or newer found");
    }
}
