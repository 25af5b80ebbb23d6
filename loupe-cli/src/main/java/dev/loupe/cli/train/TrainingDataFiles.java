package dev.loupe.cli.train;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.train.TokenData;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where training tokens come from ({@code --data FILE|DIR}, optional {@code --val-data FILE}):
 * <ul>
 *   <li>a {@code .bin} file: llm.c token file (header magic 20240520 with uint16 ids, or 20240801 with uint32
 *       ids) or nanoGPT raw uint16 tokens;</li>
 *   <li>any other file: UTF-8 text, tokenized with the model's tokenizer (a new character-level
 *       vocabulary built from the text when the model is new);</li>
 *   <li>a directory: its {@code .bin} token files in name order; files whose name contains
 *       {@code val} (llm.c's {@code *_val.bin}, nanoGPT's {@code val.bin}) are validation shards,
 *       the others training shards.</li>
 * </ul>
 * Without validation tokens the last 10 % of the (last) training shard is held out.
 */
public final class TrainingDataFiles {
    /** GPT-2's vocabulary size: the default vocabulary of a new model trained on token files. */
    static final int GPT2_VOCAB = 50257;

    /** The tokens, and the tokenizer when the data was text. */
    public record Loaded(TokenData data, Optional<Tokenizer> tokenizer, String description) {}

    private TrainingDataFiles() {}

    static boolean isTokenFile(Path p) {
        return p.getFileName().toString().endsWith(".bin");
    }

    /**
     * Loads the data. {@code tokenizer} is the model's existing one (resume or --init), or empty
     * for a new model, which then gets {@code choice} ({@code --tokenizer}; when not given: a
     * character vocabulary for text, none for token files). Token files accept only
     * {@code --tokenizer gpt2} (their ids are GPT-2's), which is then saved with the model.
     */
    public static Loaded load(Path data, Path valData, Optional<Tokenizer> tokenizer, Optional<TokenizerChoice> choice, PrintStream err) {
        if (!Files.exists(data)) throw new LoupeException("training data " + data + " does not exist");
        List<int[]> train = new ArrayList<>(), val = new ArrayList<>();
        Optional<Tokenizer> tok = tokenizer;
        String description;
        boolean text = !Files.isDirectory(data) && !isTokenFile(data);
        if (tok.isEmpty() && !text && choice.isPresent()) {
            if (choice.get().kind() != TokenizerChoice.Kind.GPT2) {
                throw new UsageException("--tokenizer " + choice.get() + " applies to text data; " + data
                        + " holds token ids already (--tokenizer gpt2 attaches GPT-2's vocabulary to them)");
            }
            tok = Optional.of(choice.get().build("", err));
        }
        if (Files.isDirectory(data)) {
            List<Path> bins = list(data);
            if (bins.isEmpty()) throw new LoupeException("data directory " + data + " holds no .bin token files");
            for (Path p : bins) {
                (p.getFileName().toString().contains("val") ? val : train).add(TokenFile.readAll(p));
            }
            if (train.isEmpty()) throw new LoupeException("data directory " + data + " holds only validation files (*val*.bin)");
            description = data + " (" + train.size() + " training and " + val.size() + " validation token files)";
        } else if (isTokenFile(data)) {
            train.add(TokenFile.readAll(data));
            description = data + " (token file)";
        } else {
            String corpus = readText(data);
            if (corpus.isEmpty()) throw new LoupeException("training data " + data + " is empty: there is nothing to train on");
            TokenizerChoice c = choice.orElse(new TokenizerChoice(TokenizerChoice.Kind.CHAR, 0));
            Tokenizer t = tok.orElseGet(() -> c.build(corpus, err));
            tok = Optional.of(t);
            train.add(t.encode(corpus));
            description = data + " (text, " + corpus.length() + " characters)";
        }
        if (valData != null) {
            if (!Files.isRegularFile(valData)) throw new LoupeException("validation data " + valData + " is not a file");
            val.clear();
            if (isTokenFile(valData)) {
                val.add(TokenFile.readAll(valData));
            } else {
                Tokenizer t = tok.orElseThrow(() -> new LoupeException("--val-data " + valData
                        + " is text but the training data is tokens: give a .bin token file"));
                val.add(t.encode(readText(valData)));
            }
        }
        if (train.stream().allMatch(t -> t.length == 0)) {
            throw new LoupeException("training data " + data + " holds no tokens: there is nothing to train on");
        }
        if (val.isEmpty()) {
            int[] last = train.removeLast();
            TokenData split = TokenData.split(last);
            train.add(split.train().getFirst());
            val.add(split.val().getFirst());
            description += ", last 10% held out for validation";
        }
        return new Loaded(new TokenData(train, val), tok, description);
    }

    /** Tokens of one evaluation file: a token file as is, text through {@code tokenizer}. */
    public static int[] evalTokens(Path file, Optional<Tokenizer> tokenizer) {
        if (!Files.isRegularFile(file)) throw new LoupeException("data file " + file + " does not exist or is not a file");
        if (isTokenFile(file)) return TokenFile.readAll(file);
        Tokenizer t = tokenizer.orElseThrow(() -> new LoupeException(file + " is text but the model has no tokenizer "
                + "(tokenizer.json); give a .bin token file"));
        return t.encode(readText(file));
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && isTokenFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new LoupeException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String readText(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new LoupeException(file + " is not UTF-8 text (token files must end in .bin)");
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
