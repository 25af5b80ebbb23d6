import dev.loupe.analysis.detectors.RepeatedTokens;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Loads a model directory (Hugging Face GPT-2 layout) and runs it with an activation cache: every
 * hook point's name and shape, then where each head of the last layer looks from the last token of
 * a probe — random tokens repeated once, the induction heads' favourite input.
 *
 *   java --add-modules jdk.incubator.vector -cp loupe-cli/target/loupe.jar examples/RunWithCache.java MODEL_DIR
 */
public class RunWithCache {
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/example-induction/model");
        ModelDirectory.LoadedModel loaded = ModelDirectory.read(dir);
        Gpt gpt = Gpt.fromWeights(loaded.config(), loaded.weights());
        int half = Math.min(16, gpt.config().nPositions() / 2), t = 2 * half;
        int[] ids = RepeatedTokens.generate(1, half, 0, gpt.config().vocabSize(), 7);   // [1·2half]: r r

        Gpt.CachedRun run = gpt.runWithCache(ids, 1, t, name -> true);
        ActivationCache cache = run.cache();
        for (String name : cache.names().stream().sorted().toList()) {
            System.out.printf("%-32s %s%n", name, Arrays.toString(cache.get(name).shape()));
        }
        int last = gpt.config().nLayer() - 1;
        Tensor pattern = cache.get("blocks." + last + ".attn.hook_pattern");   // [B, H, T, T]
        int q = t - 1;   // the last token; its earlier copy sits at q − half, the token after that at q − half + 1
        for (int h = 0; h < gpt.config().nHead(); h++) {
            int best = 0;
            for (int k = 1; k <= q; k++) if (pattern.get(0, h, q, k) > pattern.get(0, h, q, best)) best = k;
            System.out.printf("layer %d head %d: from position %d looks most at %d (%.2f)%s%n", last, h, q, best,
                    pattern.get(0, h, q, best), best == q - half + 1 ? "  <- the token after the earlier copy: induction" : "");
        }
        System.out.printf("logits %s%n", Arrays.toString(run.logits().shape()));
    }
}
