package dev.loupe.sae;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.AdamW;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The measurements behind {@code loupe bench sae} (PERFORMANCE.md P10), on the same state as the
 * PyTorch peer {@code bench/torch_sae.py}: x ~ N(0, 1) [N, d_in]; W_dec rows random directions of
 * norm 0.1 (standard) or 1 (topk); W_enc = W_decᵀ; b_dec = 0; b_enc = −C·norm, so that a fraction
 * P(N(0,1) &gt; C) of the latents fire (C = 0 ≈ initialisation, half active; C = 2.15 ≈ a trained
 * SAE's L0 of 64 in 4096).
 */
public final class SaeBenchmarks {
    private SaeBenchmarks() {}

    /** Median milliseconds of a training step and the mean L0 it saw. */
    public record StepTiming(double msPerStep, double l0, double denseGflop) {}

    /**
     * Times full training steps (the {@link SaeStep} forward/backward plus the Adam update and, for
     * topk, the decoder's gradient projection and renormalisation): {@code warmup} untimed steps,
     * then the median of {@code steps}.
     */
    public static StepTiming trainingStep(Architecture arch, int dIn, int dSae, int batch, int k, double biasSigmas,
                                          int warmup, int steps) {
        float norm = arch == Architecture.TOPK ? 1f : 0.1f;
        Tensor wDec = SaeTrainer.randomDecoder(1, dSae, dIn, norm);
        Tensor bEnc = Tensor.zeros(dSae).fill((float) (-biasSigmas * norm));
        SparseAutoencoder sae = SparseAutoencoder.of(SaeConfig.of(arch, dIn, dSae, k, SaeMetadata.of("bench", "x")),
                wDec.transpose(0, 1).copy(), bEnc, wDec, Tensor.zeros(dIn), null);
        Tensor x = Tensor.randn(2, 1f, batch, dIn);
        Map<String, Tensor> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        params.put("W_enc", sae.wEnc());
        params.put("b_enc", sae.bEnc());
        params.put("W_dec", sae.wDec());
        params.put("b_dec", sae.bDec());
        params.forEach((name, t) -> grads.put(name, Tensor.zeros(t.shape())));
        AdamW adam = new AdamW(params, new AdamW.Settings(0.9, 0.999, 1e-8, 0));
        SaeStep.Coefficients coef = new SaeStep.Coefficients(5.0, 1.0 / 32);
        List<Double> ms = new ArrayList<>();
        double l0 = 0;
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime();
            SaeLoss loss = SaeStep.run(sae, x, coef, null, grads, null);
            if (arch == Architecture.TOPK) SaeTrainer.removeParallelComponent(grads.get("W_dec"), sae.wDec());
            adam.step(1e-6, grads);
            if (arch == Architecture.TOPK) SaeTrainer.normaliseRows(sae.wDec());
            if (i >= warmup) {
                ms.add((System.nanoTime() - t0) / 1e6);
                l0 += loss.l0() / steps;
            }
        }
        return new StepTiming(median(ms), l0, 10.0 * batch * dIn * dSae / 1e9);
    }

    /**
     * Activation-harvesting throughput in tokens/s at {@code hook} ({@code windows} windows of
     * {@code t} random tokens per call, {@code prompts} per forward pass): median of {@code repeat}
     * calls after one warm-up call; and, for comparison, the full forward pass's (logits) tokens/s.
     */
    public static double[] harvest(Gpt model, SaeHookPoint hook, int windows, int t, int prompts, int repeat) {
        SplittableRandom r = new SplittableRandom(3);
        int[] ids = r.ints((long) windows * t, 0, model.config().vocabSize()).toArray();
        List<Double> harvest = new ArrayList<>(), full = new ArrayList<>();
        for (int i = 0; i <= repeat; i++) {
            long t0 = System.nanoTime();
            ActivationStore.harvest(model, hook, ids, windows, t, prompts);
            long t1 = System.nanoTime();
            for (int w0 = 0; w0 < windows; w0 += prompts) {
                int b = Math.min(prompts, windows - w0);
                model.logits(Arrays.copyOfRange(ids, w0 * t, (w0 + b) * t), b, t);
            }
            long t2 = System.nanoTime();
            if (i > 0) {
                harvest.add(windows * t / ((t1 - t0) / 1e9));
                full.add(windows * t / ((t2 - t1) / 1e9));
            }
        }
        return new double[] {median(harvest), median(full)};
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
