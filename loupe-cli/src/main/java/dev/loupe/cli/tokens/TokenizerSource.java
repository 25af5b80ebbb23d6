package dev.loupe.cli.tokens;

import dev.loupe.LoupeException;
import dev.loupe.hub.Hub;
import dev.loupe.hub.HubCache;
import dev.loupe.hub.HubName;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code --model DIR | --tokenizer DIR|gpt2} choice shared by tokenize and detokenize. */
final class TokenizerSource {
    @Option(names = "--model", paramLabel = "DIR|NAME",
            description = "Model directory (or a fetched hub name such as gpt2) whose tokenizer to use.")
    String model;

    @Option(names = "--tokenizer", paramLabel = "DIR|gpt2",
            description = "Tokenizer directory (vocab.json + merges.txt, or tokenizer.json), or 'gpt2': GPT-2's vocabulary "
                    + "from the hub cache when fetched, else the copy bundled with Loupe (same ids).")
    String tokenizer;

    Tokenizer load() {
        if ((model == null) == (tokenizer == null)) {
            throw new dev.loupe.cli.UsageException("give exactly one of --model DIR or --tokenizer DIR|gpt2");
        }
        HubCache cache = HubCache.fromEnvironment();
        if (model != null) {
            Path dir = Hub.resolveModel(model, cache);
            return Tokenizers.load(dir).orElseThrow(() -> new LoupeException("model directory " + dir
                    + " has no tokenizer (vocab.json + merges.txt, or tokenizer.json); give --tokenizer, or work with ids"));
        }
        Path dir = Path.of(tokenizer);
        if (Files.isDirectory(dir)) return Tokenizers.require(dir);
        if (tokenizer.equals("gpt2")) {
            return cache.find(HubName.parse("gpt2"), Hub.TOKENIZER_FILES).flatMap(Tokenizers::load)
                    .orElseGet(Gpt2Vocabulary::bundled);
        }
        return Tokenizers.require(Hub.resolve(tokenizer, cache, Hub.TOKENIZER_FILES));
    }
}
