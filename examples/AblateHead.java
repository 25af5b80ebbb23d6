import dev.loupe.analysis.detectors.RepeatedTokens;
import dev.loupe.analysis.interventions.Ablation;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.Hooks;
import dev.loupe.model.io.ModelDirectory;

import java.nio.file.Path;

/**
 * Ablates each head of a model in turn and measures how much the loss rises: mean-ablation (the
 * head's output replaced by its mean over the batch) on random tokens repeated once, where the
 * second half is predictable only by induction. The heads the loss needs most come first.
 *
 *   java --add-modules jdk.incubator.vector -cp loupe-cli/target/loupe.jar examples/AblateHead.java MODEL_DIR
 */
public class AblateHead {
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/example-induction/model");
        ModelDirectory.LoadedModel loaded = ModelDirectory.read(dir);
        Gpt gpt = Gpt.fromWeights(loaded.config(), loaded.weights());
        int batch = 16, half = Math.min(16, gpt.config().nPositions() / 2), t = 2 * half - 1;
        int[] rows = RepeatedTokens.generate(batch, half, 0, gpt.config().vocabSize(), 11);   // [batch·2half]
        int[] inputs = new int[batch * t], targets = new int[batch * t];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(rows, b * 2 * half, inputs, b * t, t);
            System.arraycopy(rows, b * 2 * half + 1, targets, b * t, t);
        }
        float clean = gpt.loss(inputs, targets, batch, t);
        System.out.printf("loss on repeated random tokens: %.3f nats%n", clean);
        for (int l = 0; l < gpt.config().nLayer(); l++) {
            String hook = Ablation.headHook(l);
            ActivationCache reference = gpt.runWithCache(inputs, batch, t, hook::equals).cache();
            for (int h = 0; h < gpt.config().nHead(); h++) {
                Intervention ablate = Ablation.meanHead(l, h, reference);
                float loss;
                try (Hooks.Handle handle = gpt.hooks().add(ablate.hookName(), ablate.hook())) {
                    loss = gpt.loss(inputs, targets, batch, t);
                }
                System.out.printf("layer %d head %d mean-ablated: loss %.3f (%+.3f)%n", l, h, loss, loss - clean);
            }
        }
    }
}
