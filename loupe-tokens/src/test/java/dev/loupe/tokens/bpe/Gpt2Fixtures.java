package dev.loupe.tokens.bpe;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.loupe.tokens.SharedData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** GPT-2 vocabularies for tests: always from jtokkit's bundled r50k_base ranks; HF files when shared data is present. */
final class Gpt2Fixtures {
    private static Encoding jtokkit;

    private Gpt2Fixtures() {}

    /** GPT-2's tokenizer built from the r50k_base.tiktoken file inside the jtokkit jar. */
    static synchronized ByteLevelBpe r50k() {
        return Gpt2Vocabulary.bundled();
    }

    static synchronized Encoding jtokkit() {
        if (jtokkit == null) jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        return jtokkit;
    }

    static Optional<Path> hfDir() {
        return SharedData.data("gpt2-tokenizer").filter(d -> Files.isRegularFile(d.resolve("vocab.json")) && Files.isRegularFile(d.resolve("merges.txt")));
    }

    static Optional<String> shakespeare() {
        return SharedData.data("tinyshakespeare.txt").map(p -> {
            try {
                return Files.readString(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
