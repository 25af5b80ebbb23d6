package dev.loupe.cli.model;

import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.model.Gpt;
import dev.loupe.model.WeightFormat;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;
import java.util.Optional;

/** A model directory opened for the model commands: the network and, when present, its tokenizer. */
public record LoadedGpt(Gpt model, Optional<Tokenizer> tokenizer, Path dir) {

    /** Opens {@code ref}, refusing non-finite weights. */
    public static LoadedGpt open(ModelRef ref) {
        return open(ref, false);
    }

    /** Opens {@code ref}; {@code allowNonFinite} loads weights holding NaN or Inf ({@link NonFiniteOption}). */
    public static LoadedGpt open(ModelRef ref, boolean allowNonFinite) {
        return open(ref, allowNonFinite, null);
    }

    /**
     * Opens {@code ref} with the {@code --adapter} (when not null) merged into the weights;
     * {@code allowNonFinite} loads weights holding NaN or Inf ({@link NonFiniteOption}).
     */
    public static LoadedGpt open(ModelRef ref, boolean allowNonFinite, dev.loupe.cli.lora.AdapterOption adapter) {
        return open(ref, allowNonFinite, adapter, WeightFormat.F32);
    }

    /**
     * As {@link #open(ModelRef, boolean, dev.loupe.cli.lora.AdapterOption)} with the weight matrices in
     * {@code format}: bfloat16 reads them as such ({@link ModelDirectory#readBf16}: BF16 tensors as
     * stored, half the memory, never a float32 copy first); with an adapter given the merged float32
     * weights are rounded.
     */
    public static LoadedGpt open(ModelRef ref, boolean allowNonFinite, dev.loupe.cli.lora.AdapterOption adapter, WeightFormat format) {
        Path dir = ref.dir();
        Gpt gpt;
        if (adapter == null || !adapter.given()) {   // the picocli mixin is always there: was --adapter given?
            gpt = ModelDirectory.readModel(dir, allowNonFinite, format);
        } else {
            ModelDirectory.LoadedModel m = adapter.read(dir, allowNonFinite);
            gpt = Gpt.fromWeights(m.config(), m.weights());
            if (format == WeightFormat.BF16) gpt = gpt.toBf16();
        }
        return new LoadedGpt(gpt, Tokenizers.load(dir), dir);
    }

    /** The tokenizer, or a clear error saying why text cannot be used with this model. */
    public Tokenizer requireTokenizer(String option) {
        return tokenizer.orElseThrow(() -> new LoupeException(dir + " has no tokenizer (vocab.json + merges.txt or "
                + Tokenizers.TOKENIZER_JSON + "), so " + option + " cannot be encoded; pass token ids with --ids instead"));
    }

    /** A token for display: its text when there is a tokenizer, quoted with escapes; else its id. */
    public String show(int id) {
        if (tokenizer.isEmpty()) return "#" + id;
        String t = tokenizer.get().tokenText(id);
        StringBuilder sb = new StringBuilder("'");
        for (char c : t.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '\'' -> sb.append("\\'");
                default -> sb.append(c);
            }
        }
        return sb.append("'").toString();
    }
}
