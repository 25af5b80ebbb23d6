package dev.loupe.spark;

import dev.loupe.LoupeException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;

/**
 * A job's output directory, written in a hidden temporary sibling and renamed into place only when
 * the job succeeded: a failed job leaves nothing under the output name, so a directory there is
 * always complete. The target must not exist yet (a finished result is never overwritten).
 */
public final class StagedOutput implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private boolean committed;

    private StagedOutput(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** Creates the staging directory beside {@code target}; fails if {@code target} exists. */
    public static StagedOutput create(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.exists(abs)) throw new LoupeException("output " + abs + " already exists; give a new --out or remove it");
        Path staging = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new LoupeException("cannot create " + staging + ": " + e.getMessage(), e);
        }
        return new StagedOutput(abs, staging);
    }

    /** Where to write: the staging directory. */
    public Path dir() {
        return staging;
    }

    /** The final location. */
    public Path target() {
        return target;
    }

    /** Renames the staging directory to the target. */
    public void commit() {
        try {
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(staging, target);
            }
            committed = true;
        } catch (IOException e) {
            throw new LoupeException("cannot move " + staging + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Removes the staging directory unless committed. */
    @Override
    public void close() {
        if (!committed) delete(staging);
    }

    /** Removes {@code dir} and everything under it, if it exists (best effort). */
    static void delete(Path dir) {
        if (!Files.exists(dir)) return;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: a hidden, uniquely named leftover is never mistaken for a result
        }
    }
}
