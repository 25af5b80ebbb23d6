package dev.loupe.experiments.lora;

import dev.loupe.experiments.Progress;
import dev.loupe.experiments.StreamTraining;
import dev.loupe.experiments.monosemanticity.ProxyCorpus;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.train.TokenData;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link LoraRankSweep} fine-tunes: a base model and the fine-tune tokens (training and
 * held-out), and, when known, held-out tokens of the text the base model was trained on (to see how
 * much of it each fine-tune forgets).
 *
 * @param config          the base model's shape
 * @param weights         the base model's weights (never changed: LoRA freezes them, the full fine-tune trains a copy)
 * @param tokenizer       the base model's tokenizer, saved with the fully fine-tuned model (null: none is saved)
 * @param baseDir         the base model's directory, or null when it was trained here (the sweep then saves it under {@code out/base})
 * @param baseName        {@code base_model_name_or_path} of the adapters (a hub name or a path; empty when trained here)
 * @param data            fine-tune tokens: training shards and held-out shards (not empty)
 * @param originalHeldOut held-out tokens of the base model's own training text; empty when unknown
 * @param description     one line saying what the base model and the data are
 */
public record SweepInputs(GptConfig config, Map<String, Tensor> weights, Tokenizer tokenizer, Path baseDir, String baseName,
                          TokenData data, List<int[]> originalHeldOut, String description) {
    public SweepInputs {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));   // in the model's order
        originalHeldOut = List.copyOf(originalHeldOut);
        if (data.val().isEmpty()) throw new IllegalArgumentException("the fine-tune data has no held-out part");
        baseName = baseName == null ? "" : baseName;
    }

    /**
     * The embedded default: a small character model pretrained here on one made-up language of
     * {@link ProxyCorpus} (its seed fixes the lexicon), fine-tuned on text in another language (another
     * seed: other words, the same kinds of segments and the same characters), so nothing is downloaded.
     *
     * @param layers         transformer blocks of the base model (GPT-2's block: pre-LayerNorm, GELU MLP 4×, tied embeddings)
     * @param dModel         its width
     * @param heads          its attention heads
     * @param context        its n_positions, and the sequence length of pretraining
     * @param pretrainSteps  AdamW steps of pretraining (batch 16, lr 3e-3, {@link StreamTraining})
     * @param pretrainChars  characters of pretraining text (the base language)
     * @param finetuneChars  characters of fine-tune text (90% training, 10% held out)
     * @param baseSeed       seed of the base language and of the base model's weights
     * @param finetuneSeed   seed of the fine-tune language (≠ baseSeed)
     */
    public record Embedded(int layers, int dModel, int heads, int context, int pretrainSteps, int pretrainChars, int finetuneChars,
                           long baseSeed, long finetuneSeed) {
        public Embedded {
            if (layers < 1 || dModel < 8 || heads < 1 || dModel % heads != 0) {
                throw new IllegalArgumentException("base model: need layers ≥ 1, d_model ≥ 8 divisible by heads; got "
                        + layers + " layers, d_model " + dModel + ", " + heads + " heads");
            }
            if (context < 8) throw new IllegalArgumentException("context must be at least 8, got " + context);
            if (pretrainSteps < 1) throw new IllegalArgumentException("pretraining steps must be positive, got " + pretrainSteps);
            if (pretrainChars < 20 * context || finetuneChars < 20 * context) {
                throw new IllegalArgumentException("texts must hold at least 20 contexts (" + 20 * context + " characters)");
            }
            if (baseSeed == finetuneSeed) throw new IllegalArgumentException("the fine-tune language needs another seed than the base's");
        }

        /**
         * What {@code loupe reproduce lora-rank-sweep} runs without {@code --model}: the shape of the
         * hand-run sweep in docs/lora.md (2 layers, d_model 128, 4 heads), 600 pretraining steps on
         * 400,000 characters, 100,000 characters of fine-tune text.
         */
        public static Embedded defaults() {
            return new Embedded(2, 128, 4, 64, 600, 400_000, 100_000, 1, 2);
        }

        /** The base model's shape: GPT-2's block at this size, over {@link ProxyCorpus}'s characters. */
        public GptConfig config() {
            return GptConfig.gpt2(ProxyCorpus.tokenizer().vocabSize(), context, dModel, layers, heads);
        }
    }

    /** Pretrains the embedded base model and builds the fine-tune data ({@code progress} sees the pretraining). */
    public static SweepInputs embedded(Embedded e, Progress progress) {
        CharTokenizer tok = ProxyCorpus.tokenizer();
        GptConfig c = e.config();
        Gpt gpt = Gpt.create(c, e.baseSeed());
        int[] pretrain = tok.encode(ProxyCorpus.generate(e.baseSeed(), 0, e.pretrainChars()));
        int[] original = tok.encode(ProxyCorpus.generate(e.baseSeed(), 1, e.pretrainChars() / 10));
        int[] finetune = tok.encode(ProxyCorpus.generate(e.finetuneSeed(), 0, e.finetuneChars()));
        long params = gpt.parameters().values().stream().mapToLong(Tensor::size).sum();
        progress.stage(String.format(Locale.ROOT, "pretraining the base model (%d layers, d_model %d, %d heads, %,d parameters) "
                + "on %,d characters of language %d for %d steps", e.layers(), e.dModel(), e.heads(), params, pretrain.length,
                e.baseSeed(), e.pretrainSteps()));
        StreamTraining.train(gpt, pretrain, 16, e.context(), e.pretrainSteps(), 3e-3, e.baseSeed(), progress);
        String what = String.format(Locale.ROOT, "embedded: a %d-layer character model (d_model %d, %d heads) pretrained %d steps on "
                + "%,d characters of ProxyCorpus language %d, fine-tuned on %,d characters of language %d (other words, the same "
                + "kinds of segments)", e.layers(), e.dModel(), e.heads(), e.pretrainSteps(), pretrain.length, e.baseSeed(),
                finetune.length, e.finetuneSeed());
        return new SweepInputs(c, gpt.parameters(), tok, null, "", TokenData.split(finetune), List.of(original), what);
    }
}
