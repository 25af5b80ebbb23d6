package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.LoupeException;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a {@code --log-json} file true to the run when it resumes. A run is resumed from its last
 * checkpoint, which may be older than the last line written (a crash or {@code kill -9} between
 * checkpoints): the steps after the checkpoint are trained again and would be logged twice. Before
 * resuming at step s, {@link #keepUpTo} therefore rewrites the file (temp file + rename) without the
 * lines of steps after s, and without a torn last line (one that is not a whole JSON object).
 */
final class StepLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StepLog() {}

    /**
     * Drops the lines of {@code log} whose {@code "step"} is after {@code step}, and lines that are not
     * JSON objects; leaves the file untouched when nothing needs dropping or it does not exist.
     *
     * @return how many lines were dropped
     */
    static int keepUpTo(Path log, long step) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new LoupeException("cannot read the --log-json file " + log + ": " + e.getMessage(), e);
        }
        List<String> kept = new ArrayList<>(lines.size());
        for (String line : lines) {
            if (stepOf(line) <= step) kept.add(line);
        }
        if (kept.size() == lines.size()) return 0;
        StringBuilder text = new StringBuilder();
        for (String line : kept) text.append(line).append('\n');
        AtomicFiles.writeString(log, text.toString());
        return lines.size() - kept.size();
    }

    /** The line's step, or {@link Long#MAX_VALUE} (to be dropped) when it is not a JSON object with a step. */
    private static long stepOf(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.isObject() && n.path("step").canConvertToLong() ? n.path("step").asLong() : Long.MAX_VALUE;
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }
}
