package dev.loupe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TrainerTest {
    static final int V = 11;

    static int[] tokens(int n, long seed) {
        // a learnable stream: mostly "next = (3·prev + 1) mod V", sometimes random
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 1; i < n; i++) t[i] = r.nextInt(4) == 0 ? r.nextInt(V) : (3 * t[i - 1] + 1) % V;
        return t;
    }

    static TrainingSettings settings(int steps, String loader, double clip) {
        return new TrainingSettings(4, 8, steps, new LrSchedule(3e-2, 3e-3, 3, steps, LrSchedule.Kind.COSINE),
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), clip, loader, 5, 5, 4, 0);
    }

    static List<Float> losses(Trainer t) {
        return t.history().steps().stream().map(TrainingHistory.StepPoint::loss).toList();
    }

    @Test
    void learnsAndIsDeterministic() {
        TokenData data = TokenData.split(tokens(2000, 1));
        Trainer a = new Trainer(new BigramModel(V, 3), settings(40, "random", 1.0), data);
        Trainer b = new Trainer(new BigramModel(V, 3), settings(40, "random", 1.0), data);
        List<Evaluator.Result> evals = new ArrayList<>();
        a.run(new Trainer.Listener() {
            @Override public void onEval(long step, Evaluator.Result r) { evals.add(r); }
        }, null);
        b.run(new Trainer.Listener() {}, null);
        assertThat(losses(a)).containsExactlyElementsOf(losses(b));
        assertThat(evals).hasSize(8); // every 5 of 40 steps
        assertThat(evals.getLast().loss()).isLessThan(evals.getFirst().loss() - 0.5);
        assertThat(a.history().evals()).hasSize(8);
    }

    @Test
    void evaluationTellsItsListenerEveryBatchUpToTheWholeSet() {
        TokenData data = TokenData.split(tokens(2000, 1));
        Trainer t = new Trainer(new BigramModel(V, 3), settings(2, "random", 1.0), data);
        List<long[]> seen = new ArrayList<>();
        Evaluator.Result r = t.evaluateAll((done, total) -> seen.add(new long[] {done, total}));
        long windows = t.validationTokens() / t.settings().seqLen();
        assertThat(r.tokens()).isEqualTo(t.validationTokens());
        assertThat(seen).isNotEmpty().allSatisfy(s -> assertThat(s[1]).isEqualTo(windows));
        assertThat(seen.getLast()[0]).isEqualTo(windows);
        assertThat(r.loss()).isEqualTo(t.evaluateAll().loss());
    }

    @Test
    void resumedRunEqualsUninterruptedRun() {
        for (String loader : List.of("random", "sequential")) {
            TokenData data = TokenData.split(tokens(1500, 2));
            Trainer full = new Trainer(new BigramModel(V, 4), settings(30, loader, 1.0), data);
            full.run(new Trainer.Listener() {}, null);

            TrainingSettings s = new TrainingSettings(4, 8, 30, new LrSchedule(3e-2, 3e-3, 3, 30, LrSchedule.Kind.COSINE),
                    new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 1.0, loader, 5, 5, 4, 12);
            BigramModel first = new BigramModel(V, 4);
            Trainer part = new Trainer(first, s, data);
            // the checkpointer snapshots the state at step 12, then the run is interrupted
            Map<String, Object> snap = new LinkedHashMap<>();
            assertThatThrownBy(() -> part.run(new Trainer.Listener() {}, t -> {
                snap.put("w", first.w.copy());
                snap.put("b", first.b.copy());
                snap.put("m", copy(t.optimizer().firstMoments()));
                snap.put("v", copy(t.optimizer().secondMoments()));
                snap.put("adam", t.optimizer().stepCount());
                snap.put("pos", t.loader().position());
                throw new IllegalStateException("interrupted");
            })).hasMessage("interrupted");
            assertThat(part.step()).isEqualTo(12);
            BigramModel resumed = new BigramModel(V, 99);
            ((Tensor) snap.get("w")).copyInto(resumed.w);
            ((Tensor) snap.get("b")).copyInto(resumed.b);
            Trainer rest = new Trainer(resumed, s, data);
            TrainingHistory h = new TrainingHistory();
            h.steps().addAll(full.history().steps().subList(0, 12));
            @SuppressWarnings("unchecked") Map<String, Tensor> m = (Map<String, Tensor>) snap.get("m");
            @SuppressWarnings("unchecked") Map<String, Tensor> v = (Map<String, Tensor>) snap.get("v");
            rest.restore(12, (long) snap.get("pos"), (long) snap.get("adam"), m, v, h);
            rest.run(new Trainer.Listener() {}, null);
            assertThat(losses(rest)).as(loader).containsExactlyElementsOf(losses(full));
            assertThat(resumed.w.toArray()).containsExactly(((BigramModel) full.model()).w.toArray());
        }
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> m) {
        Map<String, Tensor> c = new LinkedHashMap<>();
        m.forEach((k, t) -> c.put(k, t.copy()));
        return c;
    }

    @Test
    void stopsOnANonFiniteGradientNamingStepAndTensor() {
        BigramModel model = new BigramModel(V, 5);
        model.poisonCall = 7;
        Trainer t = new Trainer(model, settings(20, "sequential", 1.0), TokenData.split(tokens(1000, 3)));
        List<Long> saved = new ArrayList<>();
        assertThatThrownBy(() -> t.run(new Trainer.Listener() {}, tr -> saved.add(tr.step())))
                .isInstanceOf(NonFiniteException.class)
                .hasMessageContaining("step 7").hasMessageContaining("gradient of ln_f.bias");
        assertThat(t.step()).isEqualTo(6);
        assertThat(saved).isEmpty(); // no checkpoint of a poisoned state
    }

    @Test
    void rejectsTokensOutsideTheVocabulary() {
        int[] bad = tokens(200, 4);
        bad[10] = V + 3;
        assertThatThrownBy(() -> new Trainer(new BigramModel(V, 1), settings(5, "random", 0), TokenData.split(bad)))
                .hasMessageContaining("token id " + (V + 3));
    }

    /** The loss trajectory equals torch.optim.AdamW + clip_grad_norm_ + nanoGPT's get_lr, step by step. */
    @Test
    void lossTrajectoryEqualsPyTorch(@TempDir Path dir) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: PyTorch comparison skipped");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "/usr/bin/python3 has no torch (apt-get install python3-torch): PyTorch comparison skipped");

        int steps = 25;
        // clip at 0.5 so that clipping is active on most steps
        TrainingSettings s = new TrainingSettings(4, 8, steps, new LrSchedule(5e-2, 5e-3, 4, steps, LrSchedule.Kind.COSINE),
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 0.5, "random", 9, 0, 0, 0);
        TokenData data = TokenData.split(tokens(3000, 6));
        BigramModel model = new BigramModel(V, 8);
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("vocab", V);
        job.put("w", model.w.toArray());
        job.put("b", model.b.toArray());
        List<Map<String, int[]>> batches = new ArrayList<>();
        TokenLoader loader = s.newLoader(data.train());
        for (int i = 0; i < steps; i++) {
            TokenBatch b = loader.next();
            batches.add(Map.of("inputs", b.inputs(), "targets", b.targets()));
        }
        job.put("batches", batches);
        job.put("settings", Map.of("lr", 5e-2, "min_lr", 5e-3, "warmup", 4, "steps", steps, "beta1", 0.9,
                "beta2", 0.95, "eps", 1e-8, "weight_decay", 0.1, "grad_clip", 0.5));
        ObjectMapper json = new ObjectMapper();
        Path jobFile = dir.resolve("job.json");
        json.writeValue(jobFile.toFile(), job);
        Path script = dir.resolve("ref.py");
        try (var in = getClass().getResourceAsStream("torch_bigram_adamw.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(python.toString(), script.toString(), jobFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        double[] torchLosses = json.readValue(out, double[].class);

        Trainer t = new Trainer(model, s, data);
        t.run(new Trainer.Listener() {}, null);
        List<Float> ours = losses(t);
        assertThat(ours).hasSize(steps);
        for (int i = 0; i < steps; i++) {
            // float32 losses of ≈ 2.4 computed with different summation orders: agree to ~1e-6;
            // a wrong lr, decay or clip at any step shifts later losses by ≥ 1e-3
            assertThat((double) ours.get(i)).as("step %d", i + 1).isCloseTo(torchLosses[i], within(2e-5));
        }
        assertThat(ours.getLast()).isLessThan(ours.getFirst() - 0.3f);
    }
}
