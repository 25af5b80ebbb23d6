package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.tokens.TokenFile;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The token files of a job (llm.c or nanoGPT {@code .bin}), checked on the driver: each exists, is
 * a well-formed token file and holds tokens; their sizes let the driver cut windows as byte ranges
 * that executors read from the same paths (memory-mapped, only the range is touched).
 *
 * @param paths absolute paths, in the order given
 * @param names what to call each file in results and messages: its path, or the text file it was tokenized from
 * @param sizes tokens per file
 */
public record TokenShards(List<String> paths, List<String> names, long[] sizes) implements Serializable {
    /** Checks and measures {@code files}; a missing, malformed or empty one is an error naming it. */
    public static TokenShards of(List<Path> files) {
        return of(files, files.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList());
    }

    /** As {@link #of(List)}, with the names results and messages use for each file. */
    public static TokenShards of(List<Path> files, List<String> names) {
        if (files.isEmpty()) throw new LoupeException("no input files");
        List<String> paths = new ArrayList<>();
        long[] sizes = new long[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path p = files.get(i).toAbsolutePath().normalize();
            if (!Files.isRegularFile(p)) throw new LoupeException("input " + p + " does not exist or is not a file");
            if (!p.getFileName().toString().endsWith(".bin")) {
                throw new LoupeException("input " + p + " is not a token file (.bin, llm.c or nanoGPT format); "
                        + "tokenize text first with 'loupe tokenize'");
            }
            long n = TokenFile.open(p).size();
            if (n == 0) throw new LoupeException("token file " + p + " is empty");
            paths.add(p.toString());
            sizes[i] = n;
        }
        return new TokenShards(List.copyOf(paths), List.copyOf(names), sizes);
    }

    /** Tokens [from, from + count) of shard {@code shard}, read where this runs (an executor). */
    public int[] read(int shard, long from, int count) {
        int[] out = new int[count];
        TokenFile.open(Path.of(paths.get(shard))).copyTo(from, out, 0, count);
        return out;
    }

    /** Fails, naming {@code shard}, when a token id is outside a vocabulary of {@code vocab} tokens. */
    public static void checkVocabulary(int[] tokens, int vocab, String shard) {
        for (int t : tokens) {
            if (t >= vocab) {
                throw new LoupeException(shard + " holds token id " + t + " but the model's vocabulary has " + vocab + " tokens");
            }
        }
    }
}
