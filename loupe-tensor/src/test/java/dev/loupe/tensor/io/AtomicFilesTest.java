package dev.loupe.tensor.io;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
