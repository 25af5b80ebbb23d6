package dev.loupe.cli.quickstart;

import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20, item 6: an --out that cannot be written is refused before training, not after it. */
class QuickstartOutputTest {

    @Test
    void anUnwritableOutIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        var r = MainTest.run("quickstart", "--out", file.resolve("qs").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("loupe: cannot write to --out " + file.resolve("qs") + ": ")
                .doesNotContain("Training").doesNotContain("Exception");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void underProcTheReasonIsGiven() {
        Path proc = Path.of("/proc/loupe-quickstart-check");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc on this system");
        var r = MainTest.run("quickstart", "--out", proc.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("loupe: cannot write to --out /proc/loupe-quickstart-check: the file system will not "
                + "create /proc/loupe-quickstart-check (no such file or directory)");
    }
}
