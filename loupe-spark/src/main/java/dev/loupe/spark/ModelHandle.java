package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * A model directory as executors see it: its absolute path (which every executor must be able to
 * read: a shared file system, or a copy at the same path) and a checksum of its
 * {@code config.json} and {@code model.safetensors} taken by the driver. Executors load the weights
 * once per JVM ({@link #gpt()} caches them by path and checksum; each task gets its own
 * {@link Gpt} over the shared weights, since a Gpt's work buffers are not shared between threads)
 * and refuse a copy whose checksum differs from the driver's.
 *
 * @param path     the model directory, absolute
 * @param checksum CRC32C of config.json followed by model.safetensors
 */
public record ModelHandle(String path, long checksum) implements Serializable {
    private static final Map<String, ModelDirectory.LoadedModel> LOADED = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicInteger LOADS = new java.util.concurrent.atomic.AtomicInteger();

    /** The handle of model directory {@code dir}, read on the driver (fails there first if it is unreadable). */
    public static ModelHandle of(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        ModelDirectory.readConfig(abs);                                    // a clear error when it is not a model
        if (!Files.isReadable(abs.resolve(ModelDirectory.WEIGHTS))) {
            throw new LoupeException("model " + abs + " has no readable " + ModelDirectory.WEIGHTS);
        }
        return new ModelHandle(abs.toString(), checksum(abs, "driver"));
    }

    /** A fresh model over this JVM's cached weights (loaded on first use here). */
    public Gpt gpt() {
        ModelDirectory.LoadedModel m = LOADED.computeIfAbsent(path + "#" + Long.toHexString(checksum), k -> load());
        return Gpt.fromWeights(m.config(), m.weights());
    }

    /** How many times this JVM has read model weights (tests check the once-per-JVM load). */
    static int loads() {
        return LOADS.get();
    }

    private ModelDirectory.LoadedModel load() {
        Path dir = Path.of(path);
        String where = host();
        long seen = checksum(dir, where);
        if (seen != checksum) {
            throw new LoupeException("model " + path + " on " + where + " differs from the driver's copy (checksum "
                    + Long.toHexString(seen) + " instead of " + Long.toHexString(checksum) + ")");
        }
        LOADS.incrementAndGet();
        return ModelDirectory.read(dir);
    }

    private static long checksum(Path dir, String where) {
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[1 << 20];
        for (String name : new String[] {ModelDirectory.CONFIG, ModelDirectory.WEIGHTS}) {
            Path f = dir.resolve(name);
            try (InputStream in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
            } catch (IOException e) {
                throw new LoupeException("cannot read model file " + f + " on " + where + ": " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage())
                        + " (every executor needs the model at this path: a shared file system or a copy)");
            }
        }
        return crc.getValue();
    }

    private static String host() {
        try {
            return "executor " + java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "an executor";
        }
    }
}
