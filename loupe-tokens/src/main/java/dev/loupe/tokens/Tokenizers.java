package dev.loupe.tokens;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.tokens.bpe.BpeFiles;
import dev.loupe.tokens.bpe.ByteLevelBpe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds, loads and saves the tokenizer that lives beside a model (SPEC §2 "Model directory"):
 * <ul>
 *   <li>{@code vocab.json} + {@code merges.txt}: byte-level BPE in Hugging Face's GPT-2 layout
 *       (GPT-2's own vocabulary, or one trained by {@link dev.loupe.tokens.bpe.BpeTrainer});</li>
 *   <li>{@value #TOKENIZER_JSON}: Loupe's own file, {@code {"type":"char","chars":[...]}} for a
 *       {@link CharTokenizer}.</li>
 *   <li>{@value LlmcTokenizer#FILE_NAME}: llm.c's tokenizer file, decode only ({@link LlmcTokenizer}).</li>
 * </ul>
 * A model directory without tokenizer files is legal (commands that take ids still work), so
 * {@link #load} returns {@link Optional#empty()} for it.
 */
public final class Tokenizers {
    /** Loupe's own tokenizer file name (character vocabularies). */
    public static final String TOKENIZER_JSON = "tokenizer.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Tokenizers() {}

    /**
     * The tokenizer stored in {@code modelDir}, or empty when the directory has no tokenizer files.
     *
     * @throws LoupeException when {@code modelDir} is not a directory or a tokenizer file in it is malformed
     */
    public static Optional<Tokenizer> load(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new LoupeException("tokenizer directory " + modelDir + " does not exist or is not a directory");
        }
        Path vocab = modelDir.resolve(BpeFiles.VOCAB_JSON), merges = modelDir.resolve(BpeFiles.MERGES_TXT);
        boolean hasVocab = Files.isRegularFile(vocab), hasMerges = Files.isRegularFile(merges);
        if (hasVocab && hasMerges) return Optional.of(BpeFiles.loadHuggingFace(vocab, merges));
        if (hasVocab != hasMerges) {
            throw new LoupeException("directory " + modelDir + " has " + (hasVocab ? BpeFiles.VOCAB_JSON : BpeFiles.MERGES_TXT)
                    + " but not " + (hasVocab ? BpeFiles.MERGES_TXT : BpeFiles.VOCAB_JSON) + ": a BPE tokenizer needs both");
        }
        Path json = modelDir.resolve(TOKENIZER_JSON);
        if (Files.isRegularFile(json)) return Optional.of(loadJson(json));
        Path llmc = modelDir.resolve(LlmcTokenizer.FILE_NAME);
        if (Files.isRegularFile(llmc)) return Optional.of(LlmcTokenizer.read(llmc));
        return Optional.empty();
    }

    /**
     * The tokenizer stored in {@code modelDir}.
     *
     * @throws LoupeException when there is none, saying which files were looked for
     */
    public static Tokenizer require(Path modelDir) {
        return load(modelDir).orElseThrow(() -> new LoupeException("directory " + modelDir
                + " has no tokenizer (looked for vocab.json + merges.txt, " + TOKENIZER_JSON + ", " + LlmcTokenizer.FILE_NAME + ")"));
    }

    /**
     * Saves {@code tokenizer} into {@code dir} (created if needed), atomically, in the format that
     * {@link #load} reads back.
     */
    public static void save(Tokenizer tokenizer, Path dir) {
        if (tokenizer instanceof CharTokenizer c) {
            ObjectNode root = JSON.createObjectNode();
            root.put("type", "char");
            ArrayNode chars = root.putArray("chars");
            c.chars().forEach(chars::add);
            writeJson(dir.resolve(TOKENIZER_JSON), root);
        } else if (tokenizer instanceof ByteLevelBpe bpe) {
            BpeFiles.saveHuggingFace(bpe, dir);
        } else {
            throw new IllegalArgumentException("cannot save a " + tokenizer.getClass().getSimpleName());
        }
    }

    private static Tokenizer loadJson(Path file) {
        JsonNode root = readJson(file);
        JsonNode type = root.get("type");
        if (type == null || !type.isTextual()) {
            throw new LoupeException(file + ": missing string field \"type\" (expected \"char\")");
        }
        return switch (type.asText()) {
            case "char" -> {
                JsonNode chars = root.get("chars");
                if (chars == null || !chars.isArray()) {
                    throw new LoupeException(file + ": field \"chars\" must be an array of one-character strings");
                }
                List<String> list = new ArrayList<>(chars.size());
                for (JsonNode c : chars) {
                    if (!c.isTextual()) throw new LoupeException(file + ": field \"chars\" must hold strings, found " + c);
                    list.add(c.asText());
                }
                try {
                    yield CharTokenizer.of(list);
                } catch (LoupeException e) {
                    throw new LoupeException(file + ": " + e.getMessage(), e);
                }
            }
            default -> throw new LoupeException(file + ": unknown tokenizer type \"" + type.asText() + "\" (expected \"char\")");
        };
    }

    static JsonNode readJson(Path file) {
        try {
            JsonNode root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            if (root == null || !root.isObject()) throw new LoupeException(file + ": expected a JSON object");
            return root;
        } catch (JsonProcessingException e) {
            throw new LoupeException(file + ": malformed JSON" + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()) + ": "
                    + e.getOriginalMessage(), e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new LoupeException(file + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static void writeJson(Path file, JsonNode root) {
        try {
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
