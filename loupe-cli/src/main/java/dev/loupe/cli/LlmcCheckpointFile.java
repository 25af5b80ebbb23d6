package dev.loupe.cli;

import dev.loupe.LoupeException;
import dev.loupe.model.io.LlmcCheckpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Recognises an llm.c model checkpoint ({@code gpt2_124M.bin}: first int32 {@value LlmcCheckpoint#MAGIC})
 * given where a model directory is expected ({@code --model}, {@code --init}), and says how to
 * convert it instead of "is a file, not a model directory".
 */
final class LlmcCheckpointFile {
    private LlmcCheckpointFile() {}

    /** Throws, naming {@code loupe convert}, when {@code p} is a regular file that starts with llm.c's checkpoint magic. */
    static void rejectAsModel(Path p) {
        if (!Files.isRegularFile(p) || !startsWithMagic(p)) return;
        throw new LoupeException(p + " is an llm.c checkpoint, not a model directory: convert it with 'loupe convert --from "
                + p + " --to DIR' and give DIR");
    }

    private static boolean startsWithMagic(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt() == LlmcCheckpoint.MAGIC;
        } catch (IOException e) {
            return false; // unreadable: the usual "not a model directory" message follows
        }
    }
}
