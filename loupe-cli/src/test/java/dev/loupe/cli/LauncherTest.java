package dev.loupe.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code ./loupe} launcher: it refuses clearly when no JDK 25+ can be found, and gives training
 * commands a smaller young generation than the others.
 */
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

    /**
     * A copy of the launcher beside an (empty) application jar, run with a stand-in JDK whose
     * {@code java} prints its arguments: the JVM options the launcher would use for {@code args}.
     */
    private static String jvmOptions(Path dir, String... args) throws Exception {
        Path launcher = Path.of("..", "loupe").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(launcher), "launcher script not found beside the module");
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is needed to run the launcher");
        Path copy = dir.resolve("loupe");
        if (!Files.exists(copy)) {
            Files.copy(launcher, copy);
            Path jar = dir.resolve("loupe-cli/target/loupe.jar");
            Files.createDirectories(jar.getParent());
            Files.writeString(jar, "");                                        // present and newer than any source: no build
            Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
            Files.writeString(bin.resolve("java"), "#!/bin/bash\n"
                    + "case \"$*\" in *-XshowSettings*) echo '    java.specification.version = 25' >&2 ;; *) echo \"$@\" ;; esac\n");
            Files.writeString(bin.resolve("javac"), "#!/bin/bash\n");
            bin.resolve("java").toFile().setExecutable(true);
            bin.resolve("javac").toFile().setExecutable(true);
        }
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("/bin/bash", copy.toString()));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("JAVA_HOME");
        pb.environment().remove("LOUPE_JAVA_HOME");
        pb.environment().remove("LOUPE_JVM_OPTS");
        pb.environment().put("LOUPE_JDK_CANDIDATES", dir.resolve("jdk").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.getErrorStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        return out;
    }

    @Test
    void trainingCommandsGetASmallerYoungGeneration(@TempDir Path dir) throws Exception {
        assertThat(jvmOptions(dir, "train", "--steps", "1")).contains("-XX:MaxNewSize=256m").contains("train --steps 1");
        assertThat(jvmOptions(dir, "finetune")).contains("-XX:MaxNewSize=256m");
        assertThat(jvmOptions(dir, "bench", "train")).contains("-XX:MaxNewSize=256m");
        assertThat(jvmOptions(dir, "bench", "generate")).contains("-XX:MaxNewSize=512m");
        assertThat(jvmOptions(dir, "serve")).contains("-XX:MaxNewSize=512m").doesNotContain("256m");
        assertThat(jvmOptions(dir)).contains("-XX:MaxNewSize=512m");
    }
}
