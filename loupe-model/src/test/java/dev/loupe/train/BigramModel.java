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
 *
 * <p>It wears the tensor names of a 0-layer, untied GPT without positions (so that model directories
 * can hold it): W is {@code wte.weight}, b is {@code ln_f.bias}; {@code ln_f.weight} and
 * {@code lm_head.weight} exist but take no part (their gradient stays zero).
 */
final class BigramModel implements TrainableModel {
    final int vocab;
    final Tensor w, b, dw, db;
    final Tensor lnW, head, dLnW, dHead;
    /** When positive, the gradient of b becomes NaN on this forwardBackward call (1-based). */
    int poisonCall;
    private int calls;

    BigramModel(int vocab, long seed) {
        this.vocab = vocab;
        this.w = Tensor.randn(seed, 0.5f, vocab, vocab);
        this.b = Tensor.randn(seed + 1, 0.1f, vocab);
        this.dw = Tensor.zeros(vocab, vocab);
        this.db = Tensor.zeros(vocab);
        this.lnW = Tensor.zeros(vocab).fill(1);
        this.head = Tensor.randn(seed + 2, 0.02f, vocab, vocab);
        this.dLnW = Tensor.zeros(vocab);
        this.dHead = Tensor.zeros(vocab, vocab);
    }

    BigramModel(GptConfig c, Map<String, Tensor> weights) {
        this(c.vocabSize(), 0);
        weights.get("wte.weight").copyInto(w);
        weights.get("ln_f.bias").copyInto(b);
        weights.get("ln_f.weight").copyInto(lnW);
        weights.get("lm_head.weight").copyInto(head);
    }

    @Override
    public GptConfig config() {
        return new GptConfig(vocab, 1024, vocab, 0, 1, 4 * vocab, 1e-5f, false, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.NONE);
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("wte.weight", w);
        m.put("ln_f.weight", lnW);
        m.put("ln_f.bias", b);
        m.put("lm_head.weight", head);
        return m;
    }

    @Override
    public Map<String, Tensor> gradients() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("wte.weight", dw);
        m.put("ln_f.weight", dLnW);
        m.put("ln_f.bias", db);
        m.put("lm_head.weight", dHead);
        return m;
    }

    @Override
    public void zeroGradients() {
        dw.fill(0);
        db.fill(0);
        dLnW.fill(0);
        dHead.fill(0);
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
