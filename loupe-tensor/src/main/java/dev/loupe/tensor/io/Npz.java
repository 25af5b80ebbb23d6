package dev.loupe.tensor.io;

import dev.loupe.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npz} archive as {@code numpy.savez} writes it: a zip file of uncompressed
 * ({@code ZIP_STORED}) entries {@code NAME.npy}, one float32 {@link Npy} array each, so
 * {@code numpy.load("cache.npz")["blocks.0.attn.hook_pattern"]} returns the array saved under that name.
 */
public final class Npz {
    private Npz() {}

    /** Writes {@code arrays} (name → tensor, in the map's order) atomically to {@code file}. */
    public static void write(Path file, Map<String, Tensor> arrays) {
        AtomicFiles.write(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                ByteArrayOutputStream npy = new ByteArrayOutputStream();
                Npy.writeTo(npy, e.getValue());
                byte[] bytes = npy.toByteArray();
                CRC32 crc = new CRC32();
                crc.update(bytes);
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(bytes.length);
                entry.setCompressedSize(bytes.length);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(bytes);
                zip.closeEntry();
            }
            zip.finish(); // AtomicFiles closes the underlying stream
        });
    }
}
