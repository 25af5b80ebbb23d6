package dev.loupe.spark.cli;

import dev.loupe.cli.ModelRef;
import dev.loupe.model.io.ModelDirectory;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** The options of a job over a model and a corpus: --model, --data, --out, --seq. */
public final class JobInput {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory, or a hub name fetched with 'loupe fetch' (gpt2); every executor reads it at this path.")
    ModelRef model;
    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "FILE",
            description = "Token files (.bin, llm.c or nanoGPT format) or text files (tokenized on the executors with the "
                    + "model's tokenizer), in order.")
    List<Path> data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must not exist).")
    Path out;
    @Option(names = "--seq", description = "Tokens per window (default: the model's context, at most 1024).")
    Integer seq;

    /** The model directory. */
    Path modelDir() {
        return model.dir();
    }

    /** --seq, or the model's context capped at 1024. */
    int seq() {
        return seq != null ? seq : Math.min(1024, ModelDirectory.readConfig(modelDir()).nPositions());
    }
}
