package dev.loupe.cli.model;

import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.LlmcCheckpoint;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.LlmcTokenizer;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.tokens.bpe.ByteLevelBpe;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code loupe convert}: llm.c checkpoints ↔ native model directories. */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Convert between Karpathy's llm.c checkpoints and Loupe's model directories.",
                "",
                "llm.c -> directory: --from gpt2_124M.bin (header magic 20240326; version 3 float32 or 5",
                "bfloat16; the padded vocabulary rows are dropped) --to DIR writes config.json and",
                "model.safetensors. The file must have exactly the size its header describes (a version that",
                "does not match the body is refused) and no NaN/Inf weights (unless --allow-nonfinite).",
                "The tokenizer comes from --tokenizer (an llm.c gpt2_tokenizer.bin, a",
                "directory with vocab.json + merges.txt, or gpt2), else from the gpt2_tokenizer.bin beside",
                "the checkpoint. An llm.c tokenizer file that holds exactly GPT-2's tokens is stored as",
                "GPT-2's vocab.json + merges.txt (it can then encode text); any other is copied as",
                "gpt2_tokenizer.bin, which only decodes.",
                "",
                "directory -> llm.c: --from DIR|NAME --to model.bin [--format llmc] writes an llm.c version 3",
                "(float32) checkpoint, the vocabulary padded to a multiple of 128 as llm.c's train_gpt2.py",
                "does; --tokenizer FILE also writes the model's BPE tokenizer as an llm.c tokenizer file.",
                "llm.c computes GPT-2 only: pre-LN, GELU, 4·d_model MLP, learned positions, tied embeddings.",
                ""},
        footer = {"", "Examples:",
                "  loupe convert --from llm.c/gpt2_124M.bin --to models/gpt2-llmc",
                "  loupe convert --from models/gpt2-llmc --to out/gpt2_124M.bin --format llmc --tokenizer out/gpt2_tokenizer.bin",
                "  loupe convert --from gpt2 --to gpt2_124M.bin     # after 'loupe fetch gpt2'"})
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "FILE|DIR|NAME",
            description = "An llm.c checkpoint (.bin), or a model directory / fetched hub name.")
    String from;
    @Option(names = "--to", required = true, paramLabel = "DIR|FILE", description = "The model directory or llm.c file to write.")
    Path to;
    @Option(names = "--format", paramLabel = "native|llmc",
            description = "Output format (default: native for an llm.c --from, llmc for a directory --from).")
    String format;
    @Option(names = "--tokenizer", paramLabel = "FILE|DIR|gpt2",
            description = "llm.c -> directory: the tokenizer to include. Directory -> llm.c: where to write the llm.c tokenizer file.")
    String tokenizer;
    @Option(names = "--force", description = "Replace an existing --to.")
    boolean force;
    @Mixin
    NonFiniteOption nonFinite;

    private final PrintStream err = System.err;

    @Override
    public Integer call() {
        Path fromFile = Path.of(from);
        boolean fromLlmc = Files.isRegularFile(fromFile);
        if (!fromLlmc && !Files.exists(fromFile) && from.endsWith(".bin")) throw new LoupeException("--from " + from + " does not exist");
        String fmt = format != null ? format.toLowerCase(Locale.ROOT) : fromLlmc ? "native" : "llmc";
        if (!fmt.equals("native") && !fmt.equals("llmc")) throw new UsageException("--format must be native or llmc, got " + format);
        if (fromLlmc && fmt.equals("llmc")) {
            throw new UsageException("--from " + from + " is a file (an llm.c checkpoint): it converts to --format native; "
                    + "--format llmc converts a model directory");
        }
        if (!fromLlmc && fmt.equals("native")) {
            throw new UsageException("--from " + from + " is not an llm.c checkpoint file: --format native converts llm.c files, "
                    + "and a model directory converts to --format llmc");
        }
        if (fromLlmc) toDirectory(fromFile);
        else toLlmc(new ModelRef(from).dir());
        return 0;
    }

    /** llm.c checkpoint → config.json + model.safetensors (+ tokenizer). */
    private void toDirectory(Path file) {
        if (Files.exists(to) && !Files.isDirectory(to)) throw new LoupeException("--to " + to + " exists and is not a directory");
        if (!force && (Files.exists(to.resolve(ModelDirectory.CONFIG)) || Files.exists(to.resolve(ModelDirectory.WEIGHTS)))) {
            throw new LoupeException("--to " + to + " already holds a model; give --force to replace it");
        }
        Tokenizer tok = sourceTokenizer(file);   // before the long part: a bad --tokenizer fails fast
        long t0 = System.nanoTime();
        err.printf(Locale.ROOT, "reading %s (%s)…%n", file, mb(size(file)));
        ModelDirectory.LoadedModel m = LlmcCheckpoint.read(file, nonFinite.allowed());
        GptConfig c = m.config();
        err.printf(Locale.ROOT, "  %d layers, d_model %d, %d heads, context %d, vocab %d: %,d parameters (%.1f s)%n", c.nLayer(),
                c.dModel(), c.nHead(), c.nPositions(), c.vocabSize(), parameters(m), seconds(t0));
        if (tok != null && tok.vocabSize() != c.vocabSize()) {
            throw new LoupeException("the tokenizer has " + tok.vocabSize() + " tokens but " + file + " has a vocabulary of "
                    + c.vocabSize() + ": they do not belong together");
        }
        long t1 = System.nanoTime();
        err.printf("writing %s…%n", to.resolve(ModelDirectory.WEIGHTS));
        ModelDirectory.write(to, c, m.weights());
        err.printf(Locale.ROOT, "  %s (%.1f s)%n", mb(size(to.resolve(ModelDirectory.WEIGHTS))), seconds(t1));
        String tokNote = "no tokenizer (commands need token ids; give --tokenizer to add one)";
        if (tok != null) {
            removeOtherTokenizerFiles();
            if (tok instanceof LlmcTokenizer llmc && isGpt2(llmc)) tok = Gpt2Vocabulary.bundled();
            if (tok instanceof LlmcTokenizer) {
                copy(tokenizerFile(file), to.resolve(LlmcTokenizer.FILE_NAME));
                tokNote = LlmcTokenizer.FILE_NAME + " (decode only: not GPT-2's tokens, and an llm.c file has no merges)";
            } else {
                Tokenizers.save(tok, to);
                tokNote = tok instanceof ByteLevelBpe ? "vocab.json + merges.txt" : Tokenizers.TOKENIZER_JSON;
            }
        }
        System.out.printf("converted %s -> %s (config.json, model.safetensors; tokenizer: %s)%n", file, to, tokNote);
    }

    /** Model directory → llm.c version-3 checkpoint (+ llm.c tokenizer file with --tokenizer FILE). */
    private void toLlmc(Path dir) {
        if (Files.isDirectory(to)) throw new LoupeException("--to " + to + " is a directory; an llm.c checkpoint is a file such as model.bin");
        if (Files.exists(to) && !force) throw new LoupeException("--to " + to + " exists; give --force to replace it");
        Path tokOut = tokenizer == null ? null : Path.of(tokenizer);
        if (tokOut != null && Files.exists(tokOut) && !force) {
            throw new LoupeException("--tokenizer " + tokOut + " exists; give --force to replace it");
        }
        ByteLevelBpe bpe = null;
        if (tokOut != null) {
            Tokenizer t = Tokenizers.load(dir).orElseThrow(() -> new LoupeException(dir + " has no tokenizer to write to " + tokOut));
            if (!(t instanceof ByteLevelBpe b)) {
                throw new LoupeException("the tokenizer of " + dir + " is not a byte-level BPE; llm.c's tokenizer file holds BPE tokens");
            }
            bpe = b;
        }
        long t0 = System.nanoTime();
        err.printf(Locale.ROOT, "reading %s…%n", dir);
        ModelDirectory.LoadedModel m = ModelDirectory.read(dir, nonFinite.allowed());
        GptConfig c = m.config();
        err.printf(Locale.ROOT, "  %d layers, d_model %d, vocab %d: %,d parameters (%.1f s)%n", c.nLayer(), c.dModel(),
                c.vocabSize(), parameters(m), seconds(t0));
        long t1 = System.nanoTime();
        err.printf("writing %s (llm.c version 3, float32)…%n", to);
        LlmcCheckpoint.write(to, c, m.weights());
        err.printf(Locale.ROOT, "  %s (%.1f s)%n", mb(size(to)), seconds(t1));
        if (bpe != null) {
            byte[][] tokens = new byte[bpe.vocabSize()][];
            for (int i = 0; i < tokens.length; i++) tokens[i] = bpe.bytesOf(i);
            LlmcTokenizer.write(tokOut, tokens, bpe.endOfText().orElse(tokens.length - 1));
        }
        System.out.printf("converted %s -> %s%s%n", dir, to, bpe != null ? " and tokenizer " + tokOut : "");
    }

    /** The tokenizer for an llm.c checkpoint: --tokenizer, else gpt2_tokenizer.bin beside it, else none. */
    private Tokenizer sourceTokenizer(Path checkpoint) {
        if (tokenizer == null) {
            Path beside = tokenizerFile(checkpoint);
            return Files.isRegularFile(beside) ? LlmcTokenizer.read(beside) : null;
        }
        Path p = Path.of(tokenizer);
        if (Files.isDirectory(p)) return Tokenizers.require(p);
        if (Files.isRegularFile(p)) return LlmcTokenizer.read(p);
        if (tokenizer.equals("gpt2")) return Gpt2Vocabulary.bundled();
        throw new LoupeException("--tokenizer " + tokenizer + " is not a file, a directory or gpt2");
    }

    private Path tokenizerFile(Path checkpoint) {
        if (tokenizer != null) return Path.of(tokenizer);
        Path parent = checkpoint.toAbsolutePath().getParent();
        return parent.resolve(LlmcTokenizer.FILE_NAME);
    }

    /** True when the llm.c file holds GPT-2's 50,257 tokens, byte for byte. */
    static boolean isGpt2(LlmcTokenizer t) {
        ByteLevelBpe gpt2 = Gpt2Vocabulary.bundled();
        if (t.vocabSize() != gpt2.vocabSize() || t.endOfText().orElse(-1) != Gpt2Vocabulary.END_OF_TEXT) return false;
        for (int i = 0; i < gpt2.vocabSize(); i++) {
            if (i != Gpt2Vocabulary.END_OF_TEXT && !Arrays.equals(t.bytesOf(i), gpt2.bytesOf(i))) return false;
        }
        return true;
    }

    /** With --force, a replaced model must not keep a tokenizer of another kind that would be found first. */
    private void removeOtherTokenizerFiles() {
        for (String f : new String[] {"vocab.json", "merges.txt", Tokenizers.TOKENIZER_JSON, LlmcTokenizer.FILE_NAME}) {
            try {
                Files.deleteIfExists(to.resolve(f));
            } catch (IOException e) {
                throw new LoupeException("cannot replace " + to.resolve(f) + ": " + e.getMessage(), e);
            }
        }
    }

    private static void copy(Path from, Path to) {
        try {
            dev.loupe.tensor.io.AtomicFiles.writeBytes(to, Files.readAllBytes(from));
        } catch (IOException e) {
            throw new LoupeException("cannot copy " + from + ": " + e.getMessage(), e);
        }
    }

    private static long parameters(ModelDirectory.LoadedModel m) {
        try (Stream<dev.loupe.tensor.Tensor> s = m.weights().values().stream()) {
            return s.mapToLong(dev.loupe.tensor.Tensor::size).sum();
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
