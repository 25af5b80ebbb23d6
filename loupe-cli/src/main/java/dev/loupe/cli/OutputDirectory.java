package dev.loupe.cli;

import dev.loupe.LoupeException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Makes sure an output directory can be written before long work starts (a quickstart that trains
 * for a minute and then cannot save is a minute lost): creates it and a probe file in it, then
 * removes the probe. A failure is one line naming the option, the directory and the reason.
 */
public final class OutputDirectory {
    private OutputDirectory() {}

    /**
     * Creates {@code dir} if needed and checks that files can be created in it.
     *
     * @param option the command-line option that named it, for the message (e.g. "--out")
     * @throws LoupeException when it cannot be created or written, with the reason
     */
    public static void requireWritable(Path dir, String option) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".loupe-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new LoupeException("cannot write to " + option + " " + dir + ": " + reason(e), e);
        }
    }

    private static String reason(Exception e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException n) return "the file system will not create " + n.getFile() + " (no such file or directory)";
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return f.getFile() + " exists and is not a directory";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
