package dev.loupe.tensor.io;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheTargetAndCreatesParents() throws IOException {
        Path p = dir.resolve("a/b/file.txt");
        AtomicFiles.writeString(p, "one");
        AtomicFiles.writeString(p, "two");
        assertThat(Files.readString(p)).isEqualTo("two");
        try (Stream<Path> s = Files.list(p.getParent())) {
            assertThat(s.toList()).containsExactly(p);
        }
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporary() throws IOException {
        Path p = dir.resolve("file.txt");
        AtomicFiles.writeString(p, "old");
        assertThatThrownBy(() -> AtomicFiles.write(p, out -> {
            out.write("partial".getBytes());
            throw new IOException("disk full");
        })).isInstanceOf(LoupeException.class).hasMessageContaining("file.txt").hasMessageContaining("disk full");
        assertThatThrownBy(() -> AtomicFiles.write(p, out -> {
            throw new LoupeException("bad value");
        })).isInstanceOf(LoupeException.class).hasMessage("bad value");
        assertThat(Files.readString(p)).isEqualTo("old");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(p);
        }
    }

    @Test
    void newFilesGetDefaultPermissionsAndReplacedFilesKeepTheirs() throws IOException {
        Assumptions.assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null,
                "POSIX permissions only (not on this file system)");
        Path plain = Files.createFile(dir.resolve("plain.txt")); // what any new file gets under this umask
        Path p = dir.resolve("file.txt");
        AtomicFiles.writeString(p, "one");
        assertThat(Files.getPosixFilePermissions(p)).isEqualTo(Files.getPosixFilePermissions(plain))
                .contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

        Set<PosixFilePermission> custom = PosixFilePermissions.fromString("rw-r-----");
        Files.setPosixFilePermissions(p, custom);
        AtomicFiles.writeString(p, "two");
        assertThat(Files.readString(p)).isEqualTo("two");
        assertThat(Files.getPosixFilePermissions(p)).isEqualTo(custom);

        Set<PosixFilePermission> open = PosixFilePermissions.fromString("rw-rw-r--");
        Files.setPosixFilePermissions(p, open);
        AtomicFiles.writeString(p, "three");
        assertThat(Files.getPosixFilePermissions(p)).isEqualTo(open);
    }

    /** Issue 20: writing under /proc said only a hidden temporary file's path, with no reason. */
    @Test
    void unwritablePlacesAreNamedWithTheReasonNotTheTemporaryFile() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        assertThatThrownBy(() -> AtomicFiles.writeString(Path.of("/proc/loupe-test.json"), "x"))
                .isInstanceOf(LoupeException.class)
                .hasMessage("cannot write /proc/loupe-test.json: cannot create a file in /proc (no such file or directory)");
        assertThatThrownBy(() -> AtomicFiles.writeString(Path.of("/proc/loupe-test-dir/config.json"), "x"))
                .isInstanceOf(LoupeException.class)
                .hasMessageContaining("cannot create directory /proc/loupe-test-dir").hasMessageNotContaining(".tmp");
    }
}
