package dev.loupe.tokens.bpe;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.loupe.tokens.SharedData;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** GPT-2 vocabularies for tests: always from jtokkit's bundled r50k_base ranks; HF files when shared data is present. */
final class Gpt2Fixtures {
    private static ByteLevelBpe r50k;
    private static Encoding jtokkit;

    private Gpt2Fixtures() {}

    /** GPT-2's tokenizer built from the r50k_base.tiktoken file inside the jtokkit jar. */
    static synchronized ByteLevelBpe r50k() {
        if (r50k == null) {
            try (InputStream in = Encodings.class.getResourceAsStream("/com/knuddels/jtokkit/r50k_base.tiktoken")) {
                if (in == null) throw new IllegalStateException("jtokkit jar has no r50k_base.tiktoken");
                r50k = BpeFiles.loadTiktoken(in, "r50k_base.tiktoken", Map.of(BpeFiles.END_OF_TEXT, 50256));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return r50k;
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
