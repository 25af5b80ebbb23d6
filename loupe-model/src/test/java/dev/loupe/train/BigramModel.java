package dev.loupe.train;

import dev.loupe.model.GptConfig;
import dev.loupe.model.TrainableModel;
import dev.loupe.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A test model with an exact analytic gradient: logits[t] = W[x_t] + b (a bigram table plus a
 * bias), mean cross-entropy; d loss / d logits = (softmax − onehot(y)) / N. W is rank 2 (decayed by
 * AdamW), b rank 1 (not decayed), like GPT-2's weights and biases.
 */
final class BigramModel implements TrainableModel {
    final int vocab;
    final Tensor w, b, dw, db;
    /** When positive, the gradient of b becomes NaN on this forwardBackward call (1-based). */
    int poisonCall;
    private int calls;

    BigramModel(int vocab, long seed) {
        this.vocab = vocab;
        this.w = Tensor.randn(seed, 0.5f, vocab, vocab);
        this.b = Tensor.randn(seed + 1, 0.1f, vocab);
        this.dw = Tensor.zeros(vocab, vocab);
        this.db = Tensor.zeros(vocab);
    }

    @Override
    public GptConfig config() {
        return GptConfig.gpt2(vocab, 1024, vocab, 0, 1);
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("wte.weight", w);
        m.put("bias", b);
        return m;
    }

    @Override
    public Map<String, Tensor> gradients() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("wte.weight", dw);
        m.put("bias", db);
        return m;
    }

    @Override
    public void zeroGradients() {
        dw.fill(0);
        db.fill(0);
    }

    @Override
    public float forwardBackward(int[] inputs, int[] targets, int batch, int seqLen) {
        calls++;
        float loss = run(inputs, targets, true);
        if (calls == poisonCall) db.set(Float.NaN, 1);
        return loss;
    }

    @Override
    public float loss(int[] inputs, int[] targets, int batch, int seqLen) {
        return run(inputs, targets, false);
    }

    private float run(int[] inputs, int[] targets, boolean backward) {
        int n = inputs.length;
        float[] wd = w.data(), bd = b.data(), dwd = dw.data(), dbd = db.data();
        double total = 0;
        float[] p = new float[vocab];
        for (int t = 0; t < n; t++) {
            int x = inputs[t], y = targets[t];
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                p[j] = wd[x * vocab + j] + bd[j];
                max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(p[j] - max);
            total += -(p[y] - max - Math.log(sum));
            if (backward) {
                for (int j = 0; j < vocab; j++) {
                    float g = (float) (Math.exp(p[j] - max) / sum) - (j == y ? 1f : 0f);
                    g /= n;
                    dwd[x * vocab + j] += g;
                    dbd[j] += g;
                }
            }
        }
        return (float) (total / n);
    }
}
