package dev.loupe.tensor.io;

import dev.loupe.LoupeException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new content, never a
 * half-written file, even if the process dies or the machine loses power mid-write.
 *
 * <p>Recipe: write a temporary file in the same directory, {@code fsync} it
 * ({@link FileChannel#force(boolean)}), rename it over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}, then {@code fsync} the directory so the rename itself
 * is durable (skipped silently where the platform cannot open a directory, e.g. Windows).
 * Missing parent directories are created.
 *
 * <p>Permissions: the temporary file is created like any new file (mode 0666 minus the umask,
 * i.e. 0644 under the usual umask 022; not the owner-only 0600 of
 * {@link Files#createTempFile}), and when it replaces an existing file it takes that file's
 * permissions, so rewriting a file never changes who may read it.
 */
public final class AtomicFiles {

    /** Like {@link java.util.function.Consumer}, but may throw {@link IOException}. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Atomically replaces {@code target} with what {@code body} writes to the (buffered) stream.
     * The stream must not be closed by {@code body}. If {@code body} throws, the target is left
     * untouched and the temporary file is removed; a {@link LoupeException} is rethrown as is,
     * an {@link IOException} becomes a {@link LoupeException} naming the file.
     */
    public static void write(Path target, IOConsumer<OutputStream> body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = createTemporary(dir, abs.getFileName().toString());
            copyPermissions(abs, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16) {
                    @Override
                    public void close() throws IOException {
                        flush(); // the channel is closed by us, after force()
                    }
                };
                body.accept(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new LoupeException("cannot write " + target + ": " + describe(e, dir, tmp), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is hidden and named after the target
                }
            }
        }
    }

    /** Atomically replaces {@code target} with {@code bytes}. */
    public static void writeBytes(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    /** Atomically replaces {@code target} with {@code text} in UTF-8. */
    public static void writeString(Path target, String text) {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A new empty file {@code .NAME.RANDOM.tmp} in {@code dir}, created with the default (umask) permissions. */
    private static Path createTemporary(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 100) throw e;
            }
        }
    }

    /** Gives {@code tmp} the POSIX permissions of the file it will replace, if there is one. */
    private static void copyPermissions(Path target, Path tmp) throws IOException {
        if (!Files.isRegularFile(target)) return;
        PosixFileAttributeView from = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        PosixFileAttributeView to = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (from == null || to == null) return; // not a POSIX file system (Windows): nothing to keep
        to.setPermissions(from.readAttributes().permissions());
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not possible on every platform (Windows); the rename itself already happened
        }
    }

    /**
     * The reason in words, naming the directory rather than the hidden temporary file (which the
     * user never asked for): "permission denied in /sys", "cannot create files in /proc (no such
     * file or directory)".
     */
    static String describe(IOException e, Path dir, Path tmp) {
        if (!(e instanceof java.nio.file.FileSystemException f)) {
            String m = e.getMessage();
            return m == null ? e.getClass().getSimpleName() : m;
        }
        String reason = f.getReason() != null ? f.getReason()
                : f instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : f instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                : f instanceof java.nio.file.NotDirectoryException ? "not a directory"
                : f instanceof java.nio.file.FileAlreadyExistsException ? "a file of that name exists"
                : f instanceof java.nio.file.DirectoryNotEmptyException ? "a non-empty directory is in the way"
                : f.getClass().getSimpleName();
        String file = f.getFile();
        if (file == null) return reason;
        Path p = Path.of(file);
        if (p.equals(tmp) || (p.getFileName() != null && p.getFileName().toString().endsWith(".tmp") && dir.equals(p.getParent()))) {
            return "cannot create a file in " + dir + " (" + reason + ")";
        }
        if (dir.startsWith(p)) return "cannot create directory " + dir + " (" + reason + " at " + p + ")";
        return reason + ": " + file;
    }
}
